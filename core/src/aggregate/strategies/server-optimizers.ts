// Server-side optimizers (FedOpt): the mean update is a pseudo-gradient for a server optimizer.
import { checkAggregateInput, type AggregateInput, type TrainSettings } from '../strategy.ts';
import { ConsortError } from '../../errors/consort-error.ts';
import {
  resolveAdaptiveOptions, resolveMomentumOptions, type AdaptiveOptions, type MomentumOptions,
} from './strategy-options.ts';
import { checkStateKeys, readStateCount, readStateVector, type StatefulStrategy, type StrategyState } from './stateful.ts';

/**
 * Pseudo-gradient Δ = mean_k(w_k) − w_global with mean = Σ n_k·w_k / Σ n_k (Reddi et al.,
 * "Adaptive Federated Optimization", ICLR 2021, Algorithm 2). Only the secure sum is needed, so
 * these optimizers work behind secure aggregation, unlike median or Krum.
 */
export function pseudoGradient(global: Float32Array, input: AggregateInput): Float64Array {
  checkAggregateInput(global, input);
  const delta = new Float64Array(global.length);
  for (let i = 0; i < delta.length; i++) delta[i] = input.weightedSum[i] / input.totalExamples - global[i];
  return delta;
}

/**
 * The shared shape of FedOpt: configure like FedAvg, aggregate as w ← w + step(Δ). State lives in
 * float64 so rounding does not accumulate across rounds; it is created on the first aggregate,
 * when the model size is known.
 */
abstract class ServerOptimizer implements StatefulStrategy {
  abstract readonly name: string;
  /** Server steps taken so far (rounds aggregated). */
  protected steps = 0;

  configureTrain(_round: number, base: TrainSettings): TrainSettings {
    return { ...base };
  }

  aggregateTrain(global: Float32Array, input: AggregateInput): Float32Array {
    const delta = pseudoGradient(global, input);
    this.ensureSize(delta.length);
    const step = this.step(delta);
    this.steps++;
    const out = new Float32Array(global.length);
    for (let i = 0; i < out.length; i++) out[i] = global[i] + step[i];
    return out;
  }

  /** Updates the optimizer state with Δ and returns the server step to add to the model. */
  protected abstract step(delta: Float64Array): Float64Array;
  /** Allocates state for a model of `length` values, or throws if the model size changed. */
  protected abstract ensureSize(length: number): void;
  abstract state(): StrategyState;
  abstract restore(state: StrategyState): void;

  protected checkSize(have: Float64Array | null, length: number): void {
    if (have !== null && have.length !== length) {
      throw new ConsortError('UPDATE_SHAPE_MISMATCH', `${this.name} state has ${have.length} values, model has ${length}`,
        { expected: have.length, got: length });
    }
  }
}

/**
 * FedAvgM: server momentum (Hsu, Qi & Brown, "Measuring the Effects of Non-Identical Data
 * Distribution for Federated Visual Classification", 2019): v ← β·v + Δ; w ← w + η·v.
 * With β = 0 and η = 1 this is FedAvg.
 */
export class FedAvgM extends ServerOptimizer {
  readonly name = 'fedavgm';
  readonly options: Readonly<MomentumOptions>;
  private velocity: Float64Array | null = null;

  constructor(options: Partial<MomentumOptions> = {}) {
    super();
    this.options = Object.freeze(resolveMomentumOptions(options));
  }

  protected ensureSize(length: number): void {
    this.checkSize(this.velocity, length);
    this.velocity ??= new Float64Array(length);
  }

  protected step(delta: Float64Array): Float64Array {
    const v = this.velocity as Float64Array;
    const { momentum, serverLearningRate } = this.options;
    const out = new Float64Array(delta.length);
    for (let i = 0; i < delta.length; i++) {
      v[i] = momentum * v[i] + delta[i];
      out[i] = serverLearningRate * v[i];
    }
    return out;
  }

  state(): StrategyState {
    return { steps: this.steps, velocity: this.velocity ? Array.from(this.velocity) : [] };
  }

