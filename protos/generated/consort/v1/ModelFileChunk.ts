// Original file: protos/consort/v1/common.proto

import type { ModelFileHeader as _consort_v1_ModelFileHeader, ModelFileHeader__Output as _consort_v1_ModelFileHeader__Output } from '../../consort/v1/ModelFileHeader';

export interface ModelFileChunk {
  'header'?: (_consort_v1_ModelFileHeader | null);
  'data'?: (Buffer | Uint8Array | string);
  'part'?: "header"|"data";
}

export interface ModelFileChunk__Output {
  'header'?: (_consort_v1_ModelFileHeader__Output | null);
  'data'?: (Buffer);
  'part'?: "header"|"data";
}
