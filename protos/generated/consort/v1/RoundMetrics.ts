// Original file: protos/consort/v1/common.proto

import type { RoundWarning as _consort_v1_RoundWarning, RoundWarning__Output as _consort_v1_RoundWarning__Output } from '../../consort/v1/RoundWarning';

export interface RoundMetrics {
  'participants'?: (number);
  'numExamples'?: (number | string);
  'trainLoss'?: (number | string);
  'evalLoss'?: (number | string);
  'evalAuc'?: (number | string);
  'evalExamples'?: (number | string);
  'stageSeconds'?: ({[key: string]: number | string});
  'warnings'?: (_consort_v1_RoundWarning)[];
  '_trainLoss'?: "trainLoss";
  '_evalLoss'?: "evalLoss";
  '_evalAuc'?: "evalAuc";
}

export interface RoundMetrics__Output {
  'participants': (number);
  'numExamples': (number);
  'trainLoss'?: (number);
  'evalLoss'?: (number);
  'evalAuc'?: (number);
  'evalExamples': (number);
  'stageSeconds': ({[key: string]: number});
  'warnings': (_consort_v1_RoundWarning__Output)[];
  '_trainLoss'?: "trainLoss";
  '_evalLoss'?: "evalLoss";
  '_evalAuc'?: "evalAuc";
}
