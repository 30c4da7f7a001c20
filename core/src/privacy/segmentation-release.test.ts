// Segmentation sums under DP: each round purpose's sensitivity against a brute-force search for one
// customer's largest contribution, the summed noise of four members (fixed seed), the reading of
// noisy sums and the charge.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seeded-random.ts';
import { localHistograms } from '../segmentation/init.ts';
import { localClusterCounts, localLloydStepRuns, type ClusterAggregates } from '../segmentation/kmeans-protocol.ts';
import { BoxMullerNormals } from './gaussian-noise.ts';
import {
  cleanNoisyLloyd, countGateSensitivity, histogramSensitivity, lloydCostCap, lloydSensitivity, privatizeClusterCounts, privatizeHistograms,
  privatizeLloydStep, segmentationCharge,
} from './segmentation-release.ts';

const seeded = (seed: number) => { const r = new SeededRandom(seed); return new BoxMullerNormals(() => r.nextUint32()); };
const l2 = (xs: ArrayLike<number>) => Math.sqrt(Array.from(xs).reduce((a, x) => a + x * x, 0));

/** Every corner of the ±b box in `dim` dimensions, plus 0 and random points inside. */
function candidatePoints(dim: number, b: number, rng: SeededRandom): Float64Array[] {
  const out: Float64Array[] = [];
  for (let mask = 0; mask < 2 ** dim; mask++) out.push(Float64Array.from({ length: dim }, (_, j) => ((mask >> j) & 1 ? b : -b)));
  out.push(new Float64Array(dim));
  for (let i = 0; i < 40; i++) out.push(Float64Array.from({ length: dim }, () => (rng.next() * 2 - 1) * b));
  return out;
}

/** One customer's Lloyd contribution with each entry divided by its bound (count 1, Σz B, Σz² B², cost 4B²·dim). */
function lloydContribution(z: Float64Array, runs: Float64Array[][], dim: number, b: number): number {
  const step = localLloydStepRuns([z], runs, dim, { costCap: lloydCostCap(b, dim) });
  return l2([...step.counts, ...step.sums.map((v) => v / b), ...step.sumSquares.map((v) => v / (b * b)), ...step.clusterCost.map((v) => v / lloydCostCap(b, dim))]);
}

describe('segmentation sensitivities (one customer, brute force)', () => {
  const b = 2;
  for (const dim of [1, 2, 3]) {
    for (const nRuns of [1, 3]) {
      it(`dim ${dim}, ${nRuns} run(s): histogram √dim, count gate √runs, Lloyd √(runs(2dim+2)) are each one customer's largest contribution`, () => {
        const rng = new SeededRandom(dim * 10 + nRuns);
        const points = candidatePoints(dim, b, rng);
        // Ordinary runs (k = 3 centroids in the box) and, for the extreme case, runs with one centroid at the −B corner.
        const random = Array.from({ length: nRuns }, () => Array.from({ length: 3 }, () => Float64Array.from({ length: dim }, () => (rng.next() * 2 - 1) * b)));
        const hostile = Array.from({ length: nRuns }, () => [Float64Array.from({ length: dim }, () => -50 * b)]);
        const corner = Array.from({ length: nRuns }, () => [Float64Array.from({ length: dim }, () => -b)]);
        let hist = 0;
        let gate = 0;
        let lloyd = 0;
        for (const z of points) {
          hist = Math.max(hist, l2(localHistograms([z], dim, 8, b)));
          gate = Math.max(gate, l2(localClusterCounts([z], random, dim)));
          for (const runs of [random, hostile]) expect(lloydContribution(z, runs, dim, b)).toBeLessThanOrEqual(lloydSensitivity(nRuns, dim) + 1e-12);
          lloyd = Math.max(lloyd, lloydContribution(z, corner, dim, b));
        }
        expect(hist).toBeCloseTo(histogramSensitivity(dim), 12);
        expect(gate).toBeCloseTo(countGateSensitivity(nRuns), 12);
        expect(lloyd).toBeCloseTo(lloydSensitivity(nRuns, dim), 12);
      });
    }
  }

  it('the sums are additive: a table with and without one customer differ by exactly that customer\'s contribution', () => {
    const rng = new SeededRandom(5);
    const dim = 2;
    const pts = Array.from({ length: 30 }, () => Float64Array.from({ length: dim }, () => (rng.next() * 2 - 1) * 2));
    const runs = [[Float64Array.of(-1, -1), Float64Array.of(1, 1)], [Float64Array.of(0, 0)]];
    const opts = { costCap: lloydCostCap(2, dim) };
    const all = localLloydStepRuns(pts, runs, dim, opts);
    const without = localLloydStepRuns(pts.slice(1), runs, dim, opts);
    const one = localLloydStepRuns(pts.slice(0, 1), runs, dim, opts);
    for (const key of ['counts', 'sums', 'sumSquares', 'clusterCost'] as const) {
      all[key].forEach((v, i) => expect(v - without[key][i]).toBeCloseTo(one[key][i], 9));
    }
  });
});

