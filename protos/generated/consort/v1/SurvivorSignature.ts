// Original file: protos/consort/v1/secagg.proto


export interface SurvivorSignature {
  'memberId'?: (string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface SurvivorSignature__Output {
  'memberId': (string);
  'signature': (Buffer);
}
