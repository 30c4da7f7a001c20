// Original file: protos/consort/v1/secagg.proto


export interface ConsistencySignature {
  'signature'?: (Buffer | Uint8Array | string);
}

export interface ConsistencySignature__Output {
  'signature': (Buffer);
}
