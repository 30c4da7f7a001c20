// Interval methods against published values: Wilson (1927) and Newcombe (1998) worked examples, Katz (1978), Holm (1979).
import { describe, expect, it } from 'vitest';
import { holmAdjust, katzLogInterval, moverSum, newcombeInterval, normalCdf, percentile, wilsonInterval, zFor } from './intervals.ts';

const z = zFor(0.95);
const round4 = (iv: [number, number] | null) => iv!.map((v) => Math.round(v * 1e4) / 1e4);

describe('normal distribution', () => {
  it('gives the familiar quantiles and tail areas', () => {
    expect(z).toBeCloseTo(1.959963984540054, 13);
    expect(zFor(0.9)).toBeCloseTo(1.6448536269514722, 13);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 15);
    expect(normalCdf(1) + normalCdf(-1)).toBeCloseTo(1, 15);
  });
});

describe('Wilson score interval', () => {
  // Newcombe RG (1998) "Two-sided confidence intervals for the single proportion: comparison of
  // seven methods", Stat Med 17:857–872, Table I, method 3 (Wilson score, no continuity correction).
  it.each([
    [81, 263, [0.2553, 0.3662]],
    [15, 148, [0.0624, 0.1605]],
    [0, 20, [0, 0.1611]],
    [1, 29, [0.0061, 0.1718]],
  ] as const)('%i/%i', (x, n, expected) => {
    expect(round4(wilsonInterval(x, n, z))).toEqual(expected);
  });
  it('is undefined for an empty group and stays inside [0, 1]', () => {
    expect(wilsonInterval(0, 0, z)).toBeNull();
    expect(wilsonInterval(29, 29, z)![1]).toBe(1);
  });
});

describe('Newcombe hybrid score interval for a difference', () => {
  // Newcombe RG (1998) "Interval estimation for the difference between independent proportions:
  // comparison of eleven methods", Stat Med 17:873–890, Table II, method 10.
  it.each([
    [56, 70, 48, 80, [0.0524, 0.3339]],
    [9, 10, 3, 10, [0.1705, 0.8090]],
    [6, 7, 2, 7, [0.0582, 0.8062]],
    [5, 56, 0, 29, [-0.0381, 0.1926]],
    [0, 10, 0, 20, [-0.1611, 0.2775]],
    [10, 10, 0, 20, [0.6791, 1]],
    [10, 10, 0, 10, [0.6075, 1]],
  ] as const)('%i/%i − %i/%i', (x1, n1, x2, n2, expected) => {
    expect(round4(newcombeInterval(x1, n1, x2, n2, z))).toEqual(expected);
  });
});

describe('Katz log interval for a ratio', () => {
  // Katz D, Baptista J, Azen SP, Pike MC (1978) Biometrics 34:469–474: log RR ± z·√(1/x1 − 1/n1 + 1/x2 − 1/n2).
  it('20/100 against 10/100: RR 2, SE √0.13', () => {
    const [lo, hi] = katzLogInterval(20, 100, 10, 100, z)!;
    expect(lo).toBeCloseTo(2 * Math.exp(-z * Math.sqrt(0.13)), 14);
    expect(hi).toBeCloseTo(2 * Math.exp(z * Math.sqrt(0.13)), 14);
    expect(round4([lo, hi])).toEqual([0.9866, 4.0545]);
  });
  it('is undefined when a count is zero', () => {
    expect(katzLogInterval(0, 100, 10, 100, z)).toBeNull();
  });
});

describe('MOVER sum', () => {
  it('adds distances to the limits in quadrature', () => {
    const [lo, hi] = moverSum([0.1, 0.2], [[0, 0.3], [0.1, 0.4]]);
    expect(lo).toBeCloseTo(0.3 - Math.sqrt(0.02), 14);
    expect(hi).toBeCloseTo(0.3 + Math.sqrt(0.08), 14);
  });
});

describe('Holm step-down adjustment', () => {
  it('multiplies the k-th smallest p by (m − k + 1) and keeps the sequence monotone', () => {
    // m = 4: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, max(0.04·1, 0.06) = 0.06.
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    expect(adj.map((p) => Math.round(p! * 1e12) / 1e12)).toEqual([0.03, 0.06, 0.06, 0.02]);
  });
  it('skips undefined p-values and caps at 1', () => {
    expect(holmAdjust([null, 0.6, 0.5])).toEqual([null, 1, 1]);
  });
});

describe('percentile', () => {
  it('interpolates between order statistics', () => {
    expect(percentile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4], 0.25)).toBe(1.75);
  });
});
