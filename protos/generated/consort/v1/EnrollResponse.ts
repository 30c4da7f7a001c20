// Original file: protos/consort/v1/member.proto


export interface EnrollResponse {
  'memberId'?: (string);
  'federationId'?: (string);
  'federationName'?: (string);
}

export interface EnrollResponse__Output {
  'memberId': (string);
  'federationId': (string);
  'federationName': (string);
}
