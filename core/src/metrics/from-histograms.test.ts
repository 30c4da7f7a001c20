// Threshold metrics and calibration from histograms agree with direct computation on the rows.
import { describe, expect, it } from 'vitest';
import { binaryEvaluation } from './from-histograms.ts';
import { scoreHistograms } from './auc.ts';
import { SeededRandom } from '../random/seeded-random.ts';

describe('binary evaluation from histograms', () => {
  const rng = new SeededRandom(9);
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const s = rng.next();
    scores.push(s);
    labels.push(rng.next() < s ? 1 : 0); // perfectly calibrated by construction
  }
  const { histPos, histNeg } = scoreHistograms(scores, labels);
  const ev = binaryEvaluation(histPos, histNeg, [0.3, 0.5]);

  it('gives the confusion counts of the rows at bin-edge thresholds', () => {
    for (const t of ev.thresholds) {
      let tp = 0; let fp = 0;
      scores.forEach((s, i) => { if (s >= t.threshold) { if (labels[i]) tp++; else fp++; } });
      expect(t.tp).toBe(tp);
      expect(t.fp).toBe(fp);
      expect(t.tp + t.fn).toBe(ev.positives);
      expect(t.precision).toBeCloseTo(tp / (tp + fp), 12);
      expect(t.f1).toBeCloseTo((2 * t.precision * t.recall) / (t.precision + t.recall), 12);
    }
  });

  it('finds a calibrated model calibrated', () => {
    expect(ev.calibration).toHaveLength(10);
    expect(ev.calibration.reduce((s, b) => s + b.count, 0)).toBe(5000);
    expect(ev.ece).toBeLessThan(0.03);
    const skewed = binaryEvaluation(histPos.map((_, i) => histPos[Math.min(999, i + 300)] ?? 0), histNeg);
    expect(skewed.ece).toBeGreaterThan(ev.ece);
  });
});
