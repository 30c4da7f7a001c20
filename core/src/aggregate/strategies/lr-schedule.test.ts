// Local learning-rate schedules: values per round and the wrapper around a strategy.
import { describe, expect, it } from 'vitest';
import { FedAvg, type TrainSettings } from '../strategy.ts';
import { LrScheduled, learningRateFactor } from './lr-schedule.ts';
import { FedAdam } from './server-optimizers.ts';
import { isConsortError } from '../../errors/consort-error.ts';

const base: TrainSettings = { localEpochs: 2, batchSize: 32, learningRate: 0.1, proximalMu: 0 };

describe('learning-rate schedules', () => {
  it('constant keeps the task rate', () => {
    expect([1, 2, 50].map((r) => learningRateFactor({ kind: 'constant' }, r))).toEqual([1, 1, 1]);
  });

  it('exponential decays by `decay` per round from round 1', () => {
    const f = [1, 2, 3, 11].map((r) => learningRateFactor({ kind: 'exponential', decay: 0.5 }, r));
    expect(f).toEqual([1, 0.5, 0.25, 0.5 ** 10]);
  });

  it('cosine goes from 1 down over R rounds, halfway at R/2, held after R, never 0', () => {
    const s = { kind: 'cosine', rounds: 4 } as const;
    const f = [1, 2, 3, 4, 5, 100].map((r) => learningRateFactor(s, r));
    expect(f[0]).toBe(1);
    expect(f[1]).toBeCloseTo((1 + Math.SQRT1_2) / 2, 12);
    expect(f[2]).toBeCloseTo(0.5, 12);
    expect(f[3]).toBeCloseTo((1 - Math.SQRT1_2) / 2, 12);
    expect(f[4]).toBe(f[3]);
    expect(f[5]).toBe(f[3]);
    for (let i = 1; i < 4; i++) expect(f[i]).toBeLessThan(f[i - 1]);
  });

  it('rejects round 0 and bad schedules naming the option', () => {
    expect(() => learningRateFactor({ kind: 'constant' }, 0)).toThrow(/round/);
    const bad: Array<[unknown, string]> = [
      [{ kind: 'cosine' }, 'lrSchedule.rounds'],
      [{ kind: 'exponential', decay: 1.5 }, 'lrSchedule.decay'],
      [{ kind: 'exponential', decay: 0.9, rounds: 3 }, 'lrSchedule.rounds'],
      [{ kind: 'step' }, 'lrSchedule.kind'],
    ];
    for (const [schedule, option] of bad) {
      try { new LrScheduled(new FedAvg(), schedule as never); expect.unreachable(); } catch (e) {
        expect(isConsortError(e, 'INVALID_ARGUMENT')).toBe(true);
        expect((e as { details: { option: string } }).details.option).toBe(option);
      }
    }
  });
});

describe('LrScheduled wrapper', () => {
  it('changes only learningRate, per round, and leaves the base settings alone', () => {
    const s = new LrScheduled(new FedAvg(), { kind: 'exponential', decay: 0.5 });
    expect(s.name).toBe('fedavg');
    expect(s.configureTrain(1, base)).toEqual(base);
    expect(s.configureTrain(3, base)).toEqual({ ...base, learningRate: 0.025 });
    expect(base.learningRate).toBe(0.1);
  });

  it('aggregates and persists through the inner strategy', () => {
    const inner = new FedAdam();
    const s = new LrScheduled(inner, { kind: 'constant' });
    s.aggregateTrain(new Float32Array(2), { weightedSum: Float64Array.of(1, 1), totalExamples: 1, contributions: 1 }, { kind: 'logistic', task: 'binary', inputDim: 1 });
    expect(s.state()).toEqual(inner.state());
    expect(s.state().steps).toBe(1);
    expect(new LrScheduled(new FedAvg(), { kind: 'constant' }).state()).toEqual({});
    expect(() => new LrScheduled(new FedAvg(), { kind: 'constant' }).restore({ m: [1] })).toThrow(/keeps no state/);
  });
});
