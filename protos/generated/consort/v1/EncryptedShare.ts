// Original file: protos/consort/v1/secagg.proto


export interface EncryptedShare {
  'fromMemberId'?: (string);
  'toMemberId'?: (string);
  'nonce'?: (Buffer | Uint8Array | string);
  'ciphertext'?: (Buffer | Uint8Array | string);
}

export interface EncryptedShare__Output {
  'fromMemberId': (string);
  'toMemberId': (string);
  'nonce': (Buffer);
  'ciphertext': (Buffer);
}
