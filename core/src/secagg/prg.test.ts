// Tests of mask expansion with AES-256-CTR and of modular vector arithmetic.
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addInto, addWordsScalar, unsignedBigAt, zeroVector } from './mod-vector.ts';
import { addMask, addMasks, expandMask } from './prg.ts';

describe('mask PRG', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const seed = new Uint8Array(randomBytes(32));
    const a = expandMask(seed, 1000, 32);
    const b = expandMask(seed, 1000, 32);
    const c = expandMask(new Uint8Array(randomBytes(32)), 1000, 32);
    expect(a.words).toEqual(b.words);
    expect(a.words).not.toEqual(c.words);
  });

  it('streams consistently across chunk boundaries (a longer expansion extends a shorter one)', () => {
    const seed = new Uint8Array(randomBytes(32));
    const short = expandMask(seed, 70_000, 32);
    const long = expandMask(seed, 300_000, 32);
    expect(Buffer.from(long.words.buffer, 0, 280_000).equals(Buffer.from(short.words.buffer))).toBe(true);
  });

  for (const bits of [32, 64] as const) {
    it(`adding then subtracting a mask restores the vector (Z_2^${bits})`, () => {
      const v = zeroVector(bits, 5000);
      for (let i = 0; i < v.words.length; i++) v.words[i] = (i * 2654435761) >>> 0;
      const original = v.words.slice();
      const seed = new Uint8Array(randomBytes(32));
      addMask(v, seed, 1);
      expect(v.words).not.toEqual(original);
      addMask(v, seed, -1);
      expect(v.words).toEqual(original);
    });
  }

  it('64-bit addition carries from the low word into the high word', () => {
    const a = zeroVector(64, 2);
    a.words.set([0xffffffff, 0, 0xffffffff, 0xffffffff]);
    const one = zeroVector(64, 2);
    one.words.set([1, 0, 1, 0]);
    addInto(a, one);
    expect(unsignedBigAt(a, 0)).toBe(2n ** 32n);
    expect(unsignedBigAt(a, 1)).toBe(0n);
    addInto(a, one, -1);
    expect(unsignedBigAt(a, 0)).toBe(2n ** 32n - 1n);
    expect(unsignedBigAt(a, 1)).toBe(2n ** 64n - 1n);
  });

  it('masks 10^6 elements in a few milliseconds', () => {
    const v = zeroVector(32, 1_000_000);
    const seed = new Uint8Array(randomBytes(32));
    addMask(v, seed, 1); // warm-up
    const t0 = performance.now();
    for (let r = 0; r < 5; r++) addMask(v, seed, 1);
    const ms = (performance.now() - t0) / 5;
    console.log(`addMask 1e6 x uint32: ${ms.toFixed(2)} ms`);
    expect(ms).toBeLessThan(40);
  });
});

describe('addMasks (one pass in the SIMD module) equals the AES-CTR keystreams added one by one', () => {
  // Lengths with a tail that is not a multiple of 4 words, and one crossing the 1 MiB keystream chunk.
  for (const [bits, length] of [[32, 10], [32, 262_150], [64, 5], [64, 131_075]] as const) {
    it(`Z_2^${bits}[${length}]`, () => {
      const masks = [1, -1, 1, -1, -1].map((sign) => ({ seed: new Uint8Array(randomBytes(32)), sign: sign as 1 | -1 }));
      const start = zeroVector(bits, length);
      start.words.set(new Uint32Array(randomBytes(start.words.byteLength).buffer.slice(0)));
      // Reference without the chunked accumulation: each whole keystream, added by the scalar path.
      const one = { ...start, words: start.words.slice() };
      for (const m of masks) {
        const stream = createCipheriv('aes-256-ctr', m.seed, new Uint8Array(16)).update(new Uint8Array(one.words.byteLength));
        addWordsScalar(one.words, new Uint32Array(new Uint8Array(stream).buffer), bits, m.sign);
      }
      const all = { ...start, words: start.words.slice() };
      addMasks(all, masks);
      expect(Buffer.from(all.words.buffer).equals(Buffer.from(one.words.buffer))).toBe(true);
      expect(Buffer.from(all.words.buffer).equals(Buffer.from(start.words.buffer))).toBe(false);
    });
  }
});
