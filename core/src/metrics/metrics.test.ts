// Tests for AUC and loss helpers, including the histogram-vs-exact AUC bound federated evaluation relies on.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seeded-random.ts';
import { SCORE_BINS, aucFromHistograms, exactAuc, scoreBin, scoreHistograms } from './auc.ts';
import { binaryLogLoss, logLossFromLogit, logLossSum, sigmoid, squaredErrorSum } from './loss.ts';

describe('AUC', () => {
  it('exact AUC on hand-made cases (ties count half)', () => {
    expect(exactAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(exactAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(exactAuc([0.9, 0.1], [0, 1])).toBe(0);
    expect(exactAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it('histogram AUC counts same-bin pairs half', () => {
    const pos = [0, 1, 1];
    const neg = [1, 1, 0];
    // pairs: pos@1 vs neg@0 → 1, vs neg@1 → 0.5; pos@2 vs both → 2 ⇒ 3.5/4
    expect(aucFromHistograms(pos, neg)).toBeCloseTo(0.875, 12);
    expect(aucFromHistograms([0, 0], [1, 0])).toBeNaN();
  });

  it(`${SCORE_BINS}-bin histogram AUC is within 0.002 of the exact AUC on random data`, () => {
    const rng = new SeededRandom(5);
    for (const separation of [0, 0.5, 1.5, 3]) {
      const n = 4000;
      const scores: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const y = rng.next() < 0.3 ? 1 : 0;
        scores.push(sigmoid(rng.normal() + separation * y - 1));
        labels.push(y);
      }
      const { histPos, histNeg } = scoreHistograms(scores, labels);
      expect(histPos.length).toBe(SCORE_BINS);
      expect(Math.abs(aucFromHistograms(histPos, histNeg) - exactAuc(scores, labels))).toBeLessThan(0.002);
    }
  });

  it('scoreBin clamps to the ends', () => {
    expect(scoreBin(-1)).toBe(0);
    expect(scoreBin(Number.NaN)).toBe(0);
    expect(scoreBin(1)).toBe(SCORE_BINS - 1);
    expect(scoreBin(0.0015)).toBe(1);
  });
});

describe('loss', () => {
  it('log loss from a logit equals log loss of the sigmoid', () => {
    for (const z of [-5, -0.3, 0, 0.7, 4]) {
      for (const y of [0, 1]) expect(logLossFromLogit(z, y)).toBeCloseTo(binaryLogLoss(sigmoid(z), y), 6);
    }
    expect(binaryLogLoss(0, 1)).toBeCloseTo(-Math.log(1e-7), 6);
    expect(logLossSum([0.5, 0.5], [0, 1])).toBeCloseTo(2 * Math.log(2), 12);
    expect(squaredErrorSum([1, 2], [0, 4])).toBe(5);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
  });
});
