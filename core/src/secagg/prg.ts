// Mask expansion: a 32-byte seed -> a pseudorandom vector over Z_(2^32) or Z_(2^64) with AES-256-CTR.
import { createCipheriv, type Cipher } from 'node:crypto';
import { ConsortError } from '../errors/consort-error.ts';
import { addWordsScalar, wordsPerElement, type ModulusBits, type ModVector } from './mod-vector.ts';
import { accumulateSimd } from './simd-words.ts';

/**
 * Bytes of keystream produced per cipher call; bounded so no O(d) temporary is allocated per mask.
 * node's cipher.update returns a fresh buffer each call. At 1 MiB those were mmapped and page-faulted
 * afresh every call (3-4x a member's masking CPU, half of it system time); at 64 KiB glibc still
 * trimmed and regrew its heap when two processes masked at once (0.4-1.8 GB/s each instead of ~2.5).
 * 32 KiB outputs stay in the heap and in L2 for the SIMD add.
 */
export const KEYSTREAM_CHUNK_BYTES = 1 << 15;
/** Shared all-zero plaintext (AES-CTR of zeros is the keystream itself). Never written to. */
const ZEROS = new Uint8Array(KEYSTREAM_CHUNK_BYTES);
const ZERO_IV = new Uint8Array(16);

function cipherFor(seed: Uint8Array) {
  if (seed.length !== 32) {
    throw new ConsortError('INVALID_ARGUMENT', `A mask seed must be 32 bytes, got ${seed.length}.`);
  }
  // Each seed is fresh per round and per pair, so the fixed IV never repeats a (key, counter) pair.
  return createCipheriv('aes-256-ctr', seed, ZERO_IV);
}

/**
 * target += sign * PRG(seed) over the whole vector, streamed in chunks. Both members of a pair
 * and the coordinator expand the same seed to the same stream, so the masks cancel exactly.
 */
export function addMask(target: ModVector, seed: Uint8Array, sign: 1 | -1): void {
  addMasks(target, [{ seed, sign }]);
}

/** One mask to add: PRG(seed) times sign. */
export interface MaskTerm {
  seed: Uint8Array;
  sign: 1 | -1;
}

/**
 * target += sum of sign * PRG(seed) over `masks`, keeping the vector in the SIMD module's memory
 * for all of them (one copy in and out instead of three copies per chunk and mask). Same result
 * as calling addMask for each term.
 */
export function addMasks(target: ModVector, masks: readonly MaskTerm[]): void {
  accumulateSimd(target.words, target.bits, (add) => {
    for (const { seed, sign } of masks) {
      forEachKeystreamChunk(cipherFor(seed), target.words.length * 4, (chunk, offset) => add(wordsOf(chunk), offset / 4, sign));
    }
  }, (dest, chunk, offset, sign) => addWordsScalar(dest, chunk, target.bits, sign, offset));
}

/** Feeds `totalBytes` of a CTR cipher's keystream to `use` in KEYSTREAM_CHUNK_BYTES pieces (each valid only during the call). */
export function forEachKeystreamChunk(cipher: Cipher, totalBytes: number, use: (chunk: Buffer, offset: number) => void): void {
  for (let offset = 0; offset < totalBytes; offset += KEYSTREAM_CHUNK_BYTES) {
    const len = Math.min(KEYSTREAM_CHUNK_BYTES, totalBytes - offset);
    use(cipher.update(len === KEYSTREAM_CHUNK_BYTES ? ZEROS : ZEROS.subarray(0, len)), offset);
  }
}

/** A keystream chunk as words (node's Buffers are 8-aligned in practice; copy otherwise). */
function wordsOf(chunk: Buffer): Uint32Array {
  return chunk.byteOffset % 4 === 0 ? new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length / 4) : new Uint32Array(new Uint8Array(chunk).buffer);
}

/** The mask PRG(seed) itself as a vector of `length` elements (tests, diagnostics). */
export function expandMask(seed: Uint8Array, length: number, bits: ModulusBits): ModVector {
  const v: ModVector = { bits, length, words: new Uint32Array(length * wordsPerElement(bits)) };
  addMask(v, seed, 1);
  return v;
}
