// Original file: protos/consort/v1/common.proto


export interface RoundWarning {
  'code'?: (string);
  'message'?: (string);
  'column'?: (string);
}

export interface RoundWarning__Output {
  'code': (string);
  'message': (string);
  'column': (string);
}
