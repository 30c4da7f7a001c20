// Federated k-means (Lloyd 1982) as rounds of secure aggregation: the round payload, the member's local step and the coordinator's update.
//
// One round = one Lloyd iteration for every run at once: each member assigns its standardized
// customers to the nearest centroid of every run (restarts and candidate k values ride in the
// same vector as independent runs) and contributes per-cluster Σz, Σz², counts and cost. The
// coordinator only ever decodes the SUM over members; it never sees a member's points, local
// centroids or per-member cluster sizes.
import { ConsortError } from '../errors/consort-error.ts';
import { DEFAULT_MAX_EXAMPLES } from '../aggregate/round-vector.ts';
import type { ModVector } from '../secagg/mod-vector.ts';
import { packVector, planLayout, unpackVector, type RandomSource, type SegmentSpec, type VectorLayout } from '../secagg/quantize.ts';
import { nearestCentroid } from './centralized.ts';
import { DEFAULT_Z_CLIP } from './standardize.ts';

/** Bounds every member applies; identical on coordinator and members (from the task). */
export interface KMeansBounds {
  /** Largest number of customers one member may contribute (default 10^6). */
  maxExamples?: number;
  /** Standardized values lie in ±zClip (default 8; see SegmentationFeatures). */
  zClip?: number;
}

/** Fractional bits of Σz: 2^-16 per member and entry, far below any centroid shift that matters. */
export const SUMS_SCALE_BITS = 16;
/** Fractional bits of Σz² (only used for spreads, splits and criteria). */
export const SUM_SQUARES_SCALE_BITS = 12;
/** Per-member bound below which n members (up to 1000) stay exact in a float64. */
const PER_MEMBER_BITS = 43;

function bounds(b: KMeansBounds): { maxExamples: number; zClip: number } {
  const maxExamples = b.maxExamples ?? DEFAULT_MAX_EXAMPLES;
  const zClip = b.zClip ?? DEFAULT_Z_CLIP;
  if (!Number.isSafeInteger(maxExamples) || maxExamples < 1) throw new ConsortError('INVALID_ARGUMENT', `maxExamples must be a positive integer, got ${maxExamples}`);
  if (!(zClip > 0) || !Number.isFinite(zClip)) throw new ConsortError('INVALID_ARGUMENT', `zClip must be positive, got ${zClip}`);
  return { maxExamples, zClip };
}

/** Fixed-point bits for a per-member bound `clip`: as many as keep clip·2^s under 2^43, at most `cap`. */
function bitsFor(clip: number, cap: number): number {
  return Math.max(0, Math.min(cap, Math.floor(PER_MEMBER_BITS - Math.log2(clip))));
}

/**
 * Segments of a Lloyd round for `clusters` clusters in total (Σ over runs of k) in `dim`
 * standardized dimensions, in wire order:
 * - `sums` fixed [clusters×dim]: Σz per cluster (clip maxExamples·zClip, 2^-16).
 * - `sumSquares` fixed [clusters×dim]: Σz² per cluster and dimension, for spreads (splitting an
 *   emptied cluster, Davies–Bouldin) and the scatter about the new centroid (Calinski–Harabasz).
 * - `counts` integer [clusters]: customers assigned (exact).
 * - `cost` fixed [clusters]: Σ‖z − c‖² to the round's centroids (convergence test).
 */
export function lloydStepSegments(clusters: number, dim: number, b: KMeansBounds = {}): SegmentSpec[] {
  const { maxExamples, zClip } = bounds(b);
  if (!Number.isSafeInteger(clusters) || clusters < 1 || !Number.isSafeInteger(dim) || dim < 1) {
    throw new ConsortError('INVALID_ARGUMENT', `a Lloyd round needs ≥ 1 cluster and ≥ 1 dimension, got ${clusters} clusters × ${dim}`);
  }
  const costClip = maxExamples * dim * 4 * zClip * zClip;
  return [
    { name: 'sums', kind: 'fixed', length: clusters * dim, clip: maxExamples * zClip, scaleBits: SUMS_SCALE_BITS },
    { name: 'sumSquares', kind: 'fixed', length: clusters * dim, clip: maxExamples * zClip * zClip, scaleBits: SUM_SQUARES_SCALE_BITS },
    { name: 'counts', kind: 'integer', length: clusters, maxAbs: maxExamples },
    { name: 'cost', kind: 'fixed', length: clusters, clip: costClip, scaleBits: bitsFor(costClip, 16) },
  ];
}

