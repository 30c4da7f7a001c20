// Tests of clipping, stochastic-rounding quantization, headroom, overflow detection and packing.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { addInto, signedAt, zeroVector } from './mod-vector.ts';
import { assertNoOverflow, dequantize, modulusBitsFor, packVector, planLayout, quantize, unpackVector } from './quantize.ts';

function expectCode(fn: () => unknown, code: Parameters<typeof isConsortError>[1]): void {
  try {
    fn();
  } catch (err) {
    expect(isConsortError(err, code), String(err)).toBe(true);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('modulusBitsFor', () => {
  it('picks 32 bits while n * (c * 2^s + 1) fits in 2^31 - 1, else 64', () => {
    expect(modulusBitsFor({ members: 100, clip: 1, scaleBits: 16 })).toBe(32);
    // 100 * (2^24 + 1) < 2^31 - 1 < 100 * (2^25 + 1)
    expect(modulusBitsFor({ members: 100, clip: 1, scaleBits: 24 })).toBe(32);
    expect(modulusBitsFor({ members: 100, clip: 1, scaleBits: 25 })).toBe(64);
    expect(modulusBitsFor({ members: 1000, maxAbsInteger: 3_000_000 })).toBe(64);
    expect(modulusBitsFor({ members: 1000, maxAbsInteger: 2_000_000 })).toBe(32);
  });

  it('fails loudly when even 64 bits (exact in float64) cannot hold the sum', () => {
    expectCode(() => modulusBitsFor({ members: 1000, clip: 10, scaleBits: 50 }), 'SECAGG_OVERFLOW');
  });

  it('assertNoOverflow refuses a bound that would wrap', () => {
    expect(() => assertNoOverflow({ members: 10, maxAbsInteger: 2 ** 27, modulusBits: 32 })).not.toThrow();
    expectCode(() => assertNoOverflow({ members: 20, maxAbsInteger: 2 ** 27, modulusBits: 32 }), 'SECAGG_OVERFLOW');
    expect(() => assertNoOverflow({ members: 20, maxAbsInteger: 2 ** 27, modulusBits: 64 })).not.toThrow();
  });
});

describe('quantize', () => {
  it('clips to [-c, c], counts the clipped entries, and rounds within one unit', () => {
    const values = [0.5, -3, 3, 1.0000001, -0.25, 0.1234567];
    const { vector, clipped } = quantize(values, { clip: 1, scaleBits: 10, modulusBits: 32 });
    expect(clipped).toBe(3);
    const back = dequantize(vector, { scaleBits: 10 });
    const expected = [0.5, -1, 1, 1, -0.25, 0.1234567];
    expected.forEach((x, i) => expect(Math.abs(back[i] - x)).toBeLessThan(2 ** -10));
  });

  it('is unbiased: the mean of many stochastic roundings approaches the value', () => {
    const x = 0.3 / 1024; // 0.3 of one quantization unit
    const values = new Float64Array(200_000).fill(x);
    const { vector } = quantize(values, { clip: 1, scaleBits: 10, modulusBits: 32 });
    let ones = 0;
    for (let i = 0; i < values.length; i++) ones += signedAt(vector, i);
    expect(ones / values.length).toBeGreaterThan(0.29);
    expect(ones / values.length).toBeLessThan(0.31);
  });

  it('rejects non-finite values naming the index', () => {
    expectCode(() => quantize([0, Number.NaN], { clip: 1, scaleBits: 8, modulusBits: 32 }), 'INVALID_ARGUMENT');
  });

  it('sum of n quantized vectors dequantizes within n / 2^s of the float sum (negative values included)', () => {
    const n = 30;
    const d = 1000;
    const s = 16;
    const sum = zeroVector(32, d);
    const floatSum = new Float64Array(d);
    for (let m = 0; m < n; m++) {
      const v = Float64Array.from({ length: d }, () => Math.random() * 4 - 2);
      for (let i = 0; i < d; i++) floatSum[i] += Math.max(-1.5, Math.min(1.5, v[i]));
      addInto(sum, quantize(v, { clip: 1.5, scaleBits: s, modulusBits: 32 }).vector);
    }
    const got = dequantize(sum, { scaleBits: s });
    for (let i = 0; i < d; i++) expect(Math.abs(got[i] - floatSum[i])).toBeLessThanOrEqual(n * 2 ** -s);
  });

  it('64-bit vectors carry values beyond 32 bits exactly, negative ones too', () => {
    const { vector } = quantize([3.5, -3.5, 0], { clip: 4, scaleBits: 40, modulusBits: 64 });
    const sum = zeroVector(64, 3);
    for (let k = 0; k < 5; k++) addInto(sum, vector);
    expect([...dequantize(sum, { scaleBits: 40 })]).toEqual([17.5, -17.5, 0]);
  });
});

describe('packVector / unpackVector', () => {
  it('packs weights (fixed point) and counts (exact integers) and decodes their sum', () => {
    const specs = [
      { name: 'weights', kind: 'fixed' as const, length: 3, clip: 1, scaleBits: 20 },
      { name: 'examples', kind: 'integer' as const, length: 1, maxAbs: 1_000_000 },
      { name: 'histogram', kind: 'integer' as const, length: 4, maxAbs: 10_000 },
    ];
    const layout = planLayout(specs, { members: 10 });
    expect(layout.modulusBits).toBe(32);
    expect(layout.length).toBe(8);
    const sum = zeroVector(layout.modulusBits, layout.length);
    const members = [
      { weights: [0.25, -0.5, 2], examples: [120], histogram: [1, 2, 3, 4] },
      { weights: [0.25, 0.5, -0.125], examples: [80], histogram: [10, 0, 0, 9999] },
    ];
    let clippedTotal = 0;
    for (const m of members) {
      const packed = packVector(
        specs.map((s) => ({ ...s, values: m[s.name as keyof typeof m] })),
        { members: 10 },
      );
      expect(packed.layout).toEqual(layout);
      clippedTotal += packed.clipped.weights;
      addInto(sum, packed.vector);
    }
    expect(clippedTotal).toBe(1);
    const out = unpackVector(layout, sum);
    expect([...out.examples]).toEqual([200]);
    expect([...out.histogram]).toEqual([11, 2, 3, 10003]);
    expect(Math.abs(out.weights[0] - 0.5)).toBeLessThanOrEqual(2 * 2 ** -20);
    expect(Math.abs(out.weights[1] - 0)).toBeLessThanOrEqual(2 * 2 ** -20);
    expect(Math.abs(out.weights[2] - 0.875)).toBeLessThanOrEqual(2 * 2 ** -20);
  });

  it('switches the whole vector to 64 bits when one segment needs the headroom', () => {
    const layout = planLayout(
      [
        { name: 'w', kind: 'fixed', length: 2, clip: 1, scaleBits: 8 },
        { name: 'big', kind: 'integer', length: 1, maxAbs: 2 ** 30 },
      ],
      { members: 8 },
    );
    expect(layout.modulusBits).toBe(64);
    expectCode(() => planLayout([{ name: 'big', kind: 'integer', length: 1, maxAbs: 2 ** 30 }], { members: 8, modulusBits: 32 }), 'SECAGG_OVERFLOW');
  });

  it('refuses a count above its declared bound instead of wrapping', () => {
    expectCode(
      () => packVector([{ name: 'count', kind: 'integer', length: 1, maxAbs: 100, values: [101] }], { members: 5 }),
      'SECAGG_OVERFLOW',
    );
    expectCode(
      () => packVector([{ name: 'count', kind: 'integer', length: 1, maxAbs: 100, values: [1.5] }], { members: 5 }),
      'SECAGG_OVERFLOW',
    );
  });
});
