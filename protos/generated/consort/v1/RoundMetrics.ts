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
  'privacyEpsilon'?: (number | string);
  'privacyMemberEpsilon'?: (number | string);
  'privacyDelta'?: (number | string);
  'privacyBudgetEpsilon'?: (number | string);
  '_trainLoss'?: "trainLoss";
  '_evalLoss'?: "evalLoss";
  '_evalAuc'?: "evalAuc";
  '_privacyEpsilon'?: "privacyEpsilon";
  '_privacyMemberEpsilon'?: "privacyMemberEpsilon";
  '_privacyDelta'?: "privacyDelta";
  '_privacyBudgetEpsilon'?: "privacyBudgetEpsilon";
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
  'privacyEpsilon'?: (number);
  'privacyMemberEpsilon'?: (number);
  'privacyDelta'?: (number);
  'privacyBudgetEpsilon'?: (number);
  '_trainLoss'?: "trainLoss";
  '_evalLoss'?: "evalLoss";
  '_evalAuc'?: "evalAuc";
  '_privacyEpsilon'?: "privacyEpsilon";
  '_privacyMemberEpsilon'?: "privacyMemberEpsilon";
  '_privacyDelta'?: "privacyDelta";
  '_privacyBudgetEpsilon'?: "privacyBudgetEpsilon";
}
