// Task definitions: the dropout tolerance that sizes the secure-aggregation graph, and the training defaults.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { DEFAULT_DROPOUT_TOLERANCE } from '../secagg/params.ts';
import { resolveTaskDefinition, type TaskDefinitionInput } from './task-definition.ts';

const base: TaskDefinitionInput = { name: 'churn', label: 'churned', numeric: ['recency_days'] };

describe('task definition: dropoutTolerance', () => {
  it('defaults to 0.1 and keeps a declared value', () => {
    expect(resolveTaskDefinition(base).dropoutTolerance).toBe(DEFAULT_DROPOUT_TOLERANCE);
    expect(resolveTaskDefinition({ ...base, dropoutTolerance: 0.3 }).dropoutTolerance).toBe(0.3);
  });

  for (const bad of [0.5, -0.1, Number.NaN]) {
    it(`refuses ${bad}, naming the field`, () => {
      let err: unknown;
      try {
        resolveTaskDefinition({ ...base, dropoutTolerance: bad });
      } catch (e) {
        err = e;
      }
      expect(isConsortError(err) && err.code).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toBe(
        'task definition field "dropoutTolerance": must be in [0, 0.5): the fraction of members a round may lose (e.g. 0.3); beyond half no secure round can finish',
      );
    });
  }
});

describe('task definition: training defaults', () => {
  it('trains until early stopping with a generous cap, FedAvg and two local epochs, without any setting', () => {
    const d = resolveTaskDefinition(base);
    expect(d.earlyStopping).toEqual({ patience: 10, minDelta: 1e-4 });
    expect(d.maxRounds).toBe(200);
    expect(d.strategy).toEqual({ name: 'fedavg' });
    expect(d.train).toEqual({ localEpochs: 2, batchSize: 64, learningRate: 0.05, proximalMu: 0 });
  });

  it('keeps what the operator wrote and fills the rest', () => {
    const d = resolveTaskDefinition({ ...base, earlyStopping: { patience: 3 }, maxRounds: 40, strategy: { name: 'fedadam' }, train: { localEpochs: 1 } });
    expect(d.earlyStopping).toEqual({ patience: 3, minDelta: 1e-4 });
    expect(d.maxRounds).toBe(40);
    expect(d.strategy).toEqual({ name: 'fedadam' });
    expect(d.train).toEqual({ localEpochs: 1, batchSize: 64, learningRate: 0.05, proximalMu: 0 });
  });

  it('turns early stopping off with false', () => {
    expect(resolveTaskDefinition({ ...base, earlyStopping: false }).earlyStopping).toBeUndefined();
  });

  it('refuses a bad cap or patience, naming the field', () => {
    expect(() => resolveTaskDefinition({ ...base, maxRounds: 0 })).toThrow(/field "maxRounds": must be an integer ≥ 1/);
    expect(() => resolveTaskDefinition({ ...base, earlyStopping: { patience: 0 } })).toThrow(/field "earlyStopping": early stopping option "patience"/);
  });
});
