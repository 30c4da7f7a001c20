// Plain (weighted) k-means on points the caller already holds: the coordinator's work on aggregate candidates, and the pooled reference in tests and benchmarks.
import { ConsortError } from '../errors/consort-error.ts';
import { SeededRandom } from '../random/seeded-random.ts';

/** Squared Euclidean distance. */
export function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j] - b[j];
    s += t * t;
  }
  return s;
}

/**
 * Index of the nearest centroid and its squared distance. Ties go to the lowest index, the same
 * rule as ONNX ArgMin, so member scoring and the exported graph agree.
 */
export function nearestCentroid(point: ArrayLike<number>, centroids: ReadonlyArray<ArrayLike<number>>): { index: number; distance2: number } {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < centroids.length; c++) {
    const d = squaredDistance(point, centroids[c]);
    if (d < bestD) { bestD = d; best = c; }
  }
  return { index: best, distance2: bestD };
}

/** Σ w_i · min_c ‖x_i − c‖² (the k-means objective). */
export function kmeansCost(points: ReadonlyArray<ArrayLike<number>>, centroids: ReadonlyArray<ArrayLike<number>>, weights?: ArrayLike<number>): number {
  let s = 0;
  points.forEach((p, i) => { s += (weights ? weights[i] : 1) * nearestCentroid(p, centroids).distance2; });
  return s;
}

/**
 * Weighted k-means++ seeding (Arthur & Vassilvitskii 2007): the first centre with probability
 * ∝ weight, each next one ∝ weight · D², where D is the distance to the closest chosen centre.
 * Weights let the coordinator seed on aggregate candidates (weight = secure count).
 */
export function kmeansPlusPlus(points: ReadonlyArray<ArrayLike<number>>, k: number, rng: SeededRandom, weights?: ArrayLike<number>): Float64Array[] {
  const n = points.length;
  if (n === 0) throw new ConsortError('INVALID_ARGUMENT', 'k-means++ needs at least one point; run the candidate step first');
  const w = (i: number) => (weights ? weights[i] : 1);
  const pick = (scores: Float64Array): number => {
    let total = 0;
    for (const s of scores) total += s;
    if (!(total > 0)) return rng.int(n);
    let r = rng.next() * total;
    for (let i = 0; i < n; i++) { r -= scores[i]; if (r < 0) return i; }
    return n - 1;
  };
  const d2 = new Float64Array(n).fill(Infinity);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) scores[i] = w(i);
  const centres: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const idx = pick(scores);
    const centre = Float64Array.from(points[idx]);
    centres.push(centre);
    for (let i = 0; i < n; i++) {
      const d = squaredDistance(points[i], centre);
      if (d < d2[i]) d2[i] = d;
      scores[i] = w(i) * d2[i];
    }
  }
  return centres;
}

/** Options of `lloyd`. */
export interface LloydOptions {
  maxIterations?: number;
  /** Stop when the relative cost change falls below tol. */
  tol?: number;
  weights?: ArrayLike<number>;
}

/**
 * Weighted Lloyd iterations (Lloyd 1982) from given centroids. An emptied cluster keeps its
 * centroid (the reference must not invent a rule the federated run lacks; tests start from
 * centroids where this does not arise). Returns centroids, cost of the returned centroids and
 * iterations run.
 */
export function lloyd(points: ReadonlyArray<ArrayLike<number>>, initial: ReadonlyArray<ArrayLike<number>>, opts: LloydOptions = {}): { centroids: Float64Array[]; cost: number; iterations: number } {
  const maxIterations = opts.maxIterations ?? 100;
  const tol = opts.tol ?? 1e-6;
  const k = initial.length;
  const d = initial[0]?.length ?? 0;
  let centroids = initial.map((c) => Float64Array.from(c));
  let previous = Infinity;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const sums = Array.from({ length: k }, () => new Float64Array(d));
    const counts = new Float64Array(k);
    let cost = 0;
    points.forEach((p, i) => {
      const wi = opts.weights ? opts.weights[i] : 1;
      const { index, distance2 } = nearestCentroid(p, centroids);
      cost += wi * distance2;
      counts[index] += wi;
      for (let j = 0; j < d; j++) sums[index][j] += wi * p[j];
    });
    centroids = centroids.map((c, ci) => (counts[ci] > 0 ? sums[ci].map((s) => s / counts[ci]) : c));
    if (Math.abs(previous - cost) <= tol * Math.max(cost, 1e-300)) { iterations++; break; }
    previous = cost;
  }
  return { centroids, cost: kmeansCost(points, centroids, opts.weights), iterations };
}

/** Best of `restarts` runs of k-means++ then Lloyd (the centralized baseline). */
export function kmeansBestOf(points: ReadonlyArray<ArrayLike<number>>, k: number, restarts: number, seed: number, opts: LloydOptions = {}): { centroids: Float64Array[]; cost: number } {
  const rng = new SeededRandom(seed);
  let best: { centroids: Float64Array[]; cost: number } | null = null;
  for (let r = 0; r < restarts; r++) {
    const run = lloyd(points, kmeansPlusPlus(points, k, rng, opts.weights), opts);
    if (!best || run.cost < best.cost) best = run;
  }
  return best!;
}
