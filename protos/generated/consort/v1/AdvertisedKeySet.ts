// Original file: protos/consort/v1/secagg.proto

import type { AdvertisedKey as _consort_v1_AdvertisedKey, AdvertisedKey__Output as _consort_v1_AdvertisedKey__Output } from '../../consort/v1/AdvertisedKey';

export interface AdvertisedKeySet {
  'roundId'?: (string);
  'keys'?: (_consort_v1_AdvertisedKey)[];
  'graphSeed'?: (Buffer | Uint8Array | string);
}

export interface AdvertisedKeySet__Output {
  'roundId': (string);
  'keys': (_consort_v1_AdvertisedKey__Output)[];
  'graphSeed': (Buffer);
}
