// Original file: protos/consort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface EnrollmentTokens {
  'tokens'?: (string)[];
  'expiresUnixMs'?: (number | string | Long);
}

export interface EnrollmentTokens__Output {
  'tokens': (string)[];
  'expiresUnixMs': (string);
}
