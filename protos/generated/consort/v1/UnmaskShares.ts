// Original file: protos/consort/v1/secagg.proto

import type { RevealedShare as _consort_v1_RevealedShare, RevealedShare__Output as _consort_v1_RevealedShare__Output } from '../../consort/v1/RevealedShare';

export interface UnmaskShares {
  'shares'?: (_consort_v1_RevealedShare)[];
}

export interface UnmaskShares__Output {
  'shares': (_consort_v1_RevealedShare__Output)[];
}
