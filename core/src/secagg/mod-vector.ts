// Vectors over Z_(2^32) or Z_(2^64) as Uint32Array words (64-bit elements as little-endian lo/hi pairs).
import { ConsortError } from '../errors/consort-error.ts';
import { accumulateSimd } from './simd-words.ts';

/** Modulus of the masked field: 2^32 or 2^64. */
export type ModulusBits = 32 | 64;

/**
 * A vector of `length` elements of Z_(2^bits). 64-bit elements are stored as interleaved
 * (lo, hi) uint32 words: plain uint32 arithmetic with a carry is ~20x faster than BigInt
 * lanes of a BigUint64Array, and the bytes equal little-endian uint64 on the wire.
 */
export interface ModVector {
  readonly bits: ModulusBits;
  readonly length: number;
  readonly words: Uint32Array;
}

/** Words per element for a modulus. */
export function wordsPerElement(bits: ModulusBits): 1 | 2 {
  return bits === 32 ? 1 : 2;
}

/** An all-zero vector. */
export function zeroVector(bits: ModulusBits, length: number): ModVector {
  assertBits(bits);
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new ConsortError('INVALID_ARGUMENT', `Vector length must be a non-negative integer, got ${length}.`);
  }
  return { bits, length, words: new Uint32Array(length * wordsPerElement(bits)) };
}

/** Throws INVALID_ARGUMENT unless bits is 32 or 64. */
export function assertBits(bits: number): asserts bits is ModulusBits {
  if (bits !== 32 && bits !== 64) {
    throw new ConsortError('INVALID_ARGUMENT', `Modulus bits must be 32 or 64, got ${bits}.`);
  }
}

/**
 * target += sign * source (mod 2^bits), word arrays of the same element layout.
 * `targetOffset` is in words; `source` may be shorter than target (a chunk).
 */
export function addWords(target: Uint32Array, source: Uint32Array, bits: ModulusBits, sign: 1 | -1, targetOffset = 0): void {
  if (source.length < SIMD_MIN_WORDS) {
    addWordsScalar(target, source, bits, sign, targetOffset);
    return;
  }
  // Long vectors go through the SIMD kernels (~5x faster).
  accumulateSimd(target.subarray(targetOffset, targetOffset + source.length), bits, (add) => add(source, 0, sign),
    (dest, chunk, offset, s) => addWordsScalar(dest, chunk, bits, s, offset));
}

/** Below this many words the copies into the SIMD module cost more than the scalar loop. */
const SIMD_MIN_WORDS = 256;

/** The scalar reference path of addWords (also the fallback without WebAssembly SIMD). */
export function addWordsScalar(target: Uint32Array, source: Uint32Array, bits: ModulusBits, sign: 1 | -1, targetOffset = 0): void {
  const n = source.length;
  if (bits === 32) {
    if (sign === 1) for (let i = 0; i < n; i++) target[targetOffset + i] = (target[targetOffset + i] + source[i]) >>> 0;
    else for (let i = 0; i < n; i++) target[targetOffset + i] = (target[targetOffset + i] - source[i]) >>> 0;
    return;
  }
  if (sign === 1) {
    for (let i = 0; i < n; i += 2) {
      const j = targetOffset + i;
      const lo = target[j] + source[i];
      target[j] = lo >>> 0;
      target[j + 1] = (target[j + 1] + source[i + 1] + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    }
  } else {
    for (let i = 0; i < n; i += 2) {
      const j = targetOffset + i;
      const lo = target[j] - source[i];
      target[j] = lo >>> 0;
      target[j + 1] = (target[j + 1] - source[i + 1] - (lo < 0 ? 1 : 0)) >>> 0;
    }
  }
}

/** target += sign * source for whole vectors of the same shape. */
export function addInto(target: ModVector, source: ModVector, sign: 1 | -1 = 1): void {
  if (target.bits !== source.bits || target.length !== source.length) {
    throw new ConsortError(
      'INVALID_ARGUMENT',
      `Vector shape mismatch: Z_2^${target.bits}[${target.length}] vs Z_2^${source.bits}[${source.length}].`,
    );
  }
  addWords(target.words, source.words, target.bits, sign);
}

/** Element i as a two's-complement signed number (exact while |value| < 2^53). */
export function signedAt(v: ModVector, i: number): number {
  if (v.bits === 32) return v.words[i] | 0;
  const lo = v.words[2 * i];
  const hi = v.words[2 * i + 1] | 0;
  return hi * 4294967296 + lo;
}

/** Element i as an unsigned bigint (for tests and exact comparisons). */
export function unsignedBigAt(v: ModVector, i: number): bigint {
  if (v.bits === 32) return BigInt(v.words[i]);
  return (BigInt(v.words[2 * i + 1]) << 32n) | BigInt(v.words[2 * i]);
}

/** Writes a signed integer (|value| < 2^53) at element i, reduced mod 2^bits. */
export function setSigned(v: ModVector, i: number, value: number): void {
  if (v.bits === 32) {
    v.words[i] = value >>> 0;
    return;
  }
  const hi = Math.floor(value / 4294967296);
  v.words[2 * i] = (value - hi * 4294967296) >>> 0;
  v.words[2 * i + 1] = hi >>> 0;
}
