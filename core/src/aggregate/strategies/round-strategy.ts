// A task's strategy as the round loop uses it: both halves of training and of evaluation
// (Flower's configure_fit / aggregate_fit / configure_evaluate / aggregate_evaluate), with client
// sampling inside. It wraps the aggregation rule (FedAvg, a server optimizer, a schedule) it holds.
import type { ModelSpec } from '../../model/model-spec.ts';
import { aucFromHistograms } from '../../metrics/auc.ts';
import { binaryEvaluation, type BinaryEvaluation } from '../../metrics/from-histograms.ts';
import { regressionEvaluation } from '../../metrics/regression.ts';
import type { AggregateInput, TrainSettings } from '../strategy.ts';
import { sampleMembers } from './client-sampling.ts';
import type { StatefulStrategy, StrategyState } from './stateful.ts';

/** Which members a round asks (sorted as sampled), and for training their local settings. */
export interface TrainInstructions {
  members: string[];
  settings: TrainSettings;
}

export interface EvaluateInstructions {
  members: string[];
}

/** Client sampling: FedAvg's client fraction C, at least `minMembers`, reproducible from the seed. */
export interface SamplingOptions {
  /** Share of the eligible members invited to a training round, in (0, 1]. */
  fraction: number;
  minMembers: number;
  seed: number;
}

/** The summed held-out quantities of an evaluation (a round's members' sums, nothing per member). */
export interface EvaluationSums {
  task: 'binary' | 'regression';
  examples: number;
  /** Σ loss (binary: log loss; regression: squared error in standardized target units). */
  lossSum: number;
  /** Regression: Σ|error|, Σy and Σy² in standardized target units. */
  absErrSum: number;
  labelSum: number;
  labelSquareSum: number;
  /** Binary: score histograms of positives and negatives. */
  histPos: ArrayLike<number>;
  histNeg: ArrayLike<number>;
  /** Regression: the target's scale, to report errors in its units. */
  target: { mean: number; std: number };
}

/** The federated held-out quality; null fields were not measured (no rows, or not this task). */
export interface EvaluationMetrics {
  loss: number | null;
  auc: number | null;
  detail?: BinaryEvaluation;
  rmse?: number;
  mae?: number;
  r2?: number | null;
}

export class RoundStrategy {
  readonly name: string;

  constructor(readonly inner: StatefulStrategy, readonly sampling: SamplingOptions) {
    this.name = inner.name;
  }

  /** configure_fit: the sampled members of round `round` and their local settings. */
  configureTrain(round: number, base: TrainSettings, eligible: readonly string[]): TrainInstructions {
    const { fraction, minMembers, seed } = this.sampling;
    const members = fraction < 1 ? sampleMembers([...eligible], fraction, minMembers, seed, round) : [...eligible];
    return { members, settings: this.inner.configureTrain(round, base) };
  }

  /** aggregate_fit: the next global model from the round's sum. */
  aggregateTrain(global: Float32Array, input: AggregateInput, spec: ModelSpec): Float32Array {
    return this.inner.aggregateTrain(global, input, spec);
  }

  /** configure_evaluate: statistics and evaluation ask every eligible member (the most rows). */
  configureEvaluate(_round: number, eligible: readonly string[]): EvaluateInstructions {
    return { members: [...eligible] };
  }

  /** aggregate_evaluate: losses, AUC and its threshold table, or regression errors, from sums only. */
  aggregateEvaluate(s: EvaluationSums): EvaluationMetrics {
    if (!(s.examples > 0)) return { loss: null, auc: null };
    if (s.task === 'regression') {
      const reg = regressionEvaluation({ squaredErrorSum: s.lossSum, absErrorSum: s.absErrSum, labelSum: s.labelSum, labelSquareSum: s.labelSquareSum, count: s.examples }, s.target);
      return { loss: (s.lossSum / s.examples) * s.target.std ** 2, auc: null, ...(reg ? { rmse: reg.rmse, mae: reg.mae, r2: reg.r2 } : {}) };
    }
    return { loss: s.lossSum / s.examples, auc: aucFromHistograms(Array.from(s.histPos), Array.from(s.histNeg)), detail: binaryEvaluation(s.histPos, s.histNeg) };
  }

  state(): StrategyState {
    return this.inner.state();
  }

  restore(state: StrategyState): void {
    this.inner.restore(state);
  }
}
