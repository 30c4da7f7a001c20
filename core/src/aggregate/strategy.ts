// Aggregation strategies: how a round is configured and how the (already summed) input becomes
// the next global model. The round loop is written once; strategies only configure/aggregate.
import type { ModelSpec } from '../model/model-spec.ts';
import { ConsortError } from '../errors/consort-error.ts';

/** Local training settings sent to members in a round. */
export interface TrainSettings {
  localEpochs: number;
  batchSize: number;
  learningRate: number;
  /** FedProx proximal term (Li et al., MLSys 2020); 0 means plain FedAvg. */
  proximalMu: number;
}

/** The only thing a strategy ever sees of the members: their sum. */
export interface AggregateInput {
  /** Σ_k n_k · w_k over the members that survived the round. */
  weightedSum: Float64Array;
  /** Σ_k n_k. */
  totalExamples: number;
  contributions: number;
}

export interface Strategy {
  readonly name: string;
  configureTrain(round: number, base: TrainSettings): TrainSettings;
  aggregateTrain(global: Float32Array, input: AggregateInput, spec: ModelSpec): Float32Array;
}

/** Federated averaging with example weights (McMahan et al., AISTATS 2017). */
export class FedAvg implements Strategy {
  readonly name = 'fedavg';

  configureTrain(_round: number, base: TrainSettings): TrainSettings {
    return { ...base };
  }

  aggregateTrain(global: Float32Array, input: AggregateInput): Float32Array {
    checkAggregateInput(global, input);
    const out = new Float32Array(global.length);
    for (let i = 0; i < out.length; i++) out[i] = input.weightedSum[i] / input.totalExamples;
    return out;
  }
}

/**
 * What every strategy checks before it averages: the sum has the model's size and covers at
 * least one example (a mean over none would publish NaN weights).
 */
export function checkAggregateInput(global: Float32Array, input: AggregateInput): void {
  if (input.weightedSum.length !== global.length) {
    throw new ConsortError('UPDATE_SHAPE_MISMATCH', `aggregate has ${input.weightedSum.length} values, model has ${global.length}`,
      { expected: global.length, got: input.weightedSum.length });
  }
  if (!(input.totalExamples > 0)) {
    throw new ConsortError('INVALID_ARGUMENT', `totalExamples must be > 0 to average (got ${input.totalExamples})`, { option: 'totalExamples' });
  }
}
