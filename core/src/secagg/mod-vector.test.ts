import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addWords, addWordsScalar, unsignedBigAt, type ModulusBits } from './mod-vector.ts';
import { KERNEL_CHUNK_BYTES, simdAvailable } from './simd-words.ts';

const words = (count: number) => new Uint32Array(randomBytes(count * 4).buffer.slice(0));

describe('addWords (SIMD kernels) against BigInt arithmetic', () => {
  it('uses the WebAssembly SIMD kernels on Node 20', () => {
    expect(simdAvailable()).toBe(true);
  });

  // Lengths cross the kernel's chunk size and leave a scalar tail; offsets are element-aligned.
  const chunkWords = KERNEL_CHUNK_BYTES / 4;
  for (const bits of [32, 64] as ModulusBits[]) {
    for (const sign of [1, -1] as const) {
      for (const [length, offset] of [[2 * chunkWords + 6, 0], [chunkWords + 2, 4], [258, 2], [10, 0]]) {
        it(`Z_2^${bits}, sign ${sign}, ${length} words at offset ${offset}`, () => {
          const target = words(length + offset + 8);
          const source = words(length);
          const before = target.slice();
          addWords(target, source, bits, sign, offset);
          const mod = 1n << BigInt(bits);
          const per = bits / 32;
          const vec = (w: Uint32Array) => ({ bits, length: w.length / per, words: w });
          for (let e = 0; e < length / per; e++) {
            const want = (unsignedBigAt(vec(before), offset / per + e) + BigInt(sign) * unsignedBigAt(vec(source), e) + mod) % mod;
            if (unsignedBigAt(vec(target), offset / per + e) !== want) throw new Error(`element ${e} differs`);
          }
          // Words outside [offset, offset + length) are untouched.
          expect([...target.subarray(0, offset)]).toEqual([...before.subarray(0, offset)]);
          expect([...target.subarray(offset + length)]).toEqual([...before.subarray(offset + length)]);
          // And the scalar path gives the same words.
          const scalar = before.slice();
          addWordsScalar(scalar, source, bits, sign, offset);
          expect(Buffer.from(scalar.buffer).equals(Buffer.from(target.buffer))).toBe(true);
        });
      }
    }
  }
});
