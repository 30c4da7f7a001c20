// Original file: protos/consort/v1/secagg.proto


export interface AdvertiseKeys {
  'encryptionPublicKey'?: (Buffer | Uint8Array | string);
  'maskPublicKey'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface AdvertiseKeys__Output {
  'encryptionPublicKey': (Buffer);
  'maskPublicKey': (Buffer);
  'signature': (Buffer);
}
