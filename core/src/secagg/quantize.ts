// Clipping, fixed-point quantization with stochastic rounding into Z_(2^32)/Z_(2^64), headroom and packing.
import { createCipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { ConsortError } from '../errors/consort-error.ts';
import { setSigned, signedAt, zeroVector, type ModulusBits, type ModVector } from './mod-vector.ts';
import { KEYSTREAM_CHUNK_BYTES, forEachKeystreamChunk } from './prg.ts';

/** Fills `out` with uniform uint32 values (stochastic-rounding coins). Default: node:crypto. */
export type RandomSource = (out: Uint32Array) => void;

/**
 * Coins from AES-256-CTR under a fresh random key per call: the same cryptographic strength as
 * randomFillSync at ~4x its speed for long vectors (a member draws one coin per parameter).
 */
export const cryptoRandom: RandomSource = (out) => {
  if (out.length < 1024) {
    randomFillSync(out);
    return;
  }
  const cipher = createCipheriv('aes-256-ctr', randomBytes(32), new Uint8Array(16));
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  forEachKeystreamChunk(cipher, bytes.length, (chunk, offset) => bytes.set(chunk, offset));
};

/** Largest |sum| we accept: two's-complement centred in Z_(2^bits) and exact in a float64. */
export function sumCapacity(bits: ModulusBits): number {
  return bits === 32 ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER;
}

/** Options of `modulusBitsFor`. */
export interface HeadroomOptions {
  /** Members whose vectors are summed (use the invited count: an upper bound). */
  members: number;
  /** Clip bound c of float values (values live in [-c, c]). Ignored when maxAbsInteger is set. */
  clip?: number;
  /** Fixed-point scale: values are multiplied by 2^scaleBits. Ignored when maxAbsInteger is set. */
  scaleBits?: number;
  /** Largest |integer| one member contributes per element (overrides clip/scaleBits). */
  maxAbsInteger?: number;
}

/** Largest |quantized integer| one member contributes per element. */
export function perMemberBound(opts: HeadroomOptions): number {
  if (opts.maxAbsInteger !== undefined) {
    if (!(opts.maxAbsInteger >= 0) || !Number.isSafeInteger(opts.maxAbsInteger)) {
      throw new ConsortError('INVALID_ARGUMENT', `maxAbsInteger must be a non-negative safe integer, got ${opts.maxAbsInteger}.`);
    }
    return opts.maxAbsInteger;
  }
  const { clip, scaleBits } = opts;
  if (clip === undefined || !(clip > 0) || !Number.isFinite(clip)) {
    throw new ConsortError('INVALID_ARGUMENT', `clip must be a positive finite number, got ${clip}.`);
  }
  if (scaleBits === undefined || !Number.isInteger(scaleBits) || scaleBits < 0 || scaleBits > 52) {
    throw new ConsortError('INVALID_ARGUMENT', `scaleBits must be an integer in [0, 52], got ${scaleBits}.`);
  }
  // Stochastic rounding may round up by one unit past clip * 2^s.
  return Math.ceil(clip * 2 ** scaleBits) + 1;
}

/**
 * The smallest modulus (32, else 64) whose centred range holds the sum of `members` vectors:
 * members * bound <= 2^31 - 1, else <= 2^53 - 1. Throws SECAGG_OVERFLOW when neither does.
 */
export function modulusBitsFor(opts: HeadroomOptions): ModulusBits {
  checkMembers(opts.members);
  const worst = opts.members * perMemberBound(opts);
  if (worst <= sumCapacity(32)) return 32;
  if (worst <= sumCapacity(64)) return 64;
  throw new ConsortError(
    'SECAGG_OVERFLOW',
    `The sum of ${opts.members} members can reach ${worst}, beyond 2^53: lower scaleBits, clip or maxAbsInteger.`,
    { members: opts.members, worst },
  );
}

/** Throws SECAGG_OVERFLOW when `members` vectors bounded by `maxAbsInteger` could wrap modulo 2^bits. */
export function assertNoOverflow(opts: { members: number; maxAbsInteger: number; modulusBits: ModulusBits }): void {
  checkMembers(opts.members);
  const worst = opts.members * opts.maxAbsInteger;
  if (!(worst <= sumCapacity(opts.modulusBits))) {
    throw new ConsortError(
      'SECAGG_OVERFLOW',
      `The sum of ${opts.members} members bounded by ${opts.maxAbsInteger} can reach ${worst}, which wraps in Z_2^${opts.modulusBits}: ` +
        'use 64-bit masking (modulusBitsFor) or lower the scale/clip.',
      { ...opts, worst },
    );
  }
}

function checkMembers(members: number): void {
  if (!Number.isSafeInteger(members) || members < 1) {
    throw new ConsortError('INVALID_ARGUMENT', `members must be a positive integer, got ${members}.`);
  }
}

/** Options of `quantize`. */
export interface QuantizeOptions {
  /** Clip bound c: values are clipped to [-c, c]. */
  clip: number;
  /** Values are multiplied by 2^scaleBits, then stochastically rounded. */
  scaleBits: number;
  /** 32 or 64 (see modulusBitsFor). */
  modulusBits: ModulusBits;
  /** Coins for stochastic rounding; default node:crypto. */
  random?: RandomSource;
}

/** Quantized vector and how many entries were clipped (report it: heavy clipping biases the model). */
export interface Quantized {
  vector: ModVector;
  clipped: number;
}

/**
 * Clips to [-c, c] and rounds x * 2^s to floor or ceil with probability equal to the fraction
 * (unbiased: E[q] = x * 2^s, |q - x * 2^s| < 1).
 */
export function quantize(values: ArrayLike<number>, opts: QuantizeOptions): Quantized {
  const vector = zeroVector(opts.modulusBits, values.length);
  const clipped = quantizeInto(vector, 0, values, opts.clip, opts.scaleBits, opts.random ?? cryptoRandom, 'values');
  return { vector, clipped };
}

/** Coins drawn per call: one keystream chunk, so the coin buffer stays in the heap and in cache. */
const COIN_CHUNK = KEYSTREAM_CHUNK_BYTES / 4;

function quantizeInto(
  target: ModVector,
  offset: number,
  values: ArrayLike<number>,
  clip: number,
  scaleBits: number,
  random: RandomSource,
  name: string,
): number {
  perMemberBound({ members: 1, clip, scaleBits });
  const scale = 2 ** scaleBits;
  const coins = new Uint32Array(Math.min(COIN_CHUNK, Math.max(1, values.length)));
  const words32 = target.bits === 32 ? target.words : null;
  const words64 = target.bits === 64 ? target.words : null;
  let clipped = 0;
  for (let start = 0; start < values.length; start += COIN_CHUNK) {
    const end = Math.min(values.length, start + COIN_CHUNK);
    random(coins);
    for (let i = start; i < end; i++) {
      let x = values[i];
      if (!Number.isFinite(x)) {
        throw new ConsortError('INVALID_ARGUMENT', `Segment "${name}" has a non-finite value at index ${i}: fix the update before masking.`, { index: i });
      }
      if (x > clip) {
        x = clip;
        clipped++;
      } else if (x < -clip) {
        x = -clip;
        clipped++;
      }
      const v = x * scale;
      const lo = Math.floor(v);
      const q = coins[i - start] / 4294967296 < v - lo ? lo + 1 : lo;
      // setSigned, inlined (one call per parameter shows in profiles).
      if (words32) words32[offset + i] = q >>> 0;
      else {
        const hi = Math.floor(q / 4294967296);
        words64![2 * (offset + i)] = (q - hi * 4294967296) >>> 0;
        words64![2 * (offset + i) + 1] = hi >>> 0;
      }
    }
  }
  return clipped;
}

/** Centred two's-complement decoding of a sum, divided by 2^scaleBits. */
export function dequantize(sum: ModVector, opts: { scaleBits: number }): Float64Array {
  const out = new Float64Array(sum.length);
  const inv = 2 ** -opts.scaleBits;
  for (let i = 0; i < sum.length; i++) out[i] = signedAt(sum, i) * inv;
  return out;
}

/** One segment of a packed vector: model weights (fixed point) or exact integers (counts). */
export type SegmentSpec =
  | {
      name: string;
      kind: 'fixed';
      length: number;
      /** Clip bound c of this segment. */
      clip: number;
      /** Scale 2^scaleBits of this segment. */
      scaleBits: number;
    }
  | {
      name: string;
      kind: 'integer';
      length: number;
      /** Largest |value| one member may contribute; larger values throw SECAGG_OVERFLOW (never clipped silently). */
      maxAbs: number;
    };

/** Where each segment sits in the packed vector, and the modulus that holds all of them. */
export interface VectorLayout {
  modulusBits: ModulusBits;
  length: number;
  members: number;
  segments: Array<SegmentSpec & { offset: number }>;
}

/**
 * Lays segments out back to back and picks the modulus from the worst segment's headroom for
 * `members` members. Members and coordinator derive the same layout from the task alone.
 */
export function planLayout(specs: readonly SegmentSpec[], opts: { members: number; modulusBits?: ModulusBits }): VectorLayout {
  const names = new Set<string>();
  let offset = 0;
  let bits: ModulusBits = 32;
  const segments: VectorLayout['segments'] = [];
  for (const spec of specs) {
    if (names.has(spec.name)) throw new ConsortError('INVALID_ARGUMENT', `Duplicate segment name "${spec.name}".`);
    names.add(spec.name);
    if (!Number.isSafeInteger(spec.length) || spec.length < 0) {
      throw new ConsortError('INVALID_ARGUMENT', `Segment "${spec.name}" has an invalid length ${spec.length}.`);
    }
    const needed = modulusBitsFor(
      spec.kind === 'fixed'
        ? { members: opts.members, clip: spec.clip, scaleBits: spec.scaleBits }
        : { members: opts.members, maxAbsInteger: spec.maxAbs },
    );
    if (needed === 64) bits = 64;
    segments.push({ ...spec, offset });
    offset += spec.length;
  }
  if (opts.modulusBits !== undefined) {
    if (opts.modulusBits < bits) {
      throw new ConsortError('SECAGG_OVERFLOW', `The segments need 64-bit masking for ${opts.members} members; 32 was requested.`);
    }
    bits = opts.modulusBits;
  }
  return { modulusBits: bits, length: offset, members: opts.members, segments };
}

/** Packs segment values into one vector (quantizing fixed segments), per `planLayout`. */
export function packVector(
  segments: ReadonlyArray<SegmentSpec & { values: ArrayLike<number> }>,
  opts: { members: number; modulusBits?: ModulusBits; random?: RandomSource },
): { vector: ModVector; layout: VectorLayout; clipped: Record<string, number> } {
  const layout = planLayout(segments.map(({ values: _v, ...spec }) => spec as SegmentSpec), opts);
  const vector = zeroVector(layout.modulusBits, layout.length);
  const clipped: Record<string, number> = {};
  const random = opts.random ?? cryptoRandom;
  segments.forEach((seg, idx) => {
    const { offset } = layout.segments[idx];
    if (seg.values.length !== seg.length) {
      throw new ConsortError('INVALID_ARGUMENT', `Segment "${seg.name}" has ${seg.values.length} values, its spec says ${seg.length}.`);
    }
    if (seg.kind === 'fixed') {
      clipped[seg.name] = quantizeInto(vector, offset, seg.values, seg.clip, seg.scaleBits, random, seg.name);
      return;
    }
    for (let i = 0; i < seg.length; i++) {
      const v = seg.values[i];
      if (!Number.isSafeInteger(v) || Math.abs(v) > seg.maxAbs) {
        throw new ConsortError(
          'SECAGG_OVERFLOW',
          `Segment "${seg.name}" value ${v} at index ${i} is not an integer within ±${seg.maxAbs}: raise maxAbs in the task spec or fix the count.`,
          { segment: seg.name, index: i },
        );
      }
      setSigned(vector, offset + i, v);
    }
    clipped[seg.name] = 0;
  });
  return { vector, layout, clipped };
}

/** Decodes a sum by layout: fixed segments as floats (÷ 2^s), integer segments as exact integers. */
export function unpackVector(layout: VectorLayout, sum: ModVector): Record<string, Float64Array> {
  if (sum.length !== layout.length || sum.bits !== layout.modulusBits) {
    throw new ConsortError('INVALID_ARGUMENT', `Sum shape Z_2^${sum.bits}[${sum.length}] does not match the layout Z_2^${layout.modulusBits}[${layout.length}].`);
  }
  const out: Record<string, Float64Array> = {};
  for (const seg of layout.segments) {
    const values = new Float64Array(seg.length);
    const inv = seg.kind === 'fixed' ? 2 ** -seg.scaleBits : 1;
    for (let i = 0; i < seg.length; i++) values[i] = signedAt(sum, seg.offset + i) * inv;
    out[seg.name] = values;
  }
  return out;
}
