// Original file: protos/consort/v1/admin.proto

import type { RoundInfo as _consort_v1_RoundInfo, RoundInfo__Output as _consort_v1_RoundInfo__Output } from '../../consort/v1/RoundInfo';

export interface RoundList {
  'rounds'?: (_consort_v1_RoundInfo)[];
}

export interface RoundList__Output {
  'rounds': (_consort_v1_RoundInfo__Output)[];
}
