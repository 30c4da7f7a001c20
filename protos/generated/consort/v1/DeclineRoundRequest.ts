// Original file: protos/consort/v1/member.proto


export interface DeclineRoundRequest {
  'roundId'?: (string);
  'code'?: (string);
  'reason'?: (string);
}

export interface DeclineRoundRequest__Output {
  'roundId': (string);
  'code': (string);
  'reason': (string);
}
