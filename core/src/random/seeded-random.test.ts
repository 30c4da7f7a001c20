// Tests for the seeded PRNG: determinism, ranges and rough distribution.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random.ts';

describe('SeededRandom', () => {
  it('gives equal streams for equal seeds and different ones for nearby seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const sa = Array.from({ length: 20 }, () => a.nextUint32());
    const sb = Array.from({ length: 20 }, () => b.nextUint32());
    const sc = Array.from({ length: 20 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('next() stays in [0,1) with mean near 1/2', () => {
    const r = new SeededRandom(1);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = r.next();
      if (!(v >= 0 && v < 1)) outside++;
      sum += v;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.01);
  });

  it('normal() has mean 0 and variance 1', () => {
    const r = new SeededRandom(7);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('int(n) covers every value in [0,n) roughly uniformly', () => {
    const r = new SeededRandom(3);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => r.int(0)).toThrow(RangeError);
  });

  it('shuffle is a deterministic permutation', () => {
    const a = new SeededRandom(9).shuffle([...Array(50).keys()]);
    const b = new SeededRandom(9).shuffle([...Array(50).keys()]);
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(a).not.toEqual([...Array(50).keys()]);
    const p = new SeededRandom(9).permutation(50);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
  });
});
