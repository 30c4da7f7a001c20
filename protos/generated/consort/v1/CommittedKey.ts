// Original file: protos/consort/v1/secagg.proto

import type { KeyCommitment as _consort_v1_KeyCommitment, KeyCommitment__Output as _consort_v1_KeyCommitment__Output } from '../../consort/v1/KeyCommitment';

export interface CommittedKey {
  'memberId'?: (string);
  'commitment'?: (_consort_v1_KeyCommitment | null);
  'identityPublicKey'?: (Buffer | Uint8Array | string);
}

export interface CommittedKey__Output {
  'memberId': (string);
  'commitment': (_consort_v1_KeyCommitment__Output | null);
  'identityPublicKey': (Buffer);
}
