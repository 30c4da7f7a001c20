// Original file: protos/consort/v1/secagg.proto

import type { Long } from '@grpc/proto-loader';

export interface MaskedInputHeader {
  'modulusBits'?: (number);
  'vectorLength'?: (number | string | Long);
}

export interface MaskedInputHeader__Output {
  'modulusBits': (number);
  'vectorLength': (string);
}
