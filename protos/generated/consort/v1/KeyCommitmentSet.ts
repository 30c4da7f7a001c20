// Original file: protos/consort/v1/secagg.proto

import type { CommittedKey as _consort_v1_CommittedKey, CommittedKey__Output as _consort_v1_CommittedKey__Output } from '../../consort/v1/CommittedKey';

export interface KeyCommitmentSet {
  'roundId'?: (string);
  'commitments'?: (_consort_v1_CommittedKey)[];
}

export interface KeyCommitmentSet__Output {
  'roundId': (string);
  'commitments': (_consort_v1_CommittedKey__Output)[];
}
