// Exact moment sums [n, Σx, Σx²] of one numeric column for the statistics round: values at a fixed
// scale of 2^-80 summed as big integers, carried as 32-bit limbs so sums of members never wrap.
import { ConsortError } from '../errors/consort-error.ts';

/** Largest |value| a numeric column may hold (a money amount in cents up to 10^10 fits). */
export const MAX_ABS_NUMERIC_VALUE = 1e12;
/**
 * Each value enters the sums as q = x·2^80, an exact integer for every float64 with |x| ≥ 2^-28
 * (≈ 3.7e-9: ratios of 1e-6 are summed exactly); smaller values round half to even (≤ 2^-81).
 */
export const MOMENT_SCALE_BITS = 80;
/** Limb width: ≤ 1,000 members × (2^32 − 1) stays an exact integer in a float64 and in Z_(2^64). */
export const LIMB_BITS = 32;
/**
 * Limbs of Σq (two's complement). |q| < 2^120 (|x| ≤ 10^12 < 2^40), and the federation has at
 * most 2^40 rows (1,000 members × 10^9), so |Σq| < 2^160: 161 signed bits fit in 6 limbs (192).
 */
export const SUM_LIMBS = 6;
/** Limbs of Σq²: q² < 2^240, times 2^40 rows < 2^280, fits 9 limbs (288 bits) with a sign bit spare. */
export const SQUARE_LIMBS = 9;
/** Entries one column occupies in the statistics vector: n, then Σq limbs, then Σq² limbs. */
export const MOMENT_SLOTS = 1 + SUM_LIMBS + SQUARE_LIMBS;

const SCALE = 2 ** MOMENT_SCALE_BITS;
const LIMB_MASK = (1n << BigInt(LIMB_BITS)) - 1n;

/** Small integers (counts, days, ages) are summed in float64 while exact: |x| ≤ 2^26, Σx² ≤ 2^52 (so |Σx| ≤ 2^52). */
const SMALL_INT = 2 ** 26;
const SMALL_SQUARES_LIMIT = 2 ** 52;

/** Exact running sums of one column on one member: count, Σq and Σq² as big integers. */
export class MomentSums {
  count = 0;
  private big = 0n;
  private bigSquares = 0n;
  // Fast path: integer values summed exactly in float64 (every partial sum is an integer below
  // 2^53), flushed into the big integers before they could round. BigInt costs ~0.5 µs a value.
  private small = 0;
  private smallSquares = 0;

  /** Σq at scale 2^80. */
  get sum(): bigint {
    return this.big + (BigInt(this.small) << BigInt(MOMENT_SCALE_BITS));
  }

  /** Σq² at scale 2^160. */
  get squares(): bigint {
    return this.bigSquares + (BigInt(this.smallSquares) << BigInt(2 * MOMENT_SCALE_BITS));
  }

  /**
   * Adds x (caller checked |x| ≤ MAX_ABS_NUMERIC_VALUE). x·2^80 is exact in a float64 (a power
   * of two) and already an integer unless |x| < 2^-28; then it is below 2^53 and rounds half to
   * even (Math.round alone would bias ties upward). Squares are of the same q, so the sums
   * describe one set of values and n·Σq² − (Σq)² is never negative.
   */
  add(x: number): void {
    this.count += 1;
    if (Number.isInteger(x) && x <= SMALL_INT && x >= -SMALL_INT) {
      if (this.smallSquares + x * x > SMALL_SQUARES_LIMIT) this.flush();
      this.small += x;
      this.smallSquares += x * x;
      return;
    }
    const v = x * SCALE;
    let r = Math.round(v);
    if (r - v === 0.5 && r % 2 !== 0) r -= 1;
    const q = BigInt(r);
    this.big += q;
    this.bigSquares += q * q;
  }

  private flush(): void {
    this.big = this.sum;
    this.bigSquares = this.squares;
    this.small = 0;
    this.smallSquares = 0;
  }

  /** Writes [n, Σq limbs, Σq² limbs] at `offset` (MOMENT_SLOTS entries, each an integer < 2^32). */
  writeTo(out: Float64Array, offset: number): void {
    out[offset] = this.count;
    writeLimbs(this.sum, SUM_LIMBS, out, offset + 1);
    writeLimbs(this.squares, SQUARE_LIMBS, out, offset + 1 + SUM_LIMBS);
  }
}

function writeLimbs(v: bigint, limbs: number, out: Float64Array, offset: number): void {
  let u = BigInt.asUintN(limbs * LIMB_BITS, v);
  for (let j = 0; j < limbs; j++) {
    out[offset + j] = Number(u & LIMB_MASK);
    u >>= BigInt(LIMB_BITS);
  }
}

function readLimbs(summed: ArrayLike<number>, limbs: number, offset: number, what: string): bigint {
  let total = 0n;
  for (let j = limbs - 1; j >= 0; j--) {
    const v = summed[offset + j];
    if (!Number.isSafeInteger(v)) {
      throw new ConsortError('INVALID_ARGUMENT', `${what}: limb ${j} of the summed statistics is ${v}, not an exact integer; members must send the statistics of this version`, { offset: offset + j });
    }
    total = (total << BigInt(LIMB_BITS)) + BigInt(v);
  }
  // Limb sums overlap (each up to members × 2^32); the total is exact modulo 2^(32·limbs).
  return BigInt.asIntN(limbs * LIMB_BITS, total);
}

/** Summed moments of one column over the federation, read back from the summed limbs. */
export interface ColumnMoments {
  count: number;
  /** Σq at scale 2^80. */
  sum: bigint;
  /** Σq² at scale 2^160. */
  squares: bigint;
}

/** Writes moments (e.g. with noise added to the sums) as [n, Σq limbs, Σq² limbs] at `offset`. */
export function writeMoments(m: ColumnMoments, out: Float64Array, offset: number): void {
  out[offset] = m.count;
  writeLimbs(m.sum, SUM_LIMBS, out, offset + 1);
  writeLimbs(m.squares, SQUARE_LIMBS, out, offset + 1 + SUM_LIMBS);
}

/** Reads one column's summed moments at `offset`; `what` names the column in errors. */
export function readMoments(summed: ArrayLike<number>, offset: number, what: string): ColumnMoments {
  const count = summed[offset];
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new ConsortError('INVALID_ARGUMENT', `${what}: the summed count of values is ${count}, not a non-negative integer`, { offset });
  }
  return { count, sum: readLimbs(summed, SUM_LIMBS, offset + 1, what), squares: readLimbs(summed, SQUARE_LIMBS, offset + 1 + SUM_LIMBS, what) };
}

/**
 * Mean and standard deviation from exact moments: the centred sum n·Σq² − (Σq)² is computed
 * exactly in integers, so no cancellation; only the final divisions round (relative error of
 * a few 1e-16). `variance` is 0 exactly when every value was the same; null when n = 0.
 */
export function meanAndStd(m: ColumnMoments): { mean: number; std: number; variance: number } | null {
  if (m.count === 0) return null;
  const centred = BigInt(m.count) * m.squares - m.sum * m.sum;
  if (centred < 0n) {
    throw new ConsortError('INVALID_ARGUMENT', `summed statistics are inconsistent (n·Σx² < (Σx)²); a member sent malformed statistics`);
  }
  const mean = Number(m.sum) / m.count / SCALE;
  const variance = Number(centred) / m.count / m.count / SCALE / SCALE;
  return { mean, std: Math.sqrt(variance), variance };
}