  restore(state: StrategyState): void {
    checkStateKeys(state, ['steps', 'velocity']);
    const steps = readStateCount(state, 'steps');
    const velocity = readStateVector(state, 'velocity');
    this.steps = steps;
    this.velocity = velocity.length === 0 ? null : velocity;
  }
}

/**
 * FedAdam and FedYogi share everything but the second-moment rule (Reddi et al., ICLR 2021,
 * Algorithm 2): m ← β1·m + (1−β1)·Δ; v ← rule(v, Δ²); w ← w + η·m / (√v + τ).
 * As in the paper there is no bias correction, and v starts at τ² (the paper asks v₋₁ ≥ τ²), so
 * the first steps are bounded by η/(2τ)·|m| rather than blowing up on a tiny Δ.
 */
abstract class AdaptiveServerOptimizer extends ServerOptimizer {
  readonly options: Readonly<AdaptiveOptions>;
  private m: Float64Array | null = null;
  private v: Float64Array | null = null;

  constructor(name: 'fedadam' | 'fedyogi', options: Partial<AdaptiveOptions>) {
    super();
    this.options = Object.freeze(resolveAdaptiveOptions(name, options));
  }

  /** New second moment of one coordinate from the old one and Δ². */
  protected abstract secondMoment(v: number, deltaSquared: number): number;

  protected ensureSize(length: number): void {
    this.checkSize(this.m, length);
    if (this.m === null || this.v === null) {
      this.m = new Float64Array(length);
      this.v = new Float64Array(length).fill(this.options.tau * this.options.tau);
    }
  }

  protected step(delta: Float64Array): Float64Array {
    const m = this.m as Float64Array;
    const v = this.v as Float64Array;
    const { beta1, tau, serverLearningRate } = this.options;
    const out = new Float64Array(delta.length);
    for (let i = 0; i < delta.length; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * delta[i];
      v[i] = this.secondMoment(v[i], delta[i] * delta[i]);
      out[i] = (serverLearningRate * m[i]) / (Math.sqrt(v[i]) + tau);
    }
    return out;
  }

  state(): StrategyState {
    return { steps: this.steps, m: this.m ? Array.from(this.m) : [], v: this.v ? Array.from(this.v) : [] };
  }

  restore(state: StrategyState): void {
    checkStateKeys(state, ['steps', 'm', 'v']);
    const steps = readStateCount(state, 'steps');
    const m = readStateVector(state, 'm');
    const v = readStateVector(state, 'v', m.length);
    for (let i = 0; i < v.length; i++) {
      if (v[i] < 0) throw new ConsortError('INVALID_ARGUMENT', `strategy state "v" has a negative second moment at index ${i}`, { option: 'v' });
    }
    this.steps = steps;
    [this.m, this.v] = m.length === 0 ? [null, null] : [m, v];
  }
}

/** FedAdam (Reddi et al., ICLR 2021): v ← β2·v + (1−β2)·Δ². */
export class FedAdam extends AdaptiveServerOptimizer {
  readonly name = 'fedadam';

  constructor(options: Partial<AdaptiveOptions> = {}) {
    super('fedadam', options);
  }

  protected secondMoment(v: number, deltaSquared: number): number {
    return this.options.beta2 * v + (1 - this.options.beta2) * deltaSquared;
  }
}

/**
 * FedYogi (Reddi et al., ICLR 2021; Yogi of Zaheer et al., NeurIPS 2018):
 * v ← v − (1−β2)·Δ²·sign(v − Δ²). v moves additively towards Δ², so one large pseudo-gradient
 * cannot shrink the effective rate as abruptly as Adam's multiplicative forgetting.
 */
export class FedYogi extends AdaptiveServerOptimizer {
  readonly name = 'fedyogi';

  constructor(options: Partial<AdaptiveOptions> = {}) {
    super('fedyogi', options);
  }

  protected secondMoment(v: number, deltaSquared: number): number {
    return v - (1 - this.options.beta2) * deltaSquared * Math.sign(v - deltaSquared);
  }
}

