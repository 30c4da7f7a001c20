// Original file: protos/consort/v1/member.proto

import type { ModelSpec as _consort_v1_ModelSpec, ModelSpec__Output as _consort_v1_ModelSpec__Output } from '../../consort/v1/ModelSpec';
import type { Long } from '@grpc/proto-loader';

export interface ModelHeader {
  'modelVersionId'?: (string);
  'model'?: (_consort_v1_ModelSpec | null);
  'byteLength'?: (number | string | Long);
  'sha256'?: (Buffer | Uint8Array | string);
}

export interface ModelHeader__Output {
  'modelVersionId': (string);
  'model': (_consort_v1_ModelSpec__Output | null);
  'byteLength': (string);
  'sha256': (Buffer);
}
