// The synthetic-data draws of the generator (Poisson, weighted choice...) over core's one seeded PRNG.
import { SeededRandom } from '@consort/core';

/**
 * Deterministic pseudo-random draws for synthetic data, taken from core's SeededRandom (the one
 * PRNG of the project). Reproducible, not unpredictable: it must never feed masks, keys or secrets.
 */
export class Rng {
  private readonly source: SeededRandom;

  /** Seeds the stream; equal seeds give equal streams, nearby seeds unrelated ones. */
  constructor(seed: number | SeededRandom) {
    this.source = typeof seed === 'number' ? new SeededRandom(seed) : seed;
  }

  /**
   * An independent child stream, derived from this one's current state and a label, so that
   * one member's draws never shift another member's (adding a column to member 3 leaves
   * member 4 byte-identical).
   */
  fork(label: number): Rng {
    return new Rng(this.source.fork(label));
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    return this.source.nextUint32();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.source.next();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return this.source.uniform(lo, hi);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal draw (Box-Muller; the second value is dropped to keep the stream simple). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal draw: exp(N(mu, sigma)). */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Poisson count; Knuth's method for small means, a rounded normal for large ones. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 40) return Math.max(0, Math.round(this.normal(mean, Math.sqrt(mean))));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k += 1;
      p *= this.next();
    }
    return k;
  }

  /** Binomial count by summing Bernoulli trials (the generator only uses small n). */
  binomial(n: number, p: number): number {
    let k = 0;
    for (let i = 0; i < n; i += 1) if (this.next() < p) k += 1;
    return k;
  }

  /** Index drawn with probability proportional to weights (which need not sum to 1). */
  weightedIndex(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i += 1) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** One of the items, with probability proportional to the matching weight. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    return items[this.weightedIndex(weights)];
  }

  /** One of the items, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
