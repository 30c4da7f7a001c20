// Confidence intervals and multiple-testing adjustment for the audit: Wilson, Newcombe, Katz-log, MOVER, Holm, percentiles.

/** Standard normal CDF Φ(x). erf by its everywhere-positive series (no cancellation) for |x| < 6. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= -8) return 0;
  if (x >= 8) return 1;
  const t = Math.abs(x) / Math.SQRT2;
  // erf(t) = 2/√π · e^{-t²} · Σ 2^n t^{2n+1} / (1·3·…·(2n+1))
  let term = t;
  let sum = t;
  for (let n = 1; n < 500; n++) {
    term *= (2 * t * t) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const erf = (2 / Math.sqrt(Math.PI)) * Math.exp(-t * t) * sum;
  return x >= 0 ? 0.5 + 0.5 * erf : 0.5 - 0.5 * erf;
}

/** Standard normal quantile Φ⁻¹(p), by bisection on Φ (deterministic, ~1e-15). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  let lo = -8;
  let hi = 8;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** z for a two-sided interval at the confidence level (0.95 → 1.959963984540054). */
export function zFor(confidenceLevel: number): number {
  return normalQuantile(1 - (1 - confidenceLevel) / 2);
}

export type Interval = [number, number];

/** Wilson (1927) score interval for x successes of n; null when n = 0. */
export function wilsonInterval(x: number, n: number, z: number): Interval | null {
  if (n <= 0) return null;
  const z2 = z * z;
  const centre = (x + z2 / 2) / (n + z2);
  const half = (z / (n + z2)) * Math.sqrt((x * (n - x)) / n + z2 / 4);
  return [x === 0 ? 0 : Math.max(0, centre - half), x === n ? 1 : Math.min(1, centre + half)];
}

/**
 * Newcombe (1998) hybrid score interval (his method 10) for p1 − p2 of independent proportions,
 * built from the two Wilson intervals; null when either n is 0.
 */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, z: number): Interval | null {
  const w1 = wilsonInterval(x1, n1, z);
  const w2 = wilsonInterval(x2, n2, z);
  if (!w1 || !w2) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const d = p1 - p2;
  return [d - Math.sqrt((p1 - w1[0]) ** 2 + (w2[1] - p2) ** 2), d + Math.sqrt((w1[1] - p1) ** 2 + (p2 - w2[0]) ** 2)];
}

/** Standard error of log(p1/p2) (Katz et al. 1978); null when a count is 0 (the log method is undefined). */
export function katzLogSe(x1: number, n1: number, x2: number, n2: number): number | null {
  if (x1 <= 0 || x2 <= 0 || n1 <= 0 || n2 <= 0) return null;
  return Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
}

/** Katz-log interval for the ratio (x1/n1)/(x2/n2); null when a count is 0. */
export function katzLogInterval(x1: number, n1: number, x2: number, n2: number, z: number): Interval | null {
  const se = katzLogSe(x1, n1, x2, n2);
  if (se === null) return null;
  const r = x1 / n1 / (x2 / n2);
  return [r * Math.exp(-z * se), r * Math.exp(z * se)];
}

/**
 * MOVER (Zou & Donner 2008) interval for the sum of independent estimates with their own
 * intervals, e.g. the two differences inside AIF360's average odds difference.
 */
export function moverSum(estimates: number[], intervals: Interval[]): Interval {
  const s = estimates.reduce((a, b) => a + b, 0);
  let lo = 0;
  let hi = 0;
  estimates.forEach((e, i) => { lo += (e - intervals[i][0]) ** 2; hi += (intervals[i][1] - e) ** 2; });
  return [s - Math.sqrt(lo), s + Math.sqrt(hi)];
}

/** Holm (1979) step-down adjusted p-values, in the input order (null entries are skipped). */
export function holmAdjust(pValues: Array<number | null>): Array<number | null> {
  const idx = pValues.map((p, i) => [p, i] as const).filter((e): e is readonly [number, number] => e[0] !== null);
  idx.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const m = idx.length;
  const out: Array<number | null> = pValues.map(() => null);
  let running = 0;
  idx.forEach(([p, i], k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

/** Percentile (linear interpolation between order statistics, "type 7") of sorted values. */
export function percentile(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
