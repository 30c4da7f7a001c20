// Original file: protos/consort/v1/secagg.proto


export interface ConsistencyRequest {
  'roundId'?: (string);
  'survivors'?: (string)[];
}

export interface ConsistencyRequest__Output {
  'roundId': (string);
  'survivors': (string)[];
}
