// Seeded bootstrap: redraws keep the total, follow the observed proportions, and repeat exactly for a seed.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seeded-random.ts';
import { aliasTable, bootstrapIntervals, resampleCounts } from './bootstrap.ts';

describe('resampleCounts', () => {
  it('keeps the total, never draws an empty category, and matches the proportions on average', () => {
    const counts = [0, 10, 30, 0, 60];
    const rng = new SeededRandom(5);
    const table = aliasTable(counts);
    const mean = [0, 0, 0, 0, 0];
    for (let r = 0; r < 2000; r++) {
      const d = resampleCounts(counts, rng, table);
      expect(d.reduce((a, b) => a + b, 0)).toBe(100);
      d.forEach((x, i) => { mean[i] += x / 2000; });
    }
    expect(mean[0]).toBe(0);
    expect(mean[3]).toBe(0);
    expect(mean[1]).toBeCloseTo(10, 0);
    expect(mean[2]).toBeCloseTo(30, 0);
    expect(mean[4]).toBeCloseTo(60, 0);
  });
});

describe('bootstrapIntervals', () => {
  const stat = (t: Int32Array[]) => [t[0][1] / (t[0][0] + t[0][1])];
  it('repeats exactly for a seed and differs for another', () => {
    const a = bootstrapIntervals([[700, 300]], stat, { resamples: 300, seed: 9, confidenceLevel: 0.95 });
    const b = bootstrapIntervals([[700, 300]], stat, { resamples: 300, seed: 9, confidenceLevel: 0.95 });
    const c = bootstrapIntervals([[700, 300]], stat, { resamples: 300, seed: 10, confidenceLevel: 0.95 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
  it('covers a proportion about as the normal approximation does', () => {
    // 300/1000: se = √(0.3·0.7/1000) = 0.01449, 95% half-width ≈ 0.0284.
    const [iv] = bootstrapIntervals([[700, 300]], stat, { resamples: 1000, seed: 1, confidenceLevel: 0.95 });
    expect(iv![0]).toBeGreaterThan(0.3 - 0.0284 - 0.006);
    expect(iv![0]).toBeLessThan(0.3 - 0.0284 + 0.006);
    expect(iv![1]).toBeGreaterThan(0.3 + 0.0284 - 0.006);
    expect(iv![1]).toBeLessThan(0.3 + 0.0284 + 0.006);
  });
});
