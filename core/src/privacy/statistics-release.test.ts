// The statistics release under DP: clipping to the bounds, the noise scale (fixed seed), the
// guarded refit from noisy sums, and the charge.
import { describe, expect, it } from 'vitest';
import { MOMENT_SLOTS, readMoments } from '../features/exact-moments.ts';
import { fitPipeline, localFeatureStats, type FeatureSchema } from '../features/pipeline.ts';
import { resolveTask } from '../task/task-definition.ts';
import { SeededRandom } from '../random/seeded-random.ts';
import { BoxMullerNormals } from './gaussian-noise.ts';
import { resolvePrivacyOptions } from './privacy-options.ts';
import { fitNoisyPipeline, noisyMeanAndStd, privateFeatureStats, statisticsCharge, statisticsSensitivity } from './statistics-release.ts';

const seeded = (seed: number) => { const r = new SeededRandom(seed); return new BoxMullerNormals(() => r.nextUint32()); };
const schema: FeatureSchema = { numeric: ['spend', 'age'], categorical: ['plan'], label: 'churned' };
const vocabularies = { plan: ['a', 'b'] };
const bounds: Record<string, [number, number]> = { spend: [0, 100], age: [18, 90] };
const SCALE = 2 ** 80;

function rows(n: number, seed: number): Record<string, string>[] {
  const r = new SeededRandom(seed);
  return Array.from({ length: n }, () => ({
    spend: String(Math.round(r.next() * 120)), age: String(18 + Math.round(r.next() * 60)), plan: r.next() < 0.3 ? 'a' : 'b', churned: r.next() < 0.2 ? '1' : '0',
  }));
}

const sumOf = (vs: Float64Array[]) => vs.reduce((acc, v) => acc.map((x, i) => x + v[i]), new Float64Array(vs[0].length));
const colSum = (v: ArrayLike<number>, j: number) => Number(readMoments(v, MOMENT_SLOTS * j, 'c').sum) / SCALE;
const colCount = (v: ArrayLike<number>, j: number) => v[MOMENT_SLOTS * j];

