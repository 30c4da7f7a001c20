// Original file: protos/consort/v1/admin.proto

import type { RoundMetrics as _consort_v1_RoundMetrics, RoundMetrics__Output as _consort_v1_RoundMetrics__Output } from '../../consort/v1/RoundMetrics';

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
}
