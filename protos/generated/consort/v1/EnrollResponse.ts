// Original file: protos/consort/v1/member.proto


export interface EnrollResponse {
  'memberId'?: (string);
  'federationId'?: (string);
  'federationName'?: (string);
  'coordinatorPublicKey'?: (Buffer | Uint8Array | string);
}

export interface EnrollResponse__Output {
  'memberId': (string);
  'federationId': (string);
  'federationName': (string);
  'coordinatorPublicKey': (Buffer);
}
