import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdvertiseKeys as _consort_v1_AdvertiseKeys, AdvertiseKeys__Output as _consort_v1_AdvertiseKeys__Output } from './consort/v1/AdvertiseKeys';
import type { AdvertisedKey as _consort_v1_AdvertisedKey, AdvertisedKey__Output as _consort_v1_AdvertisedKey__Output } from './consort/v1/AdvertisedKey';
import type { AdvertisedKeySet as _consort_v1_AdvertisedKeySet, AdvertisedKeySet__Output as _consort_v1_AdvertisedKeySet__Output } from './consort/v1/AdvertisedKeySet';
import type { CommittedKey as _consort_v1_CommittedKey, CommittedKey__Output as _consort_v1_CommittedKey__Output } from './consort/v1/CommittedKey';
import type { Complaint as _consort_v1_Complaint, Complaint__Output as _consort_v1_Complaint__Output } from './consort/v1/Complaint';
import type { ConsistencyRequest as _consort_v1_ConsistencyRequest, ConsistencyRequest__Output as _consort_v1_ConsistencyRequest__Output } from './consort/v1/ConsistencyRequest';
import type { ConsistencySignature as _consort_v1_ConsistencySignature, ConsistencySignature__Output as _consort_v1_ConsistencySignature__Output } from './consort/v1/ConsistencySignature';
import type { EncryptedShare as _consort_v1_EncryptedShare, EncryptedShare__Output as _consort_v1_EncryptedShare__Output } from './consort/v1/EncryptedShare';
import type { KeyCommitment as _consort_v1_KeyCommitment, KeyCommitment__Output as _consort_v1_KeyCommitment__Output } from './consort/v1/KeyCommitment';
import type { KeyCommitmentSet as _consort_v1_KeyCommitmentSet, KeyCommitmentSet__Output as _consort_v1_KeyCommitmentSet__Output } from './consort/v1/KeyCommitmentSet';
import type { MaskedInputHeader as _consort_v1_MaskedInputHeader, MaskedInputHeader__Output as _consort_v1_MaskedInputHeader__Output } from './consort/v1/MaskedInputHeader';
import type { RevealedShare as _consort_v1_RevealedShare, RevealedShare__Output as _consort_v1_RevealedShare__Output } from './consort/v1/RevealedShare';
import type { RoutedShares as _consort_v1_RoutedShares, RoutedShares__Output as _consort_v1_RoutedShares__Output } from './consort/v1/RoutedShares';
import type { SecAggParams as _consort_v1_SecAggParams, SecAggParams__Output as _consort_v1_SecAggParams__Output } from './consort/v1/SecAggParams';
import type { ShareKeys as _consort_v1_ShareKeys, ShareKeys__Output as _consort_v1_ShareKeys__Output } from './consort/v1/ShareKeys';
import type { SurvivorSignature as _consort_v1_SurvivorSignature, SurvivorSignature__Output as _consort_v1_SurvivorSignature__Output } from './consort/v1/SurvivorSignature';
import type { UnmaskRequest as _consort_v1_UnmaskRequest, UnmaskRequest__Output as _consort_v1_UnmaskRequest__Output } from './consort/v1/UnmaskRequest';
import type { UnmaskShares as _consort_v1_UnmaskShares, UnmaskShares__Output as _consort_v1_UnmaskShares__Output } from './consort/v1/UnmaskShares';

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
      ConsistencyRequest: MessageTypeDefinition<_consort_v1_ConsistencyRequest, _consort_v1_ConsistencyRequest__Output>
      ConsistencySignature: MessageTypeDefinition<_consort_v1_ConsistencySignature, _consort_v1_ConsistencySignature__Output>
      EncryptedShare: MessageTypeDefinition<_consort_v1_EncryptedShare, _consort_v1_EncryptedShare__Output>
      KeyCommitment: MessageTypeDefinition<_consort_v1_KeyCommitment, _consort_v1_KeyCommitment__Output>
      KeyCommitmentSet: MessageTypeDefinition<_consort_v1_KeyCommitmentSet, _consort_v1_KeyCommitmentSet__Output>
      MaskedInputHeader: MessageTypeDefinition<_consort_v1_MaskedInputHeader, _consort_v1_MaskedInputHeader__Output>
      RevealedShare: MessageTypeDefinition<_consort_v1_RevealedShare, _consort_v1_RevealedShare__Output>
      RoutedShares: MessageTypeDefinition<_consort_v1_RoutedShares, _consort_v1_RoutedShares__Output>
      SecAggParams: MessageTypeDefinition<_consort_v1_SecAggParams, _consort_v1_SecAggParams__Output>
      ShareKeys: MessageTypeDefinition<_consort_v1_ShareKeys, _consort_v1_ShareKeys__Output>
      SurvivorSignature: MessageTypeDefinition<_consort_v1_SurvivorSignature, _consort_v1_SurvivorSignature__Output>
      UnmaskRequest: MessageTypeDefinition<_consort_v1_UnmaskRequest, _consort_v1_UnmaskRequest__Output>
      UnmaskShares: MessageTypeDefinition<_consort_v1_UnmaskShares, _consort_v1_UnmaskShares__Output>
    }
  }
}

