// Original file: protos/consort/v1/common.proto


export interface TrainConfig {
  'localEpochs'?: (number);
  'batchSize'?: (number);
  'learningRate'?: (number | string);
  'proximalMu'?: (number | string);
  'dpClipNorm'?: (number | string);
}

export interface TrainConfig__Output {
  'localEpochs': (number);
  'batchSize': (number);
  'learningRate': (number);
  'proximalMu': (number);
  'dpClipNorm': (number);
}
