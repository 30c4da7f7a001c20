// Original file: protos/consort/v1/secagg.proto


export interface KeyCommitment {
  'commitment'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface KeyCommitment__Output {
  'commitment': (Buffer);
  'signature': (Buffer);
}
