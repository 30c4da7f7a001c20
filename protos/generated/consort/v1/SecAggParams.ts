// Original file: protos/consort/v1/secagg.proto

import type { Long } from '@grpc/proto-loader';

export interface SecAggParams {
  'threshold'?: (number);
  'neighbours'?: (number);
  'minMembers'?: (number);
  'scaleBits'?: (number);
  'clip'?: (number | string);
  'modulusBits'?: (number);
  'vectorLength'?: (number | string | Long);
  'graphSeed'?: (Buffer | Uint8Array | string);
  'invitedMembers'?: (number);
  'maxExamples'?: (number | string);
}

export interface SecAggParams__Output {
  'threshold': (number);
  'neighbours': (number);
  'minMembers': (number);
  'scaleBits': (number);
  'clip': (number);
  'modulusBits': (number);
  'vectorLength': (string);
  'graphSeed': (Buffer);
  'invitedMembers': (number);
  'maxExamples': (number);
}
