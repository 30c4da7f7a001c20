// Range checks on summed round inputs: honest sums pass, each forged quantity is refused.
import { describe, expect, it } from 'vitest';
import { checkPublishableModel, checkRoundSum, type SumBounds } from './sum-checks.ts';
import type { RoundSumTotals } from './round-vector.ts';

const bounds: SumBounds = { purpose: 'train', task: 'binary', survivors: 3, maxExamples: 1000, weightClip: 16, weightScaleBits: 16, clippable: 4 };
function honest(): RoundSumTotals {
  const histPos = new Float64Array(4); const histNeg = new Float64Array(4);
  histPos[3] = 20; histNeg[0] = 40;
  return { vector: Float64Array.from([100, -300, 16 * 600, 0]), totalExamples: 600, trainLossSum: 300, evalLossSum: 30, evalAbsErrSum: 0, evalExamples: 60, histPos, histNeg, clipped: 2, nonFinite: 0, evalLabelSum: 0, evalLabelSquareSum: 0 };
}

describe('checkRoundSum', () => {
  it('accepts an honest sum, including a coordinate exactly at total × clip', () => {
    expect(() => checkRoundSum(honest(), bounds)).not.toThrow();
  });
  const forged: Array<[string, (t: RoundSumTotals) => void, RegExp]> = [
    ['a negative example count', (t) => { t.totalExamples = -1320; }, /example count is -1320/],
    ['zero examples in a training round', (t) => { t.totalExamples = 0; }, /example count is 0/],
    ['more examples than members may hold', (t) => { t.totalExamples = 3001; }, /outside \[1, 3000\]/],
    ['a coordinate beyond total × clip', (t) => { t.vector[1] = -16 * 600 - 1; }, /coordinate 1/],
    ['histograms that do not add up', (t) => { t.histPos[3] = 21; }, /histograms hold 61 rows but 60/],
    ['a negative loss', (t) => { t.trainLossSum = -50; }, /training loss sum is -50/],
    ['a non-finite loss', (t) => { t.evalLossSum = Number.NaN; }, /held-out loss sum is NaN/],
    ['a clip counter out of range', (t) => { t.clipped = 13; }, /clip counter is 13/],
    ['a negative non-finite counter', (t) => { t.nonFinite = -1; }, /non-finite counter is -1/],
  ];
  for (const [name, mutate, message] of forged) {
    it(`refuses ${name}`, () => {
      const t = honest();
      mutate(t);
      expect(() => checkRoundSum(t, bounds)).toThrow(message);
    });
  }
  it('does not ask regression rounds for histograms', () => {
    const t = honest();
    t.histPos.fill(0); t.histNeg.fill(0);
    expect(() => checkRoundSum(t, { ...bounds, task: 'regression' })).not.toThrow();
  });
});

describe('checkPublishableModel', () => {
  it('refuses Infinity and NaN weights', () => {
    expect(() => checkPublishableModel([0.5, Infinity])).toThrow(/Infinity at weight 1/);
    expect(() => checkPublishableModel(new Float32Array([Number.NaN]))).toThrow(/AGGREGATE_REJECTED|impossible/);
    expect(() => checkPublishableModel([1, -2])).not.toThrow();
  });
});