/**
 * Segments of a count-gate round: only `counts` [clusters]. Run before a Lloyd round when the
 * coordinator must not see sums of clusters smaller than the minimum count (see PRIVACY.md):
 * the next round's `include` mask zeroes the sums of the clusters that were too small.
 */
export function lloydCountSegments(clusters: number, b: KMeansBounds = {}): SegmentSpec[] {
  const { maxExamples } = bounds(b);
  return [{ name: 'counts', kind: 'integer', length: clusters, maxAbs: maxExamples }];
}

/** The layout (modulus and offsets) of a Lloyd round for `members` invited members. */
export function lloydStepLayout(clusters: number, dim: number, members: number, b: KMeansBounds = {}): VectorLayout {
  return planLayout(lloydStepSegments(clusters, dim, b), { members });
}

/** A member's (or the summed) per-cluster aggregates of one Lloyd step, runs concatenated. */
export interface ClusterAggregates {
  /** [clusters×dim] Σz. */
  sums: Float64Array;
  /** [clusters×dim] Σz². */
  sumSquares: Float64Array;
  /** [clusters] customers assigned. */
  counts: Float64Array;
  /** [clusters] Σ‖z − c‖² to the step's centroids. */
  clusterCost: Float64Array;
}

/** A member's local step: the aggregates plus the total cost. */
export interface LocalLloydStep extends ClusterAggregates {
  /** Σ over clusters of clusterCost. */
  cost: number;
}

/** Options of the member step. */
export interface LocalStepOptions {
  /**
   * Per cluster (runs concatenated): false zeroes its sums, squares and cost (counts still
   * sent). Set by the coordinator from a count-gate round so no sum of fewer than the minimum
   * count of customers is ever revealed.
   */
  include?: ArrayLike<boolean>;
  /**
   * Caps one customer's Σ‖z − c‖² term (under differential privacy: 4·zClip²·dim, the farthest a
   * clipped point can be from a centroid inside the box; the coordinator picks the centroids, so
   * without a cap one customer's cost term would be unbounded). Default: no cap.
   */
  costCap?: number;
}

function checkRuns(runs: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>, dim: number): number {
  let clusters = 0;
  for (const run of runs) {
    if (run.length === 0) throw new ConsortError('INVALID_ARGUMENT', 'a k-means run has no centroids; the coordinator must send k ≥ 1 centroids per run');
    for (const c of run) {
      if (c.length !== dim) throw new ConsortError('UPDATE_SHAPE_MISMATCH', `a centroid has ${c.length} values but the member's features have ${dim}; the member and the task disagree on the segmentation features`);
    }
    clusters += run.length;
  }
  return clusters;
}

/**
 * The member's Lloyd step for several runs at once (restarts, or one run per candidate k):
 * assigns every standardized point to its nearest centroid in each run and accumulates
 * per-cluster Σz, Σz², count and cost. Works with zero points or fewer points than k (clusters
 * simply get count 0) and with constant features (all-zero z columns).
 */
export function localLloydStepRuns(points: ReadonlyArray<ArrayLike<number>>, runs: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>, dim: number, opts: LocalStepOptions = {}): LocalLloydStep {
  const clusters = checkRuns(runs, dim);
  const out: LocalLloydStep = {
    sums: new Float64Array(clusters * dim), sumSquares: new Float64Array(clusters * dim),
    counts: new Float64Array(clusters), clusterCost: new Float64Array(clusters), cost: 0,
  };
  for (const p of points) {
    if (p.length !== dim) throw new ConsortError('UPDATE_SHAPE_MISMATCH', `a point has ${p.length} values, the segmentation features ${dim}`);
    let base = 0;
    for (const run of runs) {
      const { index, distance2 } = nearestCentroid(p, run);
      const c = base + index;
      out.counts[c] += 1;
      if (!opts.include || opts.include[c]) {
        out.clusterCost[c] += opts.costCap !== undefined && distance2 > opts.costCap ? opts.costCap : distance2;
        for (let j = 0; j < dim; j++) {
          out.sums[c * dim + j] += p[j];
          out.sumSquares[c * dim + j] += p[j] * p[j];
        }
      }
      base += run.length;
    }
  }
  for (const v of out.clusterCost) out.cost += v;
  return out;
}

