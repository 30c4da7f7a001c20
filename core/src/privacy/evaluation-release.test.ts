// DP evaluation release: coarse histograms, integer noise shares whose sum has the configured scale, clean-up of the noisy sum.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seeded-random.ts';
import { BoxMullerNormals } from './gaussian-noise.ts';
import { DP_SCORE_BINS, EVALUATION_SENSITIVITY, cleanNoisyEvaluation, coarsenHistogram, privatizeEvaluation } from './evaluation-release.ts';

const seeded = (seed: number) => { const r = new SeededRandom(seed); return new BoxMullerNormals(() => r.nextUint32()); };

describe('evaluation release', () => {
  it('coarsens 1000 bins into groups at their middle bins, keeping the total', () => {
    const fine = Array.from({ length: 1000 }, (_, i) => i % 7);
    const coarse = coarsenHistogram(fine, DP_SCORE_BINS);
    expect(coarse.reduce((a, b) => a + b, 0)).toBe(fine.reduce((a, b) => a + b, 0));
    expect(coarse.filter((v) => v !== 0)).toHaveLength(DP_SCORE_BINS);
    expect(coarse[25]).toBe(fine.slice(0, 50).reduce((a, b) => a + b, 0));
  });

  it('n members\' rounded noise shares sum to the configured std σ_r·√3 on counts and σ_r·√3·B on the loss (fixed seed)', () => {
    const n = 5;
    const sigma = 4;
    const trials = 4000;
    const normals = seeded(9);
    const counts: number[] = [];
    const losses: number[] = [];
    for (let t = 0; t < trials; t++) {
      let c = 0;
      let l = 0;
      for (let m = 0; m < n; m++) {
        const r = privatizeEvaluation({ count: 10, lossSum: 3, histPos: new Array(1000).fill(0), histNeg: [] }, { noiseMultiplier: sigma, invited: n, lossCap: 10, normals });
        expect(Number.isInteger(r.count)).toBe(true);
        expect(r.histPos.filter((v, i) => v !== 0 && i % 50 !== 25)).toEqual([]);
        c += r.count - 10;
        l += r.lossSum - 3;
      }
      counts.push(c);
      losses.push(l);
    }
    const sd = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
    const want = sigma * EVALUATION_SENSITIVITY;
    // Rounding each share adds variance 1/12 per member: ≈0.6% here, inside the 3.3-standard-error band (≈3.7%).
    expect(Math.abs(sd(counts) - want) / want).toBeLessThan(3.3 / Math.sqrt(2 * trials));
    expect(Math.abs(sd(losses) - want * 10) / (want * 10)).toBeLessThan(3.3 / Math.sqrt(2 * trials));
  });

  it('reads a noisy sum as counts: no negative bins, a count of at least 1', () => {
    const c = cleanNoisyEvaluation({ evalExamples: -3.2, histPos: [-1, 4], histNeg: [2, -5], evalLossSum: -7 });
    expect(c).toEqual({ evalExamples: 1, histPos: Float64Array.from([0, 4]), histNeg: Float64Array.from([2, 0]), evalLossSum: 0 });
  });
});
