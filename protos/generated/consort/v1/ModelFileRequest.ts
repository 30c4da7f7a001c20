// Original file: protos/consort/v1/common.proto


export interface ModelFileRequest {
  'taskId'?: (string);
  'version'?: (number);
  'modelVersionId'?: (string);
  'allowUnaudited'?: (boolean);
}

export interface ModelFileRequest__Output {
  'taskId': (string);
  'version': (number);
  'modelVersionId': (string);
  'allowUnaudited': (boolean);
}
