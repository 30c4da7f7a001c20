// Original file: protos/consort/v1/secagg.proto

import type { EncryptedShare as _consort_v1_EncryptedShare, EncryptedShare__Output as _consort_v1_EncryptedShare__Output } from '../../consort/v1/EncryptedShare';

export interface ShareKeys {
  'shares'?: (_consort_v1_EncryptedShare)[];
}

export interface ShareKeys__Output {
  'shares': (_consort_v1_EncryptedShare__Output)[];
}
