// Original file: protos/consort/v1/admin.proto


export interface Task {
  'id'?: (string);
  'name'?: (string);
  'initialModelVersionId'?: (string);
}

export interface Task__Output {
  'id': (string);
  'name': (string);
  'initialModelVersionId': (string);
}