/** The member's Lloyd step for one set of centroids (k clusters). */
export function localLloydStep(points: ReadonlyArray<ArrayLike<number>>, centroids: ReadonlyArray<ArrayLike<number>>, opts: LocalStepOptions = {}): LocalLloydStep {
  const dim = centroids[0]?.length ?? 0;
  return localLloydStepRuns(points, [centroids], dim, opts);
}

/** Counts only, for a count-gate round. */
export function localClusterCounts(points: ReadonlyArray<ArrayLike<number>>, runs: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>, dim: number): Float64Array {
  const clusters = checkRuns(runs, dim);
  const counts = new Float64Array(clusters);
  for (const p of points) {
    let base = 0;
    for (const run of runs) { counts[base + nearestCentroid(p, run).index] += 1; base += run.length; }
  }
  return counts;
}

/** Quantizes a member's step into the round's vector (what secure aggregation masks). */
export function packLloydStep(step: ClusterAggregates, dim: number, members: number, b: KMeansBounds = {}, random?: RandomSource): ModVector {
  const specs = lloydStepSegments(step.counts.length, dim, b);
  const data: Record<string, ArrayLike<number>> = { sums: step.sums, sumSquares: step.sumSquares, counts: step.counts, cost: step.clusterCost };
  return packVector(specs.map((s) => ({ ...s, values: data[s.name] })), { members, random }).vector;
}

/** Decodes the unmasked sum of a Lloyd round. Σz² and cost are floored at 0 (quantization noise). */
export function unpackLloydSum(clusters: number, dim: number, members: number, sum: ModVector, b: KMeansBounds = {}): ClusterAggregates {
  const parts = unpackVector(lloydStepLayout(clusters, dim, members, b), sum);
  return {
    sums: parts.sums,
    sumSquares: parts.sumSquares.map((v) => Math.max(0, v)),
    counts: parts.counts,
    clusterCost: parts.cost.map((v) => Math.max(0, v)),
  };
}

/** Packs counts for a count-gate round. */
export function packClusterCounts(counts: ArrayLike<number>, members: number, b: KMeansBounds = {}): ModVector {
  const [spec] = lloydCountSegments(counts.length, b);
  return packVector([{ ...spec, values: counts }], { members }).vector;
}

/** Decodes a count-gate sum. */
export function unpackClusterCounts(clusters: number, members: number, sum: ModVector, b: KMeansBounds = {}): Float64Array {
  return unpackVector(planLayout(lloydCountSegments(clusters, b), { members }), sum).counts;
}

/** The include mask for the next Lloyd round: clusters with at least `minCount` customers. */
export function gateFromCounts(counts: ArrayLike<number>, minCount: number): boolean[] {
  return Array.from(counts, (c) => c >= minCount);
}

/** One k-means run as the coordinator tracks it. */
export interface KMeansRun {
  k: number;
  centroids: Float64Array[];
  /** Lloyd rounds this run has taken. */
  iterations: number;
  /** Cost of the centroids the last round assigned to (Σ over members), one per round. */
  costHistory: number[];
  converged: boolean;
  /** Clusters re-seeded so far (empty or below the minimum count). */
  reseeds: number;
  /** The last round's summed aggregates of this run (for criteria and profiles). */
  last?: ClusterAggregates;
}

/** Convergence and empty-cluster policy. */
export interface UpdateOptions {
  /** Converged when |cost_t − cost_{t−1}| ≤ tol · cost_{t−1} (default 1e-4). */
  tol?: number;
  /** Converged after this many rounds regardless (default 50). */
  maxIterations?: number;
  /**
   * Clusters with fewer customers are treated as empty and re-seeded (default 1: only empty
   * ones). Set it to the gate's minimum count when gating, since gated sums are zero.
   */
  minClusterCount?: number;
}

