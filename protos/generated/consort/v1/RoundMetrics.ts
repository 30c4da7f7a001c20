// Original file: protos/consort/v1/common.proto


export interface RoundMetrics {
  'participants'?: (number);
  'numExamples'?: (number | string);
  'trainLoss'?: (number | string);
  'evalLoss'?: (number | string);
  'evalAuc'?: (number | string);
  'evalExamples'?: (number | string);
  'stageSeconds'?: ({[key: string]: number | string});
}

export interface RoundMetrics__Output {
  'participants': (number);
  'numExamples': (number);
  'trainLoss': (number);
  'evalLoss': (number);
  'evalAuc': (number);
  'evalExamples': (number);
  'stageSeconds': ({[key: string]: number});
}
