// Original file: protos/consort/v1/admin.proto


export interface CreateFederationRequest {
  'name'?: (string);
}

export interface CreateFederationRequest__Output {
  'name': (string);
}
