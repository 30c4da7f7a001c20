// Original file: protos/consort/v1/admin.proto

import type { RoundMetrics as _consort_v1_RoundMetrics, RoundMetrics__Output as _consort_v1_RoundMetrics__Output } from '../../consort/v1/RoundMetrics';
import type { MembersWaiting as _consort_v1_MembersWaiting, MembersWaiting__Output as _consort_v1_MembersWaiting__Output } from '../../consort/v1/MembersWaiting';

export interface RoundReport {
  'roundId'?: (string);
  'roundNumber'?: (number);
  'state'?: (string);
  'reason'?: (string);
  'modelVersionId'?: (string);
  'metrics'?: (_consort_v1_RoundMetrics | null);
  'participants'?: (string)[];
  'dropped'?: (string)[];
  'purpose'?: (string);
  'waiting'?: (_consort_v1_MembersWaiting | null);
}

export interface RoundReport__Output {
  'roundId': (string);
  'roundNumber': (number);
  'state': (string);
  'reason': (string);
  'modelVersionId': (string);
  'metrics': (_consort_v1_RoundMetrics__Output | null);
  'participants': (string)[];
  'dropped': (string)[];
  'purpose': (string);
  'waiting': (_consort_v1_MembersWaiting__Output | null);
}