/** Slices run `r`'s aggregates out of a round's concatenated aggregates. */
export function runAggregates(agg: ClusterAggregates, offsetClusters: number, k: number, dim: number): ClusterAggregates {
  return {
    sums: agg.sums.slice(offsetClusters * dim, (offsetClusters + k) * dim),
    sumSquares: agg.sumSquares.slice(offsetClusters * dim, (offsetClusters + k) * dim),
    counts: agg.counts.slice(offsetClusters, offsetClusters + k),
    clusterCost: agg.clusterCost.slice(offsetClusters, offsetClusters + k),
  };
}

/** The centroid (mean) and per-dimension variance of cluster c from aggregates. */
export function clusterMoments(agg: ClusterAggregates, c: number, dim: number): { mean: Float64Array; variance: Float64Array } {
  const n = agg.counts[c];
  const mean = new Float64Array(dim);
  const variance = new Float64Array(dim);
  if (!(n > 0)) return { mean, variance };
  for (let j = 0; j < dim; j++) {
    mean[j] = agg.sums[c * dim + j] / n;
    variance[j] = Math.max(0, agg.sumSquares[c * dim + j] / n - mean[j] * mean[j]);
  }
  return { mean, variance };
}

/**
 * The coordinator's update of one run from the summed aggregates: new centroid = Σz / count.
 * A cluster with fewer than minClusterCount customers is re-seeded by splitting the cluster
 * with the largest cost along its dimension of largest spread: the two halves go to mean ± σ_j.
 * Why this rule: it uses only aggregate spreads (Σz² per cluster, from the same secure sum),
 * never a customer's point, unlike the usual "farthest point" rule, which would have to reveal
 * one customer. Returns a new run (the input is not modified).
 */
export function updateCentroids(run: KMeansRun, agg: ClusterAggregates, opts: UpdateOptions = {}): KMeansRun & { cost: number; reseeded: number[] } {
  const tol = opts.tol ?? 1e-4;
  const maxIterations = opts.maxIterations ?? 50;
  const minCount = Math.max(1, opts.minClusterCount ?? 1);
  const k = run.k;
  const dim = run.centroids[0].length;
  if (agg.counts.length !== k || agg.sums.length !== k * dim) {
    throw new ConsortError('UPDATE_SHAPE_MISMATCH', `aggregates for ${agg.counts.length} clusters do not match a run with k = ${k}; the round layout and the run disagree`);
  }
  const cost = agg.clusterCost.reduce((a, b) => a + b, 0);
  const centroids = run.centroids.map((c, i) => (agg.counts[i] >= minCount ? clusterMoments(agg, i, dim).mean : Float64Array.from(c)));
  // Largest-cost clusters first; halve a split cluster's cost so several empties spread out.
  const splitCost = Array.from(agg.clusterCost, (v, i) => (agg.counts[i] >= minCount ? v : -1));
  const reseeded: number[] = [];
  for (let e = 0; e < k; e++) {
    if (agg.counts[e] >= minCount) continue;
    let donor = -1;
    for (let i = 0; i < k; i++) if (splitCost[i] > 0 && (donor < 0 || splitCost[i] > splitCost[donor])) donor = i;
    if (donor < 0) continue; // no spread anywhere: fewer distinct customers than k, nothing to split
    const { mean, variance } = clusterMoments(agg, donor, dim);
    let j = 0;
    for (let t = 1; t < dim; t++) if (variance[t] > variance[j]) j = t;
    const sd = Math.sqrt(variance[j]);
    if (!(sd > 0)) { splitCost[donor] = 0; e--; continue; }
    centroids[donor] = Float64Array.from(mean); centroids[donor][j] -= sd;
    centroids[e] = Float64Array.from(mean); centroids[e][j] += sd;
    splitCost[donor] /= 2;
    reseeded.push(e);
  }
  const previous = run.costHistory.length > 0 ? run.costHistory[run.costHistory.length - 1] : null;
  const iterations = run.iterations + 1;
  const stable = previous !== null && Math.abs(previous - cost) <= tol * Math.max(previous, 1e-300);
  return {
    k, centroids, iterations, costHistory: [...run.costHistory, cost],
    converged: iterations >= maxIterations || (stable && reseeded.length === 0),
    reseeds: run.reseeds + reseeded.length, last: agg, cost, reseeded,
  };
}

