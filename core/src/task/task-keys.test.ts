// Strict task files: an unknown key anywhere is refused with its path and the nearest valid key.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { resolveTaskDefinition, type TaskDefinitionInput } from './task-definition.ts';
import { checkTaskKeys, taskKeyPaths } from './task-keys.ts';

const base: TaskDefinitionInput = { name: 'churn', label: 'churned', numeric: ['recency_days'], categorical: { plan: ['basic', 'premium'] } };

function refusal(input: unknown): { message: string; details: unknown } {
  try {
    resolveTaskDefinition(input as TaskDefinitionInput);
  } catch (err) {
    expect(isConsortError(err) && err.code).toBe('INVALID_ARGUMENT');
    return { message: (err as Error).message, details: (err as { details?: unknown }).details };
  }
  throw new Error('the task definition was accepted');
}

describe('strict task keys', () => {
  it('refuses train.learningRat, naming the path and train.learningRate', () => {
    const { message, details } = refusal({ ...base, train: { learningRat: 0.1 } });
    expect(message).toContain('task definition field "train.learningRat": unknown key; did you mean train.learningRate?');
    expect(message).toContain('valid keys of train: localEpochs, batchSize, learningRate, proximalMu');
    expect(details).toMatchObject({ field: 'train.learningRat', suggestion: 'train.learningRate' });
  });

  it('checks every nested object: model, strategy and its schedule, earlyStopping, segmentation', () => {
    expect(refusal({ ...base, model: { kind: 'mlp', hiden: [8] } }).message).toContain('"model.hiden": unknown key; did you mean model.hidden?');
    expect(refusal({ ...base, strategy: { name: 'fedadam', serverLearningrate: 0.1 } }).message).toContain('did you mean strategy.serverLearningRate?');
    expect(refusal({ ...base, strategy: { name: 'fedavg', lrSchedule: { kind: 'exponential', decy: 0.9 } } }).message)
      .toContain('"strategy.lrSchedule.decy": unknown key; did you mean strategy.lrSchedule.decay?');
    expect(refusal({ ...base, earlyStopping: { patiense: 3 } }).message).toContain('did you mean earlyStopping.patience?');
    const seg = { name: 's', kind: 'segmentation', label: '', segmentation: { features: ['a', 'b'], k: { min: 2, mx: 4 } } };
    expect(refusal(seg).message).toContain('"segmentation.k.mx": unknown key; did you mean segmentation.k.max?');
    expect(refusal({ ...seg, segmentation: { features: ['a'], roles: { recent: 'a' } } }).message).toContain('did you mean segmentation.roles.recency?');
  });

  it('suggests a key put at the wrong level, and says so plainly when nothing is near', () => {
    expect(refusal({ ...base, learningRate: 0.1 }).message).toContain('"learningRate": unknown key; did you mean train.learningRate?');
    expect(refusal({ ...base, minMember: 3 }).message).toContain('did you mean minMembers?');
    const { message } = refusal({ ...base, colour: 'blue' });
    expect(message).toMatch(/^task definition field "colour": unknown key \(valid keys: name, kind, label/);
  });

  it('accepts the operator\'s own names where the file names columns, and every documented key', () => {
    expect(() => checkTaskKeys({ ...base, categorical: { anyColumnName: ['x'] } })).not.toThrow();
    expect(() => resolveTaskDefinition({
      ...base, kind: 'model', positiveLabel: ['1'], protected: ['gender'], model: { kind: 'mlp', task: 'binary', hidden: [4], activation: 'tanh', dropout: 0.1, l2: 0 },
      train: { localEpochs: 1, batchSize: 8, learningRate: 0.01, proximalMu: 0 }, minMembers: 3, stageTimeoutSeconds: 10, dropoutTolerance: 0.1,
      aggregation: 'secure', testFraction: 0.2, seed: 2, strategy: { name: 'fedadam', serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3, lrSchedule: { kind: 'cosine', rounds: 5 } },
      sampleFraction: 1, earlyStopping: { patience: 3, minDelta: 0 },
    })).not.toThrow();
    // Keys whose value is undefined (a caller spreading optional fields) are not keys of the file.
    expect(() => checkTaskKeys({ ...base, segmentation: undefined })).not.toThrow();
    expect(taskKeyPaths()).toContain('strategy.lrSchedule.rounds');
  });
});