describe('statistics release under DP', () => {
  it('clips each value to its column bounds (no noise): spend 120 enters as 100', () => {
    const data = [{ spend: '120', age: '30', plan: 'a', churned: '0' }, { spend: '-5', age: '95', plan: 'b', churned: '1' }];
    const v = privateFeatureStats(schema, vocabularies, data, 'm.csv', 'binary', { statistics: { noiseMultiplier: 1e-30, bounds }, invited: 1, normals: seeded(1) });
    expect(colSum(v, 0)).toBeCloseTo(100, 9);
    expect(colSum(v, 1)).toBeCloseTo(120, 9);
    expect(colCount(v, 0)).toBe(2);
  });

  it('four members\' noise shares sum to std σΔB on Σx, σΔ on counts (400 rounds, fixed seed)', () => {
    const sigma = 2;
    const delta = statisticsSensitivity(schema, 'binary');
    expect(delta).toBeCloseTo(Math.sqrt(3 * 2 + 1), 12);
    const members = [rows(50, 1), rows(70, 2), rows(40, 3), rows(90, 4)];
    const exact = sumOf(members.map((m) => privateFeatureStats(schema, vocabularies, m, 'm.csv', 'binary', { statistics: { noiseMultiplier: 1e-30, bounds }, invited: 4, normals: seeded(0) })));
    const normals = seeded(42);
    const spendNoise: number[] = [];
    const countNoise: number[] = [];
    const catNoise: number[] = [];
    for (let t = 0; t < 400; t++) {
      const total = sumOf(members.map((m) => privateFeatureStats(schema, vocabularies, m, 'm.csv', 'binary', { statistics: { noiseMultiplier: sigma, bounds }, invited: 4, normals })));
      spendNoise.push(colSum(total, 0) - colSum(exact, 0));
      countNoise.push(colCount(total, 1) - colCount(exact, 1));
      catNoise.push(total[2 * MOMENT_SLOTS] - exact[2 * MOMENT_SLOTS]);
    }
    const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
    // 400 samples: the sample std is within ±10 % of the true std with probability > 0.99.
    expect(sd(spendNoise) / (sigma * delta * 100)).toBeGreaterThan(0.9);
    expect(sd(spendNoise) / (sigma * delta * 100)).toBeLessThan(1.1);
    expect(sd(countNoise) / (sigma * delta)).toBeGreaterThan(0.9);
    expect(sd(countNoise) / (sigma * delta)).toBeLessThan(1.1);
    expect(sd(catNoise) / (sigma * delta)).toBeGreaterThan(0.9);
    expect(sd(catNoise) / (sigma * delta)).toBeLessThan(1.1);
    // Sized for 6 instead of 4 the total would carry σΔB·√(4/6): 18 % lower, outside the band.
    expect(Math.sqrt(4 / 6)).toBeLessThan(0.9);
  });

  it('refits a usable pipeline from noisy sums: close to the exact fit, variances guarded', () => {
    const members = [rows(3000, 5), rows(2000, 6), rows(4000, 7)];
    const statistics = { noiseMultiplier: 1, bounds };
    const noisy = sumOf(members.map((m, i) => privateFeatureStats(schema, vocabularies, m, 'm.csv', 'binary', { statistics, invited: 3, normals: seeded(10 + i) })));
    const fitted = fitNoisyPipeline(schema, vocabularies, noisy, 'binary', statistics);
    const exact = fitPipeline(schema, vocabularies, sumOf(members.map((m) => localFeatureStats(schema, vocabularies, m.map((r) => ({ ...r, spend: String(Math.min(100, Number(r.spend))) }))))), 'binary').pipeline;
    for (let j = 0; j < 2; j++) {
      expect(Math.abs(fitted.pipeline.numeric[j].mean - exact.numeric[j].mean)).toBeLessThan(0.05 * exact.numeric[j].std);
      expect(fitted.pipeline.numeric[j].std / exact.numeric[j].std).toBeGreaterThan(0.9);
      expect(fitted.pipeline.numeric[j].std / exact.numeric[j].std).toBeLessThan(1.1);
    }
    expect(fitted.pipeline.categorical[0].shares![0]).toBeCloseTo(exact.categorical[0].shares![0], 1);
    expect(fitted.warnings).toEqual([]);
  });

  it('a noisy variance below zero, a negative count and a mean outside the bounds are guarded', () => {
    const m = { count: -3, sum: BigInt(500) * BigInt(SCALE), squares: 0n };
    const r = noisyMeanAndStd(m, [0, 100]);
    expect(r.mean).toBe(100);
    expect(r.std).toBeCloseTo(0.1, 12);
    expect(r.floored).toBe(true);
    expect(noisyMeanAndStd({ count: 10, sum: 0n, squares: BigInt(1e6) * BigInt(SCALE) * BigInt(SCALE) }, [0, 100]).std).toBe(50);
  });

  it('is charged as one Gaussian release at rate 1, σ·√(survivors/invited) after dropouts; validated bounds', () => {
    const opts = resolvePrivacyOptions({ level: 'customer', epsilon: 4, noiseMultiplier: 1, clipNorm: 1, statistics: { noiseMultiplier: 8, bounds } })!;
    expect(statisticsCharge(opts, 0, 4, 4)).toEqual([{ round: 0, kind: 'statistics', unit: 'customer', samplingRate: 1, noiseMultiplier: 8, steps: 1 }]);
    expect(statisticsCharge(opts, 0, 3, 4)[0].noiseMultiplier).toBeCloseTo(8 * Math.sqrt(3 / 4), 12);
    expect(statisticsCharge({ ...opts, statistics: undefined }, 0, 4, 4)).toEqual([]);
    expect(() => resolvePrivacyOptions({ level: 'customer', epsilon: 4, noiseMultiplier: 1, clipNorm: 1, statistics: { noiseMultiplier: 8, bounds: { spend: [5, 1] } } }))
      .toThrow('privacy.statistics.bounds.spend": must be [low, high] with low < high');
    const task = { name: 't', label: 'churned', numeric: ['spend', 'age'], privacy: { level: 'customer', epsilon: 4, noiseMultiplier: 1, clipNorm: 1, statistics: { noiseMultiplier: 8, bounds: { spend: [0, 1] } } } };
    expect(() => resolveTask(task)).toThrow('needs [low, high] for age');
  });
});
