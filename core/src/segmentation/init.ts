// Privacy-preserving k-means initialization from secure sums only (a k-means‖-style scheme; Bahmani et al. 2012).
//
// k-means++ (Arthur & Vassilvitskii 2007) and k-means‖ (Bahmani et al. 2012) pick actual data
// points as centres, which would put one customer's row in the coordinator's hands. Here no
// candidate is ever a customer:
//   1. histogram round: members send per-feature histograms of their standardized values (integer
//      counts, summed); the coordinator draws M random candidates from the product of these
//      federated marginals.
//   2. one or more oversampled Lloyd rounds over the M candidates (optionally each preceded by a
//      count-gate round): candidates move to the MEANS of the customers nearest to them, computed
//      from secure sums; candidates with fewer than minCount customers are dropped. Several
//      independent chains of candidates can ride in the same rounds (refineCandidateChains).
//   3. at the coordinator, on aggregates only: weighted k-means++ + weighted Lloyd over the
//      surviving candidate means (weight = secure count), as k-means‖'s recluster step does, and
//      the best `restarts` seedings become the initial centroids of the federated runs.
import { ConsortError } from '../errors/consort-error.ts';
import { SeededRandom } from '../random/seeded-random.ts';
import type { ModVector } from '../secagg/mod-vector.ts';
import { packVector, planLayout, unpackVector, type SegmentSpec } from '../secagg/quantize.ts';
import { DEFAULT_MAX_EXAMPLES } from '../aggregate/round-vector.ts';
import { kmeansPlusPlus, lloyd } from './centralized.ts';
import { clusterMoments, runAggregates, type ClusterAggregates, type KMeansBounds } from './kmeans-protocol.ts';
import { DEFAULT_Z_CLIP } from './standardize.ts';

/** Default histogram bins per feature over [−zClip, zClip]. */
export const DEFAULT_HISTOGRAM_BINS = 32;
/** Default minimum customers behind any revealed cluster sum (and any kept candidate). */
export const DEFAULT_MIN_CLUSTER_COUNT = 20;

/** Segments of the histogram round: `histograms` integer [dim×bins]. */
export function histogramSegments(dim: number, bins = DEFAULT_HISTOGRAM_BINS, b: KMeansBounds = {}): SegmentSpec[] {
  if (!Number.isSafeInteger(bins) || bins < 2) throw new ConsortError('INVALID_ARGUMENT', `histograms need at least 2 bins, got ${bins}`);
  return [{ name: 'histograms', kind: 'integer', length: dim * bins, maxAbs: b.maxExamples ?? DEFAULT_MAX_EXAMPLES }];
}

function binOf(z: number, bins: number, zClip: number): number {
  const i = Math.floor(((z + zClip) / (2 * zClip)) * bins);
  return i < 0 ? 0 : i >= bins ? bins - 1 : i;
}

/** The member's histograms of its standardized points: counts per (feature, bin). */
export function localHistograms(points: ReadonlyArray<ArrayLike<number>>, dim: number, bins = DEFAULT_HISTOGRAM_BINS, zClip = DEFAULT_Z_CLIP): Float64Array {
  const h = new Float64Array(dim * bins);
  for (const p of points) for (let j = 0; j < dim; j++) h[j * bins + binOf(p[j], bins, zClip)] += 1;
  return h;
}

/** Packs the member's histograms for secure aggregation. */
export function packHistograms(hist: ArrayLike<number>, dim: number, members: number, bins = DEFAULT_HISTOGRAM_BINS, b: KMeansBounds = {}): ModVector {
  const [spec] = histogramSegments(dim, bins, b);
  return packVector([{ ...spec, values: hist }], { members }).vector;
}

/** Decodes the histogram round's sum. */
export function unpackHistograms(dim: number, members: number, sum: ModVector, bins = DEFAULT_HISTOGRAM_BINS, b: KMeansBounds = {}): Float64Array {
  return unpackVector(planLayout(histogramSegments(dim, bins, b), { members }), sum).histograms;
}

/**
 * Draws `count` candidates from the product of the summed marginal histograms: per feature a
 * bin ∝ its count, then uniform within the bin. Why marginals: they are all the coordinator
 * learns (counts over all members), and the following Lloyd round moves candidates onto the
 * joint structure anyway.
 */
