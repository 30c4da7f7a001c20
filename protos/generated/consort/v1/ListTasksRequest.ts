// Original file: protos/consort/v1/admin.proto


export interface ListTasksRequest {
  'federationId'?: (string);
}

export interface ListTasksRequest__Output {
  'federationId': (string);
}
