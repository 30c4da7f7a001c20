// The running weighted sum equals an independent example-weighted mean, and bad updates are named.
import { describe, expect, it } from 'vitest';
import { WeightedSum, validateUpdate } from './weighted-sum.ts';
import { FedAvg } from './strategy.ts';
import { isConsortError } from '../errors/consort-error.ts';

describe('weighted sum and FedAvg', () => {
  it('matches the example-weighted mean computed independently', () => {
    const d = 1000;
    const members = [3, 50, 700].map((n, k) => ({ n, w: Float32Array.from({ length: d }, (_, i) => Math.sin(i * (k + 1)) * (k + 1)) }));
    const acc = new WeightedSum(d);
    for (const m of members) acc.add(m.w, m.n);
    const fedavg = new FedAvg().aggregateTrain(new Float32Array(d), { weightedSum: acc.sum, totalExamples: acc.totalWeight, contributions: 3 });
    const total = members.reduce((s, m) => s + m.n, 0);
    for (let i = 0; i < d; i++) {
      let expected = 0;
      for (const m of members) expected += (m.n / total) * m.w[i];
      expect(Math.abs(fedavg[i] - expected)).toBeLessThan(1e-5);
      expect(acc.mean()[i]).toBeCloseTo(fedavg[i], 6);
    }
  });

  it('names the member on a wrong shape or a non-finite value', () => {
    const errors: string[] = [];
    for (const [v, len] of [[new Float32Array(3), 4], [Float32Array.of(1, NaN, 2), 3], [Float32Array.of(1, Infinity), 2]] as const) {
      try { validateUpdate(v, len, 'member-7'); } catch (e) { if (isConsortError(e)) errors.push(`${e.code}:${e.message.includes('member-7')}`); }
    }
    expect(errors).toEqual(['UPDATE_SHAPE_MISMATCH:true', 'UPDATE_NOT_FINITE:true', 'UPDATE_NOT_FINITE:true']);
  });

  it('FedAvg refuses a sum of another size or of no examples, as the server optimizers do', () => {
    const fedavg = new FedAvg();
    expect(() => fedavg.aggregateTrain(new Float32Array(3), { weightedSum: new Float64Array(4), totalExamples: 5, contributions: 2 }))
      .toThrow(expect.objectContaining({ code: 'UPDATE_SHAPE_MISMATCH' }));
    expect(() => fedavg.aggregateTrain(new Float32Array(3), { weightedSum: new Float64Array(3), totalExamples: 0, contributions: 0 }))
      .toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
