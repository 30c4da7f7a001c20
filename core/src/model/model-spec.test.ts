// Tests for model specs: validation, layout order/shapes, parameter count, deterministic init.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { initialWeights, layoutOf, parameterCount, splitWeights, validateModelSpec, type ModelSpec } from './model-spec.ts';

const mlp: ModelSpec = { kind: 'mlp', task: 'binary', inputDim: 5, hidden: [4, 3], activation: 'relu' };

describe('model spec', () => {
  it('lays out kernels and biases layer by layer', () => {
    expect(layoutOf(mlp)).toEqual([
      { name: 'dense_0/kernel', shape: [5, 4] }, { name: 'dense_0/bias', shape: [4] },
      { name: 'dense_1/kernel', shape: [4, 3] }, { name: 'dense_1/bias', shape: [3] },
      { name: 'dense_2/kernel', shape: [3, 1] }, { name: 'dense_2/bias', shape: [1] },
    ]);
    expect(parameterCount(mlp)).toBe(5 * 4 + 4 + 4 * 3 + 3 + 3 + 1);
    // logistic ignores hidden
    expect(parameterCount({ kind: 'logistic', task: 'binary', inputDim: 7, hidden: [9] })).toBe(8);
  });

  it('rejects bad specs with INVALID_ARGUMENT naming the field', () => {
    const cases: [Partial<ModelSpec>, string][] = [
      [{ kind: 'tree' as never }, 'kind'], [{ inputDim: 0 }, 'inputDim'], [{ hidden: [] }, 'hidden'],
      [{ hidden: [3.5] }, 'hidden'], [{ dropout: 1 }, 'dropout'], [{ l2: -1 }, 'l2'], [{ task: 'x' as never }, 'task'],
    ];
    for (const [patch, field] of cases) {
      let err: unknown;
      try { validateModelSpec({ ...mlp, ...patch }); } catch (e) { err = e; }
      expect(isConsortError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as Error).message).toContain(`"${field}"`);
    }
    expect(() => validateModelSpec(mlp)).not.toThrow();
  });

  it('initialises deterministically: Glorot-bounded kernels, zero biases', () => {
    const a = initialWeights(mlp, 11);
    expect(a).toEqual(initialWeights(mlp, 11));
    expect(a).not.toEqual(initialWeights(mlp, 12));
    for (const t of splitWeights(mlp, a)) {
      if (t.shape.length === 1) expect(Array.from(t.values).every((v) => v === 0)).toBe(true);
      else {
        const limit = Math.sqrt(6 / (t.shape[0] + t.shape[1]));
        expect(Array.from(t.values).every((v) => Math.abs(v) <= limit && v !== 0)).toBe(true);
      }
    }
  });

  it('splitWeights refuses a vector of the wrong length', () => {
    expect(() => splitWeights(mlp, new Float32Array(3))).toThrow(/needs 43/);
  });
});
