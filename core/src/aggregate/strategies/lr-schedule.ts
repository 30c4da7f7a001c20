// Local learning-rate schedules, applied by wrapping any strategy's configureTrain.
import type { AggregateInput, Strategy, TrainSettings } from '../strategy.ts';
import type { ModelSpec } from '../../model/model-spec.ts';
import { resolveLrSchedule, type LrScheduleOptions, type ResolvedLrSchedule } from './strategy-options.ts';
import { isStatefulStrategy, type StatefulStrategy, type StrategyState } from './stateful.ts';
import { ConsortError } from '../../errors/consort-error.ts';

/**
 * Factor applied to the task's local learning rate in `round` (rounds are numbered from 1).
 * Exponential decay (rate · decay^(round−1)) and cosine annealing over R rounds (Loshchilov &
 * Hutter, "SGDR", ICLR 2017, without restarts) shrink local steps as the global model settles,
 * which reduces client drift on heterogeneous data late in training. The cosine is sampled at
 * round−1 = 0..R−1 and then held: it never reaches 0, since a zero rate would waste the
 * members' work in rounds past R.
 */
export function learningRateFactor(schedule: ResolvedLrSchedule, round: number): number {
  if (!Number.isInteger(round) || round < 1) {
    throw new ConsortError('INVALID_ARGUMENT', `round must be an integer ≥ 1 (got ${round})`, { option: 'round' });
  }
  const t = round - 1;
  switch (schedule.kind) {
    case 'constant':
      return 1;
    case 'exponential':
      return schedule.decay ** t;
    case 'cosine':
      return (1 + Math.cos((Math.PI * Math.min(t, schedule.rounds - 1)) / schedule.rounds)) / 2;
  }
}

/**
 * Wraps a strategy so that each round's local learning rate follows a schedule; aggregation and
 * state are the inner strategy's. The schedule is a pure function of the round number, so it
 * needs no state of its own and survives restarts for free.
 */
export class LrScheduled implements StatefulStrategy {
  readonly name: string;
  readonly schedule: ResolvedLrSchedule;

  constructor(readonly inner: Strategy, schedule: LrScheduleOptions | ResolvedLrSchedule) {
    this.name = inner.name;
    this.schedule = resolveLrSchedule(schedule);
  }

  configureTrain(round: number, base: TrainSettings): TrainSettings {
    const settings = this.inner.configureTrain(round, base);
    return { ...settings, learningRate: settings.learningRate * learningRateFactor(this.schedule, round) };
  }

  aggregateTrain(global: Float32Array, input: AggregateInput, spec: ModelSpec): Float32Array {
    return this.inner.aggregateTrain(global, input, spec);
  }

  state(): StrategyState {
    return isStatefulStrategy(this.inner) ? this.inner.state() : {};
  }

  restore(state: StrategyState): void {
    if (isStatefulStrategy(this.inner)) {
      this.inner.restore(state);
    } else if (Object.keys(state).length > 0) {
      throw new ConsortError('INVALID_ARGUMENT', `strategy ${this.name} keeps no state, got keys ${Object.keys(state).join(', ')}`, { option: 'state' });
    }
  }
}
