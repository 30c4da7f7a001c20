// Clipping bounds, Gaussian noise scale against the configured multiplier, and adaptive clipping's update rule.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seeded-random.ts';
import { nextClipNorm, unclippedIndicator, updateNoiseMultiplier } from './adaptive-clipping.ts';
import { clipToNorm, l2Norm } from './clipping.ts';
import { combinedNoiseMultiplier, effectiveNoiseMultiplier, memberNoiseStd } from './distributed-noise.ts';
import { addGaussianNoise, BoxMullerNormals } from './gaussian-noise.ts';

const seeded = (seed: number) => { const r = new SeededRandom(seed); return new BoxMullerNormals(() => r.nextUint32()); };

describe('clipToNorm', () => {
  it('scales long vectors to the bound and keeps short ones', () => {
    const long = clipToNorm([3, 4], 1);
    expect(l2Norm(long.vector)).toBeCloseTo(1, 12);
    expect(long).toMatchObject({ norm: 5, factor: 0.2 });
    expect(Array.from(clipToNorm([0.3, 0.4], 1).vector)).toEqual([0.3, 0.4]);
    expect(() => clipToNorm([1], 0)).toThrow(RangeError);
  });
});

describe('Gaussian noise', () => {
  it('has mean 0 and std σ·S/√n per member; n members sum to std σ·S (fixed seed, 99.9% bounds)', () => {
    const sigma = 1.3;
    const clip = 0.7;
    const n = 8;
    const d = 20_000;
    const sum = new Float64Array(d);
    const src = seeded(17);
    for (let m = 0; m < n; m++) {
      const share = addGaussianNoise(new Float64Array(d), memberNoiseStd(sigma, clip, n), src);
      for (let i = 0; i < d; i++) sum[i] += share[i];
    }
    const mean = sum.reduce((s, x) => s + x, 0) / d;
    const sd = Math.sqrt(sum.reduce((s, x) => s + (x - mean) ** 2, 0) / (d - 1));
    const target = sigma * clip;
    // Sample std of d normals: relative standard error 1/√(2d) ≈ 0.5%; 3.3 of them ≈ 99.9%.
    expect(Math.abs(sd - target) / target).toBeLessThan(3.3 / Math.sqrt(2 * d));
    expect(Math.abs(mean)).toBeLessThan(3.3 * target / Math.sqrt(d));
    // Kurtosis of a normal is 3: catches a wrong shape of the right scale (e.g. uniform noise).
    const k = sum.reduce((s, x) => s + ((x - mean) / sd) ** 4, 0) / d;
    expect(Math.abs(k - 3)).toBeLessThan(0.12);
  });

  it('with members dropped the sum is quieter, as effectiveNoiseMultiplier says', () => {
    expect(effectiveNoiseMultiplier(2, 4, 16)).toBeCloseTo(1, 12);
    expect(combinedNoiseMultiplier(1, 1)).toBeCloseTo(Math.SQRT1_2, 12);
  });
});

describe('adaptive clipping (Andrew et al. 2021)', () => {
  it('moves the bound towards the target quantile and splits σ between update and count', () => {
    const opts = { targetQuantile: 0.5, learningRate: 0.2, countNoiseMultiplier: 10 };
    expect(unclippedIndicator(0.5, 1)).toBe(1);
    expect(unclippedIndicator(1.5, 1)).toBe(0);
    expect(nextClipNorm(1, 9, 10, opts)).toBeLessThan(1); // most fitted: shrink
    expect(nextClipNorm(1, 1, 10, opts)).toBeGreaterThan(1); // most clipped: grow
    expect(nextClipNorm(1, 5, 10, opts)).toBeCloseTo(1, 12);
    const zUpdate = updateNoiseMultiplier(1, 10);
    expect(combinedNoiseMultiplier(zUpdate, 10)).toBeCloseTo(1, 12);
    expect(() => updateNoiseMultiplier(1, 0.9)).toThrow(/exceed the total/);
  });
});
