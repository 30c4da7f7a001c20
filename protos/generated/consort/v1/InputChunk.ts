// Original file: protos/consort/v1/member.proto

import type { InputHeader as _consort_v1_InputHeader, InputHeader__Output as _consort_v1_InputHeader__Output } from '../../consort/v1/InputHeader';

export interface InputChunk {
  'header'?: (_consort_v1_InputHeader | null);
  'data'?: (Buffer | Uint8Array | string);
  'part'?: "header"|"data";
}

export interface InputChunk__Output {
  'header'?: (_consort_v1_InputHeader__Output | null);
  'data'?: (Buffer);
  'part'?: "header"|"data";
}
