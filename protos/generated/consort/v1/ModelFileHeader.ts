// Original file: protos/consort/v1/common.proto

import type { Long } from '@grpc/proto-loader';

export interface ModelFileHeader {
  'taskId'?: (string);
  'version'?: (number);
  'modelVersionId'?: (string);
  'kind'?: (string);
  'byteLength'?: (number | string | Long);
  'fileSha256'?: (Buffer | Uint8Array | string);
}

export interface ModelFileHeader__Output {
  'taskId': (string);
  'version': (number);
  'modelVersionId': (string);
  'kind': (string);
  'byteLength': (string);
  'fileSha256': (Buffer);
}
