// Original file: protos/consort/v1/common.proto


export interface TensorLayout {
  'name'?: (string);
  'shape'?: (number)[];
}

export interface TensorLayout__Output {
  'name': (string);
  'shape': (number)[];
}
