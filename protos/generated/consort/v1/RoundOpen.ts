// Original file: protos/consort/v1/member.proto

import type { ModelSpec as _consort_v1_ModelSpec, ModelSpec__Output as _consort_v1_ModelSpec__Output } from '../../consort/v1/ModelSpec';
import type { TrainConfig as _consort_v1_TrainConfig, TrainConfig__Output as _consort_v1_TrainConfig__Output } from '../../consort/v1/TrainConfig';
import type { Deadline as _consort_v1_Deadline, Deadline__Output as _consort_v1_Deadline__Output } from '../../consort/v1/Deadline';
import type { SecAggParams as _consort_v1_SecAggParams, SecAggParams__Output as _consort_v1_SecAggParams__Output } from '../../consort/v1/SecAggParams';

export interface RoundOpen {
  'roundId'?: (string);
  'taskId'?: (string);
  'roundNumber'?: (number);
  'modelVersionId'?: (string);
  'modelSha256'?: (Buffer | Uint8Array | string);
  'model'?: (_consort_v1_ModelSpec | null);
  'train'?: (_consort_v1_TrainConfig | null);
  'deadlines'?: (_consort_v1_Deadline)[];
  'aggregation'?: (string);
  'secagg'?: (_consort_v1_SecAggParams | null);
  'pipelineJson'?: (string);
  'purpose'?: (string);
  'seed'?: (number);
  'payloadJson'?: (string);
  'coordinatorSignature'?: (Buffer | Uint8Array | string);
  'task'?: (Buffer | Uint8Array | string);
  'taskSha256'?: (string);
}

export interface RoundOpen__Output {
  'roundId': (string);
  'taskId': (string);
  'roundNumber': (number);
  'modelVersionId': (string);
  'modelSha256': (Buffer);
  'model': (_consort_v1_ModelSpec__Output | null);
  'train': (_consort_v1_TrainConfig__Output | null);
  'deadlines': (_consort_v1_Deadline__Output)[];
  'aggregation': (string);
  'secagg': (_consort_v1_SecAggParams__Output | null);
  'pipelineJson': (string);
  'purpose': (string);
  'seed': (number);
  'payloadJson': (string);
  'coordinatorSignature': (Buffer);
  'task': (Buffer);
  'taskSha256': (string);
}
