// Tests of the generator's draws: independent forks, sane distributions (the stream itself is core's SeededRandom, tested there).
import { describe, expect, it } from 'vitest';
import { Rng } from './rng.ts';

describe('Rng', () => {
  it('gives forks that depend on their label', () => {
    const root1 = new Rng(1);
    const root2 = new Rng(1);
    expect(root1.fork(0).next()).toBe(root2.fork(0).next());
    expect(new Rng(1).fork(0).next()).not.toBe(new Rng(1).fork(1).next());
  });

  it('draws with roughly the right moments', () => {
    const rng = new Rng(123);
    const n = 20_000;
    const u = Array.from({ length: n }, () => rng.next());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const meanOf = (f: () => number) => Array.from({ length: n }, f).reduce((s, x) => s + x, 0) / n;
    expect(meanOf(() => rng.normal())).toBeCloseTo(0, 1);
    expect(meanOf(() => rng.poisson(3))).toBeCloseTo(3, 1);
    expect(meanOf(() => rng.poisson(60))).toBeGreaterThan(59);
    expect(meanOf(() => rng.weightedIndex([1, 3]))).toBeCloseTo(0.75, 1);
    const ints = Array.from({ length: 1000 }, () => rng.int(2, 4));
    expect(new Set(ints)).toEqual(new Set([2, 3, 4]));
  });
});
