// Original file: protos/consort/v1/admin.proto


export interface Federation {
  'id'?: (string);
  'name'?: (string);
}

export interface Federation__Output {
  'id': (string);
  'name': (string);
}
