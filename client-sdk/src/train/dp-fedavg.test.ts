// DP-FedAvg on members: clipping and noise shares, and the same model distribution with and without secure aggregation (up to quantization).
import { describe, expect, it } from 'vitest';
import {
  BoxMullerNormals, SeededRandom, addInto, l2Norm, packContribution, roundVectorLayout, unpackRoundSum, zeroVector,
  type RoundVectorOptions,
} from '@consort/core';
import { privatizeUpdate } from './dp-fedavg.ts';

const seeded = (seed: number) => { const r = new SeededRandom(seed); return new BoxMullerNormals(() => r.nextUint32()); };

/** Φ of the standard normal (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Kolmogorov–Smirnov distance of a sample from N(mean, std²). */
function ksNormal(sample: number[], mean: number, std: number): number {
  const s = sample.slice().sort((a, b) => a - b);
  let d = 0;
  s.forEach((x, i) => {
    const f = phi((x - mean) / std);
    d = Math.max(d, Math.abs(f - i / s.length), Math.abs(f - (i + 1) / s.length));
  });
  return d;
}

describe('privatizeUpdate', () => {
  it('clips the update to S and leaves short updates whole (σ = 0)', () => {
    const global = new Float32Array([1, 1, 1]);
    const far = privatizeUpdate({ global, local: new Float32Array([4, 5, 1]), clipNorm: 1, noiseMultiplier: 0, invited: 5, normals: seeded(1) });
    expect(far.updateNorm).toBeCloseTo(5, 6);
    expect(far.clipped).toBe(true);
    expect(l2Norm(Array.from(far.weights, (w, i) => w - global[i]))).toBeCloseTo(1, 5);
    const near = privatizeUpdate({ global, local: new Float32Array([1.3, 1.4, 1]), clipNorm: 1, noiseMultiplier: 0, invited: 5, normals: seeded(1) });
    expect(near.clipped).toBe(false);
    expect(Array.from(near.weights)).toEqual(Array.from(new Float32Array([1.3, 1.4, 1])));
  });
});

describe('DP-FedAvg with and without secure aggregation', () => {
  // n members with fixed updates, many rounds: the averaged model under plain DP and under DP
  // with the secure-aggregation encoding (fixed point, stochastic rounding, sum mod 2^k; the
  // masks cancel exactly, core/src/secagg/protocol.test.ts) from the same noise draws.
  const n = 6;
  const d = 5;
  const clipNorm = 0.5;
  const sigma = 1.2;
  const trials = 600;
  const global = new Float32Array([0.1, -0.2, 0.3, 0, 0.05]);
  const locals = Array.from({ length: n }, (_, k) => Float32Array.from(global, (g, i) => g + 0.3 * Math.sin(k + i) * (k % 2 ? 2 : 0.5)));
  const vectorOptions: RoundVectorOptions = {
    purpose: 'train', task: 'binary', parameterCount: d, statisticsLength: 0, members: n, maxExamples: 10, weightClip: 16, weightScaleBits: 16,
  };
  const layout = roundVectorLayout(vectorOptions);

  it('gives the same model up to quantization, and the model is N(mean clipped update, (σS/n)²) per coordinate', () => {
    const normals = seeded(42);
    const plain: number[][] = Array.from({ length: d }, () => []);
    let maxGap = 0;
    const expected = new Float64Array(d);
    for (const local of locals) {
      const c = privatizeUpdate({ global, local, clipNorm, noiseMultiplier: 0, invited: n, normals });
      c.weights.forEach((w, i) => { expected[i] += (w - global[i]) / n; });
    }
    for (let t = 0; t < trials; t++) {
      const plainSum = new Float64Array(d);
      const secureSum = zeroVector(layout.modulusBits, layout.length);
      for (const local of locals) {
        const u = privatizeUpdate({ global, local, clipNorm, noiseMultiplier: sigma, invited: n, normals });
        u.weights.forEach((w, i) => { plainSum[i] += w; });
        const packed = packContribution(vectorOptions, {
          values: u.weights, numExamples: 1, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [],
        });
        addInto(secureSum, packed.vector);
      }
      const totals = unpackRoundSum(vectorOptions, secureSum);
      expect(totals.totalExamples).toBe(n);
      for (let i = 0; i < d; i++) {
        const plainModel = plainSum[i] / n;
        const secureModel = totals.vector[i] / totals.totalExamples;
        maxGap = Math.max(maxGap, Math.abs(plainModel - secureModel));
        plain[i].push(plainModel - global[i]);
      }
    }
    // Stochastic rounding moves each member's value by < 2^-16: the mean by < 2^-16 as well.
    expect(maxGap).toBeLessThan(2 ** -16);
    // The model's noise is σS/n per coordinate (each of n shares has std σS/√n, averaged over n).
    const std = (sigma * clipNorm) / n;
    for (let i = 0; i < d; i++) {
      // KS critical value at α = 0.001 for 600 samples: 1.95/√600 ≈ 0.080.
      expect(ksNormal(plain[i], expected[i], std), `coordinate ${i}`).toBeLessThan(1.95 / Math.sqrt(trials));
    }
    // And a wrong multiplier is detected by the same test (it can fail).
    expect(ksNormal(plain[0], expected[0], std * 1.3)).toBeGreaterThan(1.95 / Math.sqrt(trials));
  });
});