export function drawCandidates(hist: ArrayLike<number>, dim: number, count: number, rng: SeededRandom, bins = DEFAULT_HISTOGRAM_BINS, zClip = DEFAULT_Z_CLIP): Float64Array[] {
  if (hist.length !== dim * bins) throw new ConsortError('UPDATE_SHAPE_MISMATCH', `histograms have ${hist.length} entries, expected ${dim}×${bins}`);
  const width = (2 * zClip) / bins;
  const cumulative = Array.from({ length: dim }, (_, j) => {
    const c = new Float64Array(bins);
    let s = 0;
    for (let t = 0; t < bins; t++) { s += Math.max(0, hist[j * bins + t]); c[t] = s; }
    return c;
  });
  const out: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    const z = new Float64Array(dim);
    for (let j = 0; j < dim; j++) {
      const c = cumulative[j];
      const total = c[bins - 1];
      if (!(total > 0)) continue;
      const r = rng.next() * total;
      let t = 0;
      while (t < bins - 1 && c[t] <= r) t++;
      z[j] = -zClip + (t + rng.next()) * width;
    }
    out.push(z);
  }
  return out;
}

/** Weighted candidates: means of at least minCount customers each, weight = their count. */
export interface Candidates {
  points: Float64Array[];
  weights: number[];
}

/**
 * After an oversampled Lloyd round over candidates: keeps the clusters with at least `minCount`
 * customers and replaces each candidate by the mean of its customers (a secure sum ÷ secure
 * count). Throws when none survives, naming the fix.
 */
export function refineCandidates(agg: ClusterAggregates, dim: number, minCount = DEFAULT_MIN_CLUSTER_COUNT): Candidates {
  const points: Float64Array[] = [];
  const weights: number[] = [];
  for (let c = 0; c < agg.counts.length; c++) {
    if (agg.counts[c] >= minCount) {
      points.push(clusterMoments(agg, c, dim).mean);
      weights.push(agg.counts[c]);
    }
  }
  if (points.length === 0) {
    throw new ConsortError('INVALID_ARGUMENT', `no candidate gathered ${minCount} customers; lower the minimum count or draw fewer candidates`);
  }
  return { points, weights };
}

/**
 * Several independent candidate chains ride in one oversampled Lloyd round (one run each, like
 * restarts). Refines every chain and pools the survivors: diverse candidates for the seeding
 * at no extra round. Throws when a chain loses all its candidates.
 */
export function refineCandidateChains(agg: ClusterAggregates, chains: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>, dim: number, minCount = DEFAULT_MIN_CLUSTER_COUNT): { chains: Float64Array[][]; pooled: Candidates } {
  const pooled: Candidates = { points: [], weights: [] };
  let offset = 0;
  const next = chains.map((c) => {
    const part = refineCandidates(runAggregates(agg, offset, c.length, dim), dim, minCount);
    offset += c.length;
    pooled.points.push(...part.points);
    pooled.weights.push(...part.weights);
    return part.points;
  });
  return { chains: next, pooled };
}

/** Options of `seedFromCandidates`. */
export interface SeedOptions {
  /** Seedings tried per returned restart (default 4). */
  triesPerRestart?: number;
  seed?: number;
}

/**
 * Initial centroid sets for `restarts` federated runs of each k in `ks`, from weighted
 * candidates only: weighted k-means++ then weighted Lloyd on the candidates, best `restarts`
 * by weighted candidate cost. Runs are ordered k by k. When there are fewer candidates than k,
 * the missing centroids duplicate candidates and the federated round's empty-cluster rule
 * splits them apart.
 */
export function seedFromCandidates(c: Candidates, ks: readonly number[], restarts: number, opts: SeedOptions = {}): Float64Array[][] {
  if (!Number.isInteger(restarts) || restarts < 1) throw new ConsortError('INVALID_ARGUMENT', `restarts must be a positive integer, got ${restarts}`);
  const rng = new SeededRandom(opts.seed ?? 1);
  const tries = restarts * (opts.triesPerRestart ?? 4);
  const runs: Float64Array[][] = [];
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new ConsortError('INVALID_ARGUMENT', `k must be a positive integer, got ${k}`);
    const found: { centroids: Float64Array[]; cost: number }[] = [];
    for (let t = 0; t < tries; t++) {
      found.push(lloyd(c.points, kmeansPlusPlus(c.points, k, rng, c.weights), { weights: c.weights, maxIterations: 100, tol: 1e-9 }));
    }
    found.sort((a, b) => a.cost - b.cost);
    for (let r = 0; r < restarts; r++) runs.push(found[r].centroids);
  }
  return runs;
}
