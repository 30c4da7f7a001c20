// Original file: protos/consort/v1/admin.proto


export interface CreateEnrollmentTokensRequest {
  'federationId'?: (string);
  'count'?: (number);
  'ttlSeconds'?: (number);
}

export interface CreateEnrollmentTokensRequest__Output {
  'federationId': (string);
  'count': (number);
  'ttlSeconds': (number);
}
