// Original file: protos/consort/v1/member.proto


export interface DeclineRoundAck {
  'accepted'?: (boolean);
  'detail'?: (string);
}

export interface DeclineRoundAck__Output {
  'accepted': (boolean);
  'detail': (string);
}
