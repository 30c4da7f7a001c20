import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdvertiseKeys as _consort_v1_AdvertiseKeys, AdvertiseKeys__Output as _consort_v1_AdvertiseKeys__Output } from './consort/v1/AdvertiseKeys';
import type { AdvertisedKey as _consort_v1_AdvertisedKey, AdvertisedKey__Output as _consort_v1_AdvertisedKey__Output } from './consort/v1/AdvertisedKey';
import type { AdvertisedKeySet as _consort_v1_AdvertisedKeySet, AdvertisedKeySet__Output as _consort_v1_AdvertisedKeySet__Output } from './consort/v1/AdvertisedKeySet';
import type { CommittedKey as _consort_v1_CommittedKey, CommittedKey__Output as _consort_v1_CommittedKey__Output } from './consort/v1/CommittedKey';
import type { Complaint as _consort_v1_Complaint, Complaint__Output as _consort_v1_Complaint__Output } from './consort/v1/Complaint';
import type { ConnectRequest as _consort_v1_ConnectRequest, ConnectRequest__Output as _consort_v1_ConnectRequest__Output } from './consort/v1/ConnectRequest';
import type { ConsistencyRequest as _consort_v1_ConsistencyRequest, ConsistencyRequest__Output as _consort_v1_ConsistencyRequest__Output } from './consort/v1/ConsistencyRequest';
import type { ConsistencySignature as _consort_v1_ConsistencySignature, ConsistencySignature__Output as _consort_v1_ConsistencySignature__Output } from './consort/v1/ConsistencySignature';
import type { CoordinatorEvent as _consort_v1_CoordinatorEvent, CoordinatorEvent__Output as _consort_v1_CoordinatorEvent__Output } from './consort/v1/CoordinatorEvent';
import type { Deadline as _consort_v1_Deadline, Deadline__Output as _consort_v1_Deadline__Output } from './consort/v1/Deadline';
import type { DeclineRoundAck as _consort_v1_DeclineRoundAck, DeclineRoundAck__Output as _consort_v1_DeclineRoundAck__Output } from './consort/v1/DeclineRoundAck';
import type { DeclineRoundRequest as _consort_v1_DeclineRoundRequest, DeclineRoundRequest__Output as _consort_v1_DeclineRoundRequest__Output } from './consort/v1/DeclineRoundRequest';
import type { DownloadModelRequest as _consort_v1_DownloadModelRequest, DownloadModelRequest__Output as _consort_v1_DownloadModelRequest__Output } from './consort/v1/DownloadModelRequest';
import type { EncryptedShare as _consort_v1_EncryptedShare, EncryptedShare__Output as _consort_v1_EncryptedShare__Output } from './consort/v1/EncryptedShare';
import type { EnrollRequest as _consort_v1_EnrollRequest, EnrollRequest__Output as _consort_v1_EnrollRequest__Output } from './consort/v1/EnrollRequest';
import type { EnrollResponse as _consort_v1_EnrollResponse, EnrollResponse__Output as _consort_v1_EnrollResponse__Output } from './consort/v1/EnrollResponse';
import type { FeatureSchema as _consort_v1_FeatureSchema, FeatureSchema__Output as _consort_v1_FeatureSchema__Output } from './consort/v1/FeatureSchema';
import type { Heartbeat as _consort_v1_Heartbeat, Heartbeat__Output as _consort_v1_Heartbeat__Output } from './consort/v1/Heartbeat';
import type { InputChunk as _consort_v1_InputChunk, InputChunk__Output as _consort_v1_InputChunk__Output } from './consort/v1/InputChunk';
import type { InputHeader as _consort_v1_InputHeader, InputHeader__Output as _consort_v1_InputHeader__Output } from './consort/v1/InputHeader';
import type { KeyCommitment as _consort_v1_KeyCommitment, KeyCommitment__Output as _consort_v1_KeyCommitment__Output } from './consort/v1/KeyCommitment';
import type { KeyCommitmentSet as _consort_v1_KeyCommitmentSet, KeyCommitmentSet__Output as _consort_v1_KeyCommitmentSet__Output } from './consort/v1/KeyCommitmentSet';
import type { MaskedInputHeader as _consort_v1_MaskedInputHeader, MaskedInputHeader__Output as _consort_v1_MaskedInputHeader__Output } from './consort/v1/MaskedInputHeader';
import type { MemberServiceClient as _consort_v1_MemberServiceClient, MemberServiceDefinition as _consort_v1_MemberServiceDefinition } from './consort/v1/MemberService';
import type { ModelChunk as _consort_v1_ModelChunk, ModelChunk__Output as _consort_v1_ModelChunk__Output } from './consort/v1/ModelChunk';
import type { ModelFileChunk as _consort_v1_ModelFileChunk, ModelFileChunk__Output as _consort_v1_ModelFileChunk__Output } from './consort/v1/ModelFileChunk';
import type { ModelFileHeader as _consort_v1_ModelFileHeader, ModelFileHeader__Output as _consort_v1_ModelFileHeader__Output } from './consort/v1/ModelFileHeader';
import type { ModelFileRequest as _consort_v1_ModelFileRequest, ModelFileRequest__Output as _consort_v1_ModelFileRequest__Output } from './consort/v1/ModelFileRequest';
import type { ModelHeader as _consort_v1_ModelHeader, ModelHeader__Output as _consort_v1_ModelHeader__Output } from './consort/v1/ModelHeader';
import type { ModelSpec as _consort_v1_ModelSpec, ModelSpec__Output as _consort_v1_ModelSpec__Output } from './consort/v1/ModelSpec';
import type { PlainInputHeader as _consort_v1_PlainInputHeader, PlainInputHeader__Output as _consort_v1_PlainInputHeader__Output } from './consort/v1/PlainInputHeader';
import type { RevealedShare as _consort_v1_RevealedShare, RevealedShare__Output as _consort_v1_RevealedShare__Output } from './consort/v1/RevealedShare';
import type { RoundClosed as _consort_v1_RoundClosed, RoundClosed__Output as _consort_v1_RoundClosed__Output } from './consort/v1/RoundClosed';
import type { RoundMetrics as _consort_v1_RoundMetrics, RoundMetrics__Output as _consort_v1_RoundMetrics__Output } from './consort/v1/RoundMetrics';
import type { RoundOpen as _consort_v1_RoundOpen, RoundOpen__Output as _consort_v1_RoundOpen__Output } from './consort/v1/RoundOpen';
import type { RoundWarning as _consort_v1_RoundWarning, RoundWarning__Output as _consort_v1_RoundWarning__Output } from './consort/v1/RoundWarning';
import type { RoutedShares as _consort_v1_RoutedShares, RoutedShares__Output as _consort_v1_RoutedShares__Output } from './consort/v1/RoutedShares';
import type { SecAggParams as _consort_v1_SecAggParams, SecAggParams__Output as _consort_v1_SecAggParams__Output } from './consort/v1/SecAggParams';
import type { ShareKeys as _consort_v1_ShareKeys, ShareKeys__Output as _consort_v1_ShareKeys__Output } from './consort/v1/ShareKeys';
import type { StageAck as _consort_v1_StageAck, StageAck__Output as _consort_v1_StageAck__Output } from './consort/v1/StageAck';
import type { StageSubmission as _consort_v1_StageSubmission, StageSubmission__Output as _consort_v1_StageSubmission__Output } from './consort/v1/StageSubmission';
import type { SurvivorSignature as _consort_v1_SurvivorSignature, SurvivorSignature__Output as _consort_v1_SurvivorSignature__Output } from './consort/v1/SurvivorSignature';
import type { TensorLayout as _consort_v1_TensorLayout, TensorLayout__Output as _consort_v1_TensorLayout__Output } from './consort/v1/TensorLayout';
import type { TrainConfig as _consort_v1_TrainConfig, TrainConfig__Output as _consort_v1_TrainConfig__Output } from './consort/v1/TrainConfig';
import type { UnmaskRequest as _consort_v1_UnmaskRequest, UnmaskRequest__Output as _consort_v1_UnmaskRequest__Output } from './consort/v1/UnmaskRequest';
import type { UnmaskShares as _consort_v1_UnmaskShares, UnmaskShares__Output as _consort_v1_UnmaskShares__Output } from './consort/v1/UnmaskShares';
import type { UploadAck as _consort_v1_UploadAck, UploadAck__Output as _consort_v1_UploadAck__Output } from './consort/v1/UploadAck';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  consort: {
    v1: {
      AdvertiseKeys: MessageTypeDefinition<_consort_v1_AdvertiseKeys, _consort_v1_AdvertiseKeys__Output>
      AdvertisedKey: MessageTypeDefinition<_consort_v1_AdvertisedKey, _consort_v1_AdvertisedKey__Output>
      AdvertisedKeySet: MessageTypeDefinition<_consort_v1_AdvertisedKeySet, _consort_v1_AdvertisedKeySet__Output>
      CommittedKey: MessageTypeDefinition<_consort_v1_CommittedKey, _consort_v1_CommittedKey__Output>
      Complaint: MessageTypeDefinition<_consort_v1_Complaint, _consort_v1_Complaint__Output>
      ConnectRequest: MessageTypeDefinition<_consort_v1_ConnectRequest, _consort_v1_ConnectRequest__Output>
      ConsistencyRequest: MessageTypeDefinition<_consort_v1_ConsistencyRequest, _consort_v1_ConsistencyRequest__Output>
      ConsistencySignature: MessageTypeDefinition<_consort_v1_ConsistencySignature, _consort_v1_ConsistencySignature__Output>
      CoordinatorEvent: MessageTypeDefinition<_consort_v1_CoordinatorEvent, _consort_v1_CoordinatorEvent__Output>
      Deadline: MessageTypeDefinition<_consort_v1_Deadline, _consort_v1_Deadline__Output>
      DeclineRoundAck: MessageTypeDefinition<_consort_v1_DeclineRoundAck, _consort_v1_DeclineRoundAck__Output>
      DeclineRoundRequest: MessageTypeDefinition<_consort_v1_DeclineRoundRequest, _consort_v1_DeclineRoundRequest__Output>
      DownloadModelRequest: MessageTypeDefinition<_consort_v1_DownloadModelRequest, _consort_v1_DownloadModelRequest__Output>
      EncryptedShare: MessageTypeDefinition<_consort_v1_EncryptedShare, _consort_v1_EncryptedShare__Output>
      EnrollRequest: MessageTypeDefinition<_consort_v1_EnrollRequest, _consort_v1_EnrollRequest__Output>
      EnrollResponse: MessageTypeDefinition<_consort_v1_EnrollResponse, _consort_v1_EnrollResponse__Output>
      FeatureSchema: MessageTypeDefinition<_consort_v1_FeatureSchema, _consort_v1_FeatureSchema__Output>
      Heartbeat: MessageTypeDefinition<_consort_v1_Heartbeat, _consort_v1_Heartbeat__Output>
      InputChunk: MessageTypeDefinition<_consort_v1_InputChunk, _consort_v1_InputChunk__Output>
      InputHeader: MessageTypeDefinition<_consort_v1_InputHeader, _consort_v1_InputHeader__Output>
      KeyCommitment: MessageTypeDefinition<_consort_v1_KeyCommitment, _consort_v1_KeyCommitment__Output>
      KeyCommitmentSet: MessageTypeDefinition<_consort_v1_KeyCommitmentSet, _consort_v1_KeyCommitmentSet__Output>
      MaskedInputHeader: MessageTypeDefinition<_consort_v1_MaskedInputHeader, _consort_v1_MaskedInputHeader__Output>
      MemberService: SubtypeConstructor<typeof grpc.Client, _consort_v1_MemberServiceClient> & { service: _consort_v1_MemberServiceDefinition }
      ModelChunk: MessageTypeDefinition<_consort_v1_ModelChunk, _consort_v1_ModelChunk__Output>
      ModelFileChunk: MessageTypeDefinition<_consort_v1_ModelFileChunk, _consort_v1_ModelFileChunk__Output>
      ModelFileHeader: MessageTypeDefinition<_consort_v1_ModelFileHeader, _consort_v1_ModelFileHeader__Output>
      ModelFileRequest: MessageTypeDefinition<_consort_v1_ModelFileRequest, _consort_v1_ModelFileRequest__Output>
      ModelHeader: MessageTypeDefinition<_consort_v1_ModelHeader, _consort_v1_ModelHeader__Output>
      ModelSpec: MessageTypeDefinition<_consort_v1_ModelSpec, _consort_v1_ModelSpec__Output>
      PlainInputHeader: MessageTypeDefinition<_consort_v1_PlainInputHeader, _consort_v1_PlainInputHeader__Output>
      RevealedShare: MessageTypeDefinition<_consort_v1_RevealedShare, _consort_v1_RevealedShare__Output>
      RoundClosed: MessageTypeDefinition<_consort_v1_RoundClosed, _consort_v1_RoundClosed__Output>
      RoundMetrics: MessageTypeDefinition<_consort_v1_RoundMetrics, _consort_v1_RoundMetrics__Output>
      RoundOpen: MessageTypeDefinition<_consort_v1_RoundOpen, _consort_v1_RoundOpen__Output>
      RoundWarning: MessageTypeDefinition<_consort_v1_RoundWarning, _consort_v1_RoundWarning__Output>
      RoutedShares: MessageTypeDefinition<_consort_v1_RoutedShares, _consort_v1_RoutedShares__Output>
      SecAggParams: MessageTypeDefinition<_consort_v1_SecAggParams, _consort_v1_SecAggParams__Output>
      ShareKeys: MessageTypeDefinition<_consort_v1_ShareKeys, _consort_v1_ShareKeys__Output>
      StageAck: MessageTypeDefinition<_consort_v1_StageAck, _consort_v1_StageAck__Output>
      StageSubmission: MessageTypeDefinition<_consort_v1_StageSubmission, _consort_v1_StageSubmission__Output>
      SurvivorSignature: MessageTypeDefinition<_consort_v1_SurvivorSignature, _consort_v1_SurvivorSignature__Output>
      TensorLayout: MessageTypeDefinition<_consort_v1_TensorLayout, _consort_v1_TensorLayout__Output>
      TrainConfig: MessageTypeDefinition<_consort_v1_TrainConfig, _consort_v1_TrainConfig__Output>
      UnmaskRequest: MessageTypeDefinition<_consort_v1_UnmaskRequest, _consort_v1_UnmaskRequest__Output>
      UnmaskShares: MessageTypeDefinition<_consort_v1_UnmaskShares, _consort_v1_UnmaskShares__Output>
      UploadAck: MessageTypeDefinition<_consort_v1_UploadAck, _consort_v1_UploadAck__Output>
    }
  }
}

