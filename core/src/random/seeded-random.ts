// Deterministic PRNG (xoshiro128** seeded through splitmix32) for weight init, splits and shuffles.

/** splitmix32 step: spreads nearby seeds (1, 2, 3) into unrelated 32-bit states. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/**
 * Reproducible pseudo-random stream (xoshiro128**, Blackman & Vigna). Equal seeds give equal
 * streams on every platform. Not cryptographic: it must never feed masks, keys or secrets.
 */
export class SeededRandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  /** Any finite number works as a seed; it is reduced to 32 bits. */
  constructor(seed: number) {
    let st = (Math.trunc(seed) >>> 0);
    [st, this.s0] = splitmix32(st);
    [st, this.s1] = splitmix32(st);
    [st, this.s2] = splitmix32(st);
    [, this.s3] = splitmix32(st);
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    // 1 - next() is in (0, 1]: log never sees 0.
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new RangeError(`int(n) needs an integer n in [1, 2^32], got ${n}`);
    // Rejection sampling keeps every value equally likely when n does not divide 2^32.
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Fisher–Yates shuffle in place (an array or a typed array); returns the same object. */
  shuffle<A extends { length: number; [index: number]: unknown }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    return this.shuffle(Uint32Array.from({ length: n }, (_, i) => i));
  }

  /** An independent child stream derived from this one and a label (e.g. an epoch number). */
  fork(label: number): SeededRandom {
    return new SeededRandom((this.nextUint32() ^ Math.imul((label >>> 0) + 1, 0x9e3779b9)) >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
