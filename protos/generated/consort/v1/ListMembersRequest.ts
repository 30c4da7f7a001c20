// Original file: protos/consort/v1/admin.proto


export interface ListMembersRequest {
  'federationId'?: (string);
}

export interface ListMembersRequest__Output {
  'federationId': (string);
}
