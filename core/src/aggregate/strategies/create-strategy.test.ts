// The strategy factory: defaults in one place, misplaced options rejected, schedules applied.
import { describe, expect, it } from 'vitest';
import { createStrategy } from './create-strategy.ts';
import { resolveStrategyOptions, STRATEGY_DEFAULTS, type StrategyOptions } from './strategy-options.ts';
import { LrScheduled } from './lr-schedule.ts';
import { FedAdam, FedAvgM, FedYogi } from './server-optimizers.ts';
import { FedAvg } from '../strategy.ts';
import { isConsortError } from '../../errors/consort-error.ts';

describe('createStrategy', () => {
  it('builds each strategy with the documented defaults, wrapped in its schedule', () => {
    const expected = { fedavg: FedAvg, fedavgm: FedAvgM, fedadam: FedAdam, fedyogi: FedYogi };
    for (const [name, type] of Object.entries(expected)) {
      const s = createStrategy({ name: name as StrategyOptions['name'] });
      expect(s.name).toBe(name);
      expect(s).toBeInstanceOf(LrScheduled);
      expect((s as LrScheduled).inner).toBeInstanceOf(type);
    }
    expect((createStrategy({ name: 'fedadam' }) as LrScheduled).inner).toMatchObject({ options: STRATEGY_DEFAULTS.fedadam });
    expect(resolveStrategyOptions({ name: 'fedavgm' })).toEqual({ name: 'fedavgm', lrSchedule: { kind: 'constant' }, serverLearningRate: 1, momentum: 0.9 });
    expect(resolveStrategyOptions({ name: 'fedyogi', tau: 0.01, lrSchedule: { kind: 'exponential' } })).toEqual({
      name: 'fedyogi', lrSchedule: { kind: 'exponential', decay: 0.95 }, serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 0.01,
    });
  });

  it('passes options through and applies the schedule to local training', () => {
    const s = createStrategy({ name: 'fedavgm', momentum: 0.5, lrSchedule: { kind: 'cosine', rounds: 2 } });
    expect((s as LrScheduled).inner).toMatchObject({ options: { momentum: 0.5, serverLearningRate: 1 } });
    const base = { localEpochs: 1, batchSize: 8, learningRate: 0.2, proximalMu: 0 };
    expect(s.configureTrain(2, base).learningRate).toBeCloseTo(0.1, 12);
  });

  it('rejects unknown names, out-of-range values and options of another strategy, naming the option', () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'fedprox' }, 'name'],
      [{ name: 'fedadam', beta1: 1 }, 'beta1'],
      [{ name: 'fedyogi', beta2: -0.1 }, 'beta2'],
      [{ name: 'fedadam', tau: 0 }, 'tau'],
      [{ name: 'fedavgm', serverLearningRate: Infinity }, 'serverLearningRate'],
      [{ name: 'fedavgm', momentum: 1 }, 'momentum'],
      [{ name: 'fedadam', momentum: 0.9 }, 'momentum'],
      [{ name: 'fedavg', serverLearningRate: 1 }, 'serverLearningRate'],
      [{ name: 'fedavgm', beta1: 0.9 }, 'beta1'],
      [{ name: 'fedadam', eta: 0.1 }, 'eta'],
      [{ name: 'fedavg', lrSchedule: { kind: 'cosine' } }, 'lrSchedule.rounds'],
    ];
    for (const [options, option] of cases) {
      try { createStrategy(options as StrategyOptions); expect.unreachable(`${JSON.stringify(options)} accepted`); } catch (e) {
        expect(isConsortError(e, 'INVALID_ARGUMENT'), JSON.stringify(options)).toBe(true);
        expect((e as { details: { option: string } }).details.option).toBe(option);
      }
    }
  });

  it('round-trips state through the wrapper', () => {
    const a = createStrategy({ name: 'fedyogi' });
    a.aggregateTrain(new Float32Array(2), { weightedSum: Float64Array.of(1, -1), totalExamples: 1, contributions: 1 }, { kind: 'logistic', task: 'binary', inputDim: 1 });
    const b = createStrategy({ name: 'fedyogi' });
    b.restore(JSON.parse(JSON.stringify(a.state())));
    expect(b.state()).toEqual(a.state());
  });
});