/** Several runs advanced in the same rounds (restarts, and/or several k). */
export interface KMeansSession {
  dim: number;
  runs: KMeansRun[];
  /** Secure-sum rounds used so far (Lloyd rounds and count gates). */
  rounds: number;
}

/** Starts a session from initial centroid sets (one per run). */
export function startKMeans(initial: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>): KMeansSession {
  if (initial.length === 0) throw new ConsortError('INVALID_ARGUMENT', 'k-means needs at least one initial centroid set; run the initialization first');
  const dim = initial[0][0]?.length ?? 0;
  checkRuns(initial, dim);
  return { dim, rounds: 0, runs: initial.map((cs) => ({ k: cs.length, centroids: cs.map((c) => Float64Array.from(c)), iterations: 0, costHistory: [], converged: false, reseeds: 0 })) };
}

/** Total clusters of the next round's vector (Σ k over runs, converged runs included). */
export function sessionClusters(s: KMeansSession): number {
  return s.runs.reduce((n, r) => n + r.k, 0);
}

/** What the coordinator sends members for the next Lloyd round: one centroid list per run. */
export function sessionCentroids(s: KMeansSession): Float64Array[][] {
  return s.runs.map((r) => r.centroids);
}

/**
 * Applies one Lloyd round's summed aggregates to every run not yet converged (converged runs
 * keep their centroids but record the aggregates, so criteria use the latest sums).
 * `extraRounds`: count-gate rounds that preceded this one (1 when gated), for the round count.
 */
export function advanceKMeans(s: KMeansSession, agg: ClusterAggregates, opts: UpdateOptions = {}, extraRounds = 0): KMeansSession {
  let offset = 0;
  const runs = s.runs.map((run) => {
    const part = runAggregates(agg, offset, run.k, s.dim);
    offset += run.k;
    if (run.converged) return { ...run, last: part };
    const { cost: _c, reseeded: _r, ...next } = updateCentroids(run, part, opts);
    return next;
  });
  return { dim: s.dim, runs, rounds: s.rounds + 1 + extraRounds };
}

/** True when every run has converged. */
export function kmeansDone(s: KMeansSession): boolean {
  return s.runs.every((r) => r.converged);
}

/**
 * Customers in clusters below the count gate's minimum (their sums were withheld, so their
 * scatter is unknown): such runs rank after complete ones.
 */
export function hiddenCustomers(agg: ClusterAggregates, minCount = 1): number {
  let hidden = 0;
  for (let c = 0; c < agg.counts.length; c++) if (agg.counts[c] > 0 && agg.counts[c] < minCount) hidden += agg.counts[c];
  return hidden;
}

/**
 * The run with the lowest scatter on its last round among runs with k clusters (all runs when k
 * is omitted). With a count gate (`minCount`), runs that still had clusters below it rank after
 * runs that had none, since their withheld clusters' scatter is unknown.
 */
export function bestRun(s: KMeansSession, k?: number, minCount = 1): KMeansRun {
  const pool = s.runs.filter((r) => k === undefined || r.k === k);
  if (pool.length === 0) throw new ConsortError('INVALID_ARGUMENT', `no run with k = ${k} in this session`);
  const key = (r: KMeansRun): [number, number] => (r.last ? [hiddenCustomers(r.last, minCount), withinScatter(r.last, s.dim)] : [Infinity, Infinity]);
  return pool.reduce((a, b) => {
    const [ha, ca] = key(a);
    const [hb, cb] = key(b);
    return hb < ha || (hb === ha && cb < ca) ? b : a;
  });
}

/**
 * Σ over clusters of the scatter about the cluster means: Σ_j (Σz² − (Σz)²/n). This is the cost
 * of the updated centroids on the last assignment (≤ the round's measured cost).
 */
export function withinScatter(agg: ClusterAggregates, dim: number): number {
  let w = 0;
  for (let c = 0; c < agg.counts.length; c++) {
    const n = agg.counts[c];
    if (!(n > 0)) continue;
    for (let j = 0; j < dim; j++) {
      const s = agg.sums[c * dim + j];
      w += Math.max(0, agg.sumSquares[c * dim + j] - (s * s) / n);
    }
  }
  return w;
}
