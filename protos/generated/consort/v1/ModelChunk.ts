// Original file: protos/consort/v1/member.proto

import type { ModelHeader as _consort_v1_ModelHeader, ModelHeader__Output as _consort_v1_ModelHeader__Output } from '../../consort/v1/ModelHeader';

export interface ModelChunk {
  'header'?: (_consort_v1_ModelHeader | null);
  'data'?: (Buffer | Uint8Array | string);
  'part'?: "header"|"data";
}

export interface ModelChunk__Output {
  'header'?: (_consort_v1_ModelHeader__Output | null);
  'data'?: (Buffer);
  'part'?: "header"|"data";
}
