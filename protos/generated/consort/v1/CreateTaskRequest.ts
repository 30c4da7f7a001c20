// Original file: protos/consort/v1/admin.proto


export interface CreateTaskRequest {
  'federationId'?: (string);
  'definitionJson'?: (string);
}

export interface CreateTaskRequest__Output {
  'federationId': (string);
  'definitionJson': (string);
}
