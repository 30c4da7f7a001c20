// Original file: protos/consort/v1/member.proto


export interface UploadAck {
  'accepted'?: (boolean);
  'detail'?: (string);
}

export interface UploadAck__Output {
  'accepted': (boolean);
  'detail': (string);
}
