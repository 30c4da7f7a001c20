import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Deadline as _consort_v1_Deadline, Deadline__Output as _consort_v1_Deadline__Output } from './consort/v1/Deadline';
import type { FeatureSchema as _consort_v1_FeatureSchema, FeatureSchema__Output as _consort_v1_FeatureSchema__Output } from './consort/v1/FeatureSchema';
import type { ModelFileChunk as _consort_v1_ModelFileChunk, ModelFileChunk__Output as _consort_v1_ModelFileChunk__Output } from './consort/v1/ModelFileChunk';
import type { ModelFileHeader as _consort_v1_ModelFileHeader, ModelFileHeader__Output as _consort_v1_ModelFileHeader__Output } from './consort/v1/ModelFileHeader';
import type { ModelFileRequest as _consort_v1_ModelFileRequest, ModelFileRequest__Output as _consort_v1_ModelFileRequest__Output } from './consort/v1/ModelFileRequest';
import type { ModelSpec as _consort_v1_ModelSpec, ModelSpec__Output as _consort_v1_ModelSpec__Output } from './consort/v1/ModelSpec';
import type { RoundMetrics as _consort_v1_RoundMetrics, RoundMetrics__Output as _consort_v1_RoundMetrics__Output } from './consort/v1/RoundMetrics';
import type { RoundWarning as _consort_v1_RoundWarning, RoundWarning__Output as _consort_v1_RoundWarning__Output } from './consort/v1/RoundWarning';
import type { TensorLayout as _consort_v1_TensorLayout, TensorLayout__Output as _consort_v1_TensorLayout__Output } from './consort/v1/TensorLayout';
import type { TrainConfig as _consort_v1_TrainConfig, TrainConfig__Output as _consort_v1_TrainConfig__Output } from './consort/v1/TrainConfig';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  consort: {
    v1: {
      Deadline: MessageTypeDefinition<_consort_v1_Deadline, _consort_v1_Deadline__Output>
      FeatureSchema: MessageTypeDefinition<_consort_v1_FeatureSchema, _consort_v1_FeatureSchema__Output>
      ModelFileChunk: MessageTypeDefinition<_consort_v1_ModelFileChunk, _consort_v1_ModelFileChunk__Output>
      ModelFileHeader: MessageTypeDefinition<_consort_v1_ModelFileHeader, _consort_v1_ModelFileHeader__Output>
      ModelFileRequest: MessageTypeDefinition<_consort_v1_ModelFileRequest, _consort_v1_ModelFileRequest__Output>
      ModelSpec: MessageTypeDefinition<_consort_v1_ModelSpec, _consort_v1_ModelSpec__Output>
      RoundMetrics: MessageTypeDefinition<_consort_v1_RoundMetrics, _consort_v1_RoundMetrics__Output>
      RoundWarning: MessageTypeDefinition<_consort_v1_RoundWarning, _consort_v1_RoundWarning__Output>
      TensorLayout: MessageTypeDefinition<_consort_v1_TensorLayout, _consort_v1_TensorLayout__Output>
      TrainConfig: MessageTypeDefinition<_consort_v1_TrainConfig, _consort_v1_TrainConfig__Output>
    }
  }
}

