// Original file: protos/consort/v1/member.proto


export interface PlainInputHeader {
  'numExamples'?: (number | string);
  'trainLossSum'?: (number | string);
  'evalLossSum'?: (number | string);
  'evalExamples'?: (number | string);
  'evalHistPos'?: (number | string)[];
  'evalHistNeg'?: (number | string)[];
  'dtype'?: (string);
  'rowsSkipped'?: (number | string);
  'evalAbsErrSum'?: (number | string);
  'evalLabelSum'?: (number | string);
  'evalLabelSquareSum'?: (number | string);
}

export interface PlainInputHeader__Output {
  'numExamples': (number);
  'trainLossSum': (number);
  'evalLossSum': (number);
  'evalExamples': (number);
  'evalHistPos': (number)[];
  'evalHistNeg': (number)[];
  'dtype': (string);
  'rowsSkipped': (number);
  'evalAbsErrSum': (number);
  'evalLabelSum': (number);
  'evalLabelSquareSum': (number);
}
