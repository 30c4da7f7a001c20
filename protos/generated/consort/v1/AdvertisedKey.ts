// Original file: protos/consort/v1/secagg.proto

import type { AdvertiseKeys as _consort_v1_AdvertiseKeys, AdvertiseKeys__Output as _consort_v1_AdvertiseKeys__Output } from '../../consort/v1/AdvertiseKeys';

export interface AdvertisedKey {
  'memberId'?: (string);
  'keys'?: (_consort_v1_AdvertiseKeys | null);
  'identityPublicKey'?: (Buffer | Uint8Array | string);
}

export interface AdvertisedKey__Output {
  'memberId': (string);
  'keys': (_consort_v1_AdvertiseKeys__Output | null);
  'identityPublicKey': (Buffer);
}
