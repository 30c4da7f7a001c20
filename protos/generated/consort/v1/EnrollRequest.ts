// Original file: protos/consort/v1/member.proto


export interface EnrollRequest {
  'enrollmentToken'?: (string);
  'identityPublicKey'?: (Buffer | Uint8Array | string);
  'displayName'?: (string);
  'proofOfPossession'?: (Buffer | Uint8Array | string);
}

export interface EnrollRequest__Output {
  'enrollmentToken': (string);
  'identityPublicKey': (Buffer);
  'displayName': (string);
  'proofOfPossession': (Buffer);
}
