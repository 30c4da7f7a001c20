// Original file: protos/consort/v1/common.proto

import type { TensorLayout as _consort_v1_TensorLayout, TensorLayout__Output as _consort_v1_TensorLayout__Output } from '../../consort/v1/TensorLayout';
import type { Long } from '@grpc/proto-loader';

export interface ModelSpec {
  'kind'?: (string);
  'optionsJson'?: (string);
  'layout'?: (_consort_v1_TensorLayout)[];
  'parameterCount'?: (number | string | Long);
}

export interface ModelSpec__Output {
  'kind': (string);
  'optionsJson': (string);
  'layout': (_consort_v1_TensorLayout__Output)[];
  'parameterCount': (string);
}
