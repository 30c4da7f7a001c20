// Original file: protos/consort/v1/admin.proto


export interface ListRoundsRequest {
  'taskId'?: (string);
}

export interface ListRoundsRequest__Output {
  'taskId': (string);
}
