// Original file: protos/consort/v1/admin.proto

import type { ModelSpec as _consort_v1_ModelSpec, ModelSpec__Output as _consort_v1_ModelSpec__Output } from '../../consort/v1/ModelSpec';
import type { FeatureSchema as _consort_v1_FeatureSchema, FeatureSchema__Output as _consort_v1_FeatureSchema__Output } from '../../consort/v1/FeatureSchema';
import type { TrainConfig as _consort_v1_TrainConfig, TrainConfig__Output as _consort_v1_TrainConfig__Output } from '../../consort/v1/TrainConfig';

export interface CreateTaskRequest {
  'federationId'?: (string);
  'name'?: (string);
  'model'?: (_consort_v1_ModelSpec | null);
  'features'?: (_consort_v1_FeatureSchema | null);
  'train'?: (_consort_v1_TrainConfig | null);
  'stageTimeoutSeconds'?: (number);
  'minMembers'?: (number);
  'aggregation'?: (string);
  'pipelineJson'?: (string);
  'initSeed'?: (number);
}

export interface CreateTaskRequest__Output {
  'federationId': (string);
  'name': (string);
  'model': (_consort_v1_ModelSpec__Output | null);
  'features': (_consort_v1_FeatureSchema__Output | null);
  'train': (_consort_v1_TrainConfig__Output | null);
  'stageTimeoutSeconds': (number);
  'minMembers': (number);
  'aggregation': (string);
  'pipelineJson': (string);
  'initSeed': (number);
}
