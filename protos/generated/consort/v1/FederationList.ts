// Original file: protos/consort/v1/admin.proto

import type { FederationInfo as _consort_v1_FederationInfo, FederationInfo__Output as _consort_v1_FederationInfo__Output } from '../../consort/v1/FederationInfo';

export interface FederationList {
  'federations'?: (_consort_v1_FederationInfo)[];
}

export interface FederationList__Output {
  'federations': (_consort_v1_FederationInfo__Output)[];
}
