// Original file: protos/consort/v1/secagg.proto

import type { SurvivorSignature as _consort_v1_SurvivorSignature, SurvivorSignature__Output as _consort_v1_SurvivorSignature__Output } from '../../consort/v1/SurvivorSignature';

export interface UnmaskRequest {
  'roundId'?: (string);
  'survivors'?: (string)[];
  'dropped'?: (string)[];
  'signatures'?: (_consort_v1_SurvivorSignature)[];
}

export interface UnmaskRequest__Output {
  'roundId': (string);
  'survivors': (string)[];
  'dropped': (string)[];
  'signatures': (_consort_v1_SurvivorSignature__Output)[];
}
