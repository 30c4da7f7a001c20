// The round vector: packed contributions of several members sum to the plain totals.
import { describe, expect, it } from 'vitest';
import { packContribution, roundVectorLayout, unpackRoundSum, type RoundVectorOptions } from './round-vector.ts';
import { addInto, zeroVector } from '../secagg/mod-vector.ts';
import { SCORE_BINS } from '../metrics/index.ts';
import { SeededRandom } from '../random/seeded-random.ts';
import { regressionEvaluation } from '../metrics/regression.ts';

describe('round vector', () => {
  const base: RoundVectorOptions = { purpose: 'train', task: 'binary', parameterCount: 50, statisticsLength: 0, members: 7, maxExamples: 1_000_000, weightClip: 16, weightScaleBits: 16 };

  it('sums weighted models, counts, losses and histograms across members', () => {
    const rng = new SeededRandom(3);
    const layout = roundVectorLayout(base);
    const sum = zeroVector(layout.modulusBits, layout.length);
    const expected = new Float64Array(50);
    let n = 0; let loss = 0; let clipped = 0; let expectedClips = 0;
    const histPos = new Float64Array(SCORE_BINS);
    for (let m = 0; m < 7; m++) {
      const w = Array.from({ length: 50 }, () => rng.normal(0, 4));
      w[m] = 40 * (m % 2 ? 1 : -1); // one clipped value per member
      const examples = 10 + rng.int(5000);
      const hp = new Float64Array(SCORE_BINS); hp[rng.int(SCORE_BINS)] = examples;
      const packed = packContribution(base, { values: w, numExamples: examples, trainLossSum: 0.5 * examples, evalLossSum: 0.1, evalAbsErrSum: 0, evalExamples: 3, evalHistPos: hp, evalHistNeg: [] });
      addInto(sum, packed.vector);
      w.forEach((x, i) => { expected[i] += Math.max(-16, Math.min(16, x)) * examples; if (Math.abs(x) > 16) expectedClips++; });
      n += examples; loss += 0.5 * examples; clipped += packed.clipped;
      hp.forEach((c, i) => { histPos[i] += c; });
    }
    const totals = unpackRoundSum(base, sum);
    expect(totals.totalExamples).toBe(n);
    expect(totals.evalExamples).toBe(21);
    expect(expectedClips).toBeGreaterThanOrEqual(7);
    expect(totals.clipped).toBe(expectedClips);
    expect(clipped).toBe(expectedClips);
    expect(Array.from(totals.histPos)).toEqual(Array.from(histPos));
    expect(Math.abs(totals.trainLossSum - loss)).toBeLessThan(7 * 2 ** -10);
    // Quantization bound: one unit of 2^-16 per member and value.
    for (let i = 0; i < 50; i++) expect(Math.abs(totals.vector[i] - expected[i])).toBeLessThanOrEqual(7 * 2 ** -16);
  });

  it('refuses a member with more rows than the round allows', () => {
    expect(() => packContribution({ ...base, maxExamples: 100 }, { values: new Float64Array(50), numExamples: 101, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [] }))
      .toThrow(/raise maxExamples/);
  });

  it('needs 64-bit masking for the weighted model and sizes statistics rounds', () => {
    expect(roundVectorLayout(base).modulusBits).toBe(64);
    const stats = roundVectorLayout({ ...base, purpose: 'statistics', statisticsLength: 40 });
    // 40 sums, 7 side scalars (examples, 3 loss sums, eval examples, clipped, non-finite), 2 histograms.
    expect(stats.length).toBe(40 + 7 + 2 * SCORE_BINS);
  });

  it('sends an input holding NaN/Infinity as zeros with its count: out of the sum, never silent', () => {
    const layout = roundVectorLayout(base);
    const sum = zeroVector(layout.modulusBits, layout.length);
    const good = Array.from({ length: 50 }, (_, i) => i / 50);
    const bad = good.map((x, i) => (i === 3 ? Number.NaN : i === 9 ? Number.POSITIVE_INFINITY : x));
    const side = { trainLossSum: 10, evalLossSum: 1, evalAbsErrSum: 0, evalExamples: 4, evalHistPos: [], evalHistNeg: [] };
    addInto(sum, packContribution(base, { values: good, numExamples: 20, ...side }).vector);
    const packed = packContribution(base, { values: bad, numExamples: 30, ...side, trainLossSum: Number.NaN });
    expect(packed.nonFinite).toBe(3);
    addInto(sum, packed.vector);
    const totals = unpackRoundSum(base, sum);
    expect(totals.nonFinite).toBe(3);
    expect(totals.totalExamples).toBe(20);
    expect(totals.evalExamples).toBe(4);
    expect(Math.abs(totals.vector[10] - 20 * good[10])).toBeLessThan(2 ** -15);
  });

  it('carries regression held-out label sums (signed, standardized units) and counts a clamped side sum', () => {
    const o: RoundVectorOptions = { ...base, purpose: 'evaluate', task: 'regression', parameterCount: 0 };
    const layout = roundVectorLayout(o);
    const sum = zeroVector(layout.modulusBits, layout.length);
    const side = { numExamples: 100, trainLossSum: 0, evalAbsErrSum: 30, evalExamples: 100, evalHistPos: [], evalHistNeg: [] };
    addInto(sum, packContribution(o, { ...side, values: [], evalLossSum: 20, evalLabelSum: -12.5, evalLabelSquareSum: 96 }).vector);
    const huge = packContribution(o, { ...side, values: [], evalLossSum: 1e11, evalLabelSum: 3, evalLabelSquareSum: 104 });
    expect(huge.clipped).toBe(1);
    const totals = unpackRoundSum(o, sum);
    expect(Math.abs(totals.evalLabelSum + 12.5)).toBeLessThanOrEqual(2 ** -8);
    expect(Math.abs(totals.evalLabelSquareSum - 96)).toBeLessThanOrEqual(2 ** -8);
    // Back in the target's units: errors scale by std, R² does not.
    const r = regressionEvaluation({ squaredErrorSum: totals.evalLossSum, absErrorSum: totals.evalAbsErrSum, labelSum: totals.evalLabelSum, labelSquareSum: totals.evalLabelSquareSum, count: 100 }, { mean: 5e4, std: 3000 })!;
    expect(r.rmse).toBeCloseTo(Math.sqrt(0.2) * 3000, 1);
    expect(r.mae).toBeCloseTo(0.3 * 3000, 1);
    expect(r.r2).toBeCloseTo(1 - 20 / (96 - 12.5 ** 2 / 100), 4);
  });

  it('refuses statistics that are not exact integers below 2^32 (they are limbs, never clipped floats)', () => {
    const o: RoundVectorOptions = { ...base, purpose: 'statistics', parameterCount: 0, statisticsLength: 3 };
    const side = { numExamples: 1, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [] };
    expect(packContribution(o, { ...side, values: [1, 2 ** 32 - 1, 0] }).clipped).toBe(0);
    expect(() => packContribution(o, { ...side, values: [1, 2 ** 32, 0] })).toThrow(/not an integer within/);
    expect(() => packContribution(o, { ...side, values: [1, 0.5, 0] })).toThrow(/not an integer within/);
  });
});
