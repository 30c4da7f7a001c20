// Original file: protos/consort/v1/member.proto


export interface StageAck {
  'accepted'?: (boolean);
  'detail'?: (string);
}

export interface StageAck__Output {
  'accepted': (boolean);
  'detail': (string);
}