describe('segmentation noise shares', () => {
  it('four members\' Lloyd shares sum to std σΔ on counts and σΔB on Σz (400 rounds, fixed seed); histograms and gates σ√dim, σ√runs', () => {
    const sigma = 1.5;
    const dim = 3;
    const b = 4;
    const runs = 2;
    const exact: ClusterAggregates = { counts: new Float64Array(5).fill(40), sums: new Float64Array(15).fill(3), sumSquares: new Float64Array(15).fill(9), clusterCost: new Float64Array(5).fill(20) };
    const normals = seeded(7);
    const noise = { noiseMultiplier: sigma, invited: 4, normals, maxAbs: 1e6 };
    const countNoise: number[] = [];
    const sumNoise: number[] = [];
    const histNoise: number[] = [];
    const gateNoise: number[] = [];
    for (let t = 0; t < 400; t++) {
      let c = 0;
      let s = 0;
      let h = 0;
      let g = 0;
      for (let m = 0; m < 4; m++) {
        const p = privatizeLloydStep(exact, runs, dim, b, noise);
        c += p.counts[0] - 40;
        s += p.sums[4] - 3;
        h += privatizeHistograms([10, 0, 5], dim, noise)[1];
        g += privatizeClusterCounts([10, 3], runs, noise)[0] - 10;
      }
      countNoise.push(c);
      sumNoise.push(s);
      histNoise.push(h);
      gateNoise.push(g);
    }
    const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
    const delta = lloydSensitivity(runs, dim);
    const within = (got: number, want: number) => { expect(got / want).toBeGreaterThan(0.9); expect(got / want).toBeLessThan(1.1); };
    within(sd(countNoise), sigma * delta);
    within(sd(sumNoise), sigma * delta * b);
    within(sd(histNoise), sigma * histogramSensitivity(dim));
    within(sd(gateNoise), sigma * countGateSensitivity(runs));
    // Counts stay integers.
    expect(countNoise.every(Number.isInteger)).toBe(true);
  });
});

describe('reading noisy segmentation sums', () => {
  it('reads counts as ≥ 0, keeps centroids in the box, and zeroes the sums of withheld clusters with the gate\'s count', () => {
    // One dimension, B = 2; cluster 0 read at count 0, cluster 1's Σz beyond 50·2, cluster 2 withheld by the gate.
    const agg: ClusterAggregates = { counts: Float64Array.of(-3, 50, 30), sums: Float64Array.of(5, 1000, 7), sumSquares: Float64Array.of(-1, 10, 12), clusterCost: Float64Array.of(-2, 5, 3) };
    const c = cleanNoisyLloyd(agg, 1, 2, { include: [true, true, false], counts: [0, 50, 12] });
    expect(Array.from(c.counts)).toEqual([0, 50, 12]);
    expect(Array.from(c.sums)).toEqual([0, 100, 0]);
    expect(Array.from(c.sumSquares)).toEqual([0, 10, 0]);
    expect(Array.from(c.clusterCost)).toEqual([0, 5, 0]);
  });

  it('charges one Gaussian at rate 1 per round, σ·√(survivors/invited) after dropouts', () => {
    expect(segmentationCharge({ noiseMultiplier: 2 }, 'segmentation-lloyd', 7, 3, 4)).toEqual([
      { round: 7, kind: 'segmentation-lloyd', unit: 'customer', samplingRate: 1, noiseMultiplier: 2 * Math.sqrt(3 / 4), steps: 1 },
    ]);
  });
});
