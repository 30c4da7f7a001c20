// Original file: protos/consort/v1/member.proto

import type { RoundOpen as _consort_v1_RoundOpen, RoundOpen__Output as _consort_v1_RoundOpen__Output } from '../../consort/v1/RoundOpen';
import type { AdvertisedKeySet as _consort_v1_AdvertisedKeySet, AdvertisedKeySet__Output as _consort_v1_AdvertisedKeySet__Output } from '../../consort/v1/AdvertisedKeySet';
import type { RoutedShares as _consort_v1_RoutedShares, RoutedShares__Output as _consort_v1_RoutedShares__Output } from '../../consort/v1/RoutedShares';
import type { ConsistencyRequest as _consort_v1_ConsistencyRequest, ConsistencyRequest__Output as _consort_v1_ConsistencyRequest__Output } from '../../consort/v1/ConsistencyRequest';
import type { UnmaskRequest as _consort_v1_UnmaskRequest, UnmaskRequest__Output as _consort_v1_UnmaskRequest__Output } from '../../consort/v1/UnmaskRequest';
import type { RoundClosed as _consort_v1_RoundClosed, RoundClosed__Output as _consort_v1_RoundClosed__Output } from '../../consort/v1/RoundClosed';
import type { Heartbeat as _consort_v1_Heartbeat, Heartbeat__Output as _consort_v1_Heartbeat__Output } from '../../consort/v1/Heartbeat';
import type { KeyCommitmentSet as _consort_v1_KeyCommitmentSet, KeyCommitmentSet__Output as _consort_v1_KeyCommitmentSet__Output } from '../../consort/v1/KeyCommitmentSet';

export interface CoordinatorEvent {
  'roundOpen'?: (_consort_v1_RoundOpen | null);
  'keySet'?: (_consort_v1_AdvertisedKeySet | null);
  'routedShares'?: (_consort_v1_RoutedShares | null);
  'consistencyRequest'?: (_consort_v1_ConsistencyRequest | null);
  'unmaskRequest'?: (_consort_v1_UnmaskRequest | null);
  'roundClosed'?: (_consort_v1_RoundClosed | null);
  'heartbeat'?: (_consort_v1_Heartbeat | null);
  'keyCommitmentSet'?: (_consort_v1_KeyCommitmentSet | null);
  'event'?: "roundOpen"|"keySet"|"routedShares"|"consistencyRequest"|"unmaskRequest"|"roundClosed"|"heartbeat"|"keyCommitmentSet";
}

export interface CoordinatorEvent__Output {
  'roundOpen'?: (_consort_v1_RoundOpen__Output | null);
  'keySet'?: (_consort_v1_AdvertisedKeySet__Output | null);
  'routedShares'?: (_consort_v1_RoutedShares__Output | null);
  'consistencyRequest'?: (_consort_v1_ConsistencyRequest__Output | null);
  'unmaskRequest'?: (_consort_v1_UnmaskRequest__Output | null);
  'roundClosed'?: (_consort_v1_RoundClosed__Output | null);
  'heartbeat'?: (_consort_v1_Heartbeat__Output | null);
  'keyCommitmentSet'?: (_consort_v1_KeyCommitmentSet__Output | null);
  'event'?: "roundOpen"|"keySet"|"routedShares"|"consistencyRequest"|"unmaskRequest"|"roundClosed"|"heartbeat"|"keyCommitmentSet";
}
