// Original file: protos/consort/v1/member.proto

import type { AdvertiseKeys as _consort_v1_AdvertiseKeys, AdvertiseKeys__Output as _consort_v1_AdvertiseKeys__Output } from '../../consort/v1/AdvertiseKeys';
import type { ShareKeys as _consort_v1_ShareKeys, ShareKeys__Output as _consort_v1_ShareKeys__Output } from '../../consort/v1/ShareKeys';
import type { ConsistencySignature as _consort_v1_ConsistencySignature, ConsistencySignature__Output as _consort_v1_ConsistencySignature__Output } from '../../consort/v1/ConsistencySignature';
import type { UnmaskShares as _consort_v1_UnmaskShares, UnmaskShares__Output as _consort_v1_UnmaskShares__Output } from '../../consort/v1/UnmaskShares';
import type { Complaint as _consort_v1_Complaint, Complaint__Output as _consort_v1_Complaint__Output } from '../../consort/v1/Complaint';
import type { KeyCommitment as _consort_v1_KeyCommitment, KeyCommitment__Output as _consort_v1_KeyCommitment__Output } from '../../consort/v1/KeyCommitment';

export interface StageSubmission {
  'roundId'?: (string);
  'advertiseKeys'?: (_consort_v1_AdvertiseKeys | null);
  'shareKeys'?: (_consort_v1_ShareKeys | null);
  'consistencySignature'?: (_consort_v1_ConsistencySignature | null);
  'unmaskShares'?: (_consort_v1_UnmaskShares | null);
  'complaint'?: (_consort_v1_Complaint | null);
  'keyCommitment'?: (_consort_v1_KeyCommitment | null);
  'stage'?: "advertiseKeys"|"shareKeys"|"consistencySignature"|"unmaskShares"|"complaint"|"keyCommitment";
}

export interface StageSubmission__Output {
  'roundId': (string);
  'advertiseKeys'?: (_consort_v1_AdvertiseKeys__Output | null);
  'shareKeys'?: (_consort_v1_ShareKeys__Output | null);
  'consistencySignature'?: (_consort_v1_ConsistencySignature__Output | null);
  'unmaskShares'?: (_consort_v1_UnmaskShares__Output | null);
  'complaint'?: (_consort_v1_Complaint__Output | null);
  'keyCommitment'?: (_consort_v1_KeyCommitment__Output | null);
  'stage'?: "advertiseKeys"|"shareKeys"|"consistencySignature"|"unmaskShares"|"complaint"|"keyCommitment";
}
