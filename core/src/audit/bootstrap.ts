// Seeded parametric bootstrap over the summed cell table: each cell's counts redrawn multinomially.
import { SeededRandom } from '../random/seeded-random.ts';
import { percentile, type Interval } from './intervals.ts';

/**
 * A count table prepared for redrawing: Walker's alias table over its non-empty categories
 * (Vose's construction), so one draw costs one uniform and no search.
 */
export interface AliasTable {
  n: number;
  size: number;
  categories: Int32Array;
  probability: Float64Array;
  alias: Int32Array;
}

/** The alias table of a count table (categories with a zero count are left out: they are never drawn). */
export function aliasTable(counts: ArrayLike<number>): AliasTable {
  const categories: number[] = [];
  let n = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) { categories.push(i); n += counts[i]; }
  const k = categories.length;
  const probability = new Float64Array(k);
  const alias = new Int32Array(k);
  const scaled = categories.map((c) => (counts[c] * k) / n);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((v, i) => (v < 1 ? small : large).push(i));
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    probability[s] = scaled[s];
    alias[s] = l;
    scaled[l] = scaled[l] + scaled[s] - 1;
    (scaled[l] < 1 ? small : large).push(l);
  }
  for (const i of [...small, ...large]) { probability[i] = 1; alias[i] = i; }
  return { n, size: k, categories: Int32Array.from(categories), probability, alias };
}

/** One multinomial redraw of a count table with the same total n (n draws from the observed proportions). */
export function resampleCounts(counts: ArrayLike<number>, rng: SeededRandom, table: AliasTable = aliasTable(counts)): Int32Array {
  return resampleInto(new Int32Array(counts.length), rng, table);
}

/** `resampleCounts` into a caller's buffer (zeroed first), so a bootstrap allocates nothing per redraw. */
export function resampleInto(out: Int32Array, rng: SeededRandom, table: AliasTable): Int32Array {
  out.fill(0);
  const { n, size, categories, probability, alias } = table;
  for (let i = 0; i < n; i++) {
    // One uniform picks the column (integer part) and flips its coin (fraction): the coin's
    // resolution is size/2^32, far below any count table's proportions.
    const u = rng.next() * size;
    const j = Math.floor(u);
    out[categories[u - j < probability[j] ? j : alias[j]]]++;
  }
  return out;
}

/**
 * Percentile intervals of several statistics over `resamples` redraws of every table (tables
 * are redrawn independently, as the cells are independent samples). Redraws where a statistic
 * is undefined (NaN) are left out of its interval; null when fewer than half are defined.
 */
export function bootstrapIntervals(
  tables: number[][],
  statistics: (tables: Int32Array[]) => number[],
  options: { resamples: number; seed: number; confidenceLevel: number },
): Array<Interval | null> {
  const rng = new SeededRandom(options.seed);
  const aliases = tables.map((t) => aliasTable(t));
  const buffers = tables.map((t) => new Int32Array(t.length));
  const values: number[][] = [];
  for (let r = 0; r < options.resamples; r++) {
    const drawn = buffers.map((b, i) => resampleInto(b, rng, aliases[i]));
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
