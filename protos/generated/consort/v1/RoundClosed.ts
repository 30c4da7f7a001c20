// Original file: protos/consort/v1/member.proto

import type { RoundMetrics as _consort_v1_RoundMetrics, RoundMetrics__Output as _consort_v1_RoundMetrics__Output } from '../../consort/v1/RoundMetrics';

export interface RoundClosed {
  'roundId'?: (string);
  'outcome'?: (string);
  'reason'?: (string);
  'modelVersionId'?: (string);
  'metrics'?: (_consort_v1_RoundMetrics | null);
}

export interface RoundClosed__Output {
  'roundId': (string);
  'outcome': (string);
  'reason': (string);
  'modelVersionId': (string);
  'metrics': (_consort_v1_RoundMetrics__Output | null);
}
