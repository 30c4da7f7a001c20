// ROC points from histograms: end points, monotonicity and a hand-checked middle point.
import { describe, expect, it } from 'vitest';
import { rocFromHistograms } from './roc.ts';

describe('rocFromHistograms', () => {
  it('runs from (0, 0) to (1, 1), never decreasing, with the counts at a bin edge', () => {
    // 4 bins: positives in bins 2, 3; negatives in bins 0, 1, 2.
    const roc = rocFromHistograms([0, 0, 1, 3], [2, 1, 1, 0], 5);
    expect(roc[0]).toEqual({ threshold: 1, fpr: 0, tpr: 0 });
    expect(roc.at(-1)).toEqual({ threshold: 0, fpr: 1, tpr: 1 });
    // Threshold 0.5 = edge 2: TP = 4 of 4, FP = 1 of 4.
    expect(roc[2]).toEqual({ threshold: 0.5, fpr: 0.25, tpr: 1 });
    for (let i = 1; i < roc.length; i++) {
      expect(roc[i].fpr).toBeGreaterThanOrEqual(roc[i - 1].fpr);
      expect(roc[i].tpr).toBeGreaterThanOrEqual(roc[i - 1].tpr);
    }
  });
  it('is empty without both labels', () => {
    expect(rocFromHistograms([1, 2], [0, 0])).toEqual([]);
  });
});
