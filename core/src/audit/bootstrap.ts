// Seeded parametric bootstrap over the summed cell table: each cell's counts redrawn multinomially.
import { SeededRandom } from '../random/seeded-random.ts';
import { percentile, type Interval } from './intervals.ts';

/**
 * One multinomial redraw of a count table with the same total (n draws from the observed
 * proportions; the cumulative table is searched by bisection).
 */
export function resampleCounts(counts: ArrayLike<number>, rng: SeededRandom, cumulative?: Float64Array): number[] {
  const k = counts.length;
  const cum = cumulative ?? cumulativeOf(counts);
  const n = cum[k - 1];
  const out = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const u = rng.int(n);
    // First category whose cumulative count exceeds u.
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    out[lo]++;
  }
  return out;
}

/** Running totals of a count table (the last entry is n). */
export function cumulativeOf(counts: ArrayLike<number>): Float64Array {
  const cum = new Float64Array(counts.length);
  let s = 0;
  for (let i = 0; i < counts.length; i++) { s += counts[i]; cum[i] = s; }
  return cum;
}

/**
 * Percentile intervals of several statistics over `resamples` redraws of every table (tables
 * are redrawn independently, as the cells are independent samples). Redraws where a statistic
 * is undefined (NaN) are left out of its interval; null when fewer than half are defined.
 */
export function bootstrapIntervals(
  tables: number[][],
  statistics: (tables: number[][]) => number[],
  options: { resamples: number; seed: number; confidenceLevel: number },
): Array<Interval | null> {
  const rng = new SeededRandom(options.seed);
  const cums = tables.map(cumulativeOf);
  const values: number[][] = [];
  for (let r = 0; r < options.resamples; r++) {
    const drawn = tables.map((t, i) => resampleCounts(t, rng, cums[i]));
    statistics(drawn).forEach((v, k) => {
      values[k] ??= [];
      if (Number.isFinite(v)) values[k].push(v);
    });
  }
  const alpha = 1 - options.confidenceLevel;
  return values.map((vs) => {
    if (vs.length < options.resamples / 2) return null;
    vs.sort((a, b) => a - b);
    return [percentile(vs, alpha / 2), percentile(vs, 1 - alpha / 2)];
  });
}

/** A 32-bit seed for one bootstrap, from the policy seed and a label (so each interval has its own stream). */
export function bootstrapSeed(seed: number, label: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
