// Federated segmentation's sums released under customer-level differential privacy: the task's
// `privacy:` keys for a segmentation task, the L2 sensitivity of one customer in each round
// purpose, each member's noise share (added before masking, as for DP-FedAvg and the statistics),
// the coordinator's reading of noisy sums (post-processing) and the charge of each round.
import { ConsortError } from '../errors/consort-error.ts';
import type { ClusterAggregates } from '../segmentation/kmeans-protocol.ts';
import type { SegmentationRoundPurpose } from '../segmentation/rounds.ts';
import { DEFAULT_Z_CLIP } from '../segmentation/standardize.ts';
import { effectiveNoiseMultiplier, memberNoiseStd } from './distributed-noise.ts';
import type { NormalSource } from './gaussian-noise.ts';
import type { PrivacyCharge } from './privacy-ledger.ts';
import { resolvePrivacyOptions, type StatisticsPrivacy } from './privacy-options.ts';

/**
 * Task key `privacy:` of a segmentation task (docs/privacy.md). Customer level only: every
 * segmentation round is one Gaussian release of sums over customers, noised by the members.
 */
export interface SegmentationPrivacy {
  level: 'customer';
  epsilon: number;
  delta: number;
  /** σ of every segmentation round: noise std ÷ the round's L2 sensitivity. */
  noiseMultiplier: number;
  /** B: standardized values are clipped to ±B (the k-means space's zClip). */
  clip: number;
  /** The statistics round (required: the standardization is released too). */
  statistics: StatisticsPrivacy;
}

/** Keys of a model task's `privacy:` that mean nothing for segmentation, and why. */
const TRAINING_ONLY_KEYS: Record<string, string> = {
  clipNorm: 'bounds a training gradient or update; a segmentation task bounds standardized values with privacy.clip',
  minRows: 'sizes DP-SGD sampling; segmentation rounds use every row once per round',
  releaseNoiseMultiplier: 'noises a model evaluation; segmentation rounds are all noised with privacy.noiseMultiplier',
  adaptiveClipping: 'is member-level DP-FedAvg clipping; segmentation is customer level',
};

function bad(field: string, message: string): ConsortError {
  return new ConsortError('INVALID_ARGUMENT', `task definition field "privacy.${field}": ${message} (see docs/privacy.md)`, { field: `privacy.${field}` });
}

/**
 * Resolves a segmentation task's `privacy:` for its `features`: epsilon, delta, noiseMultiplier,
 * clip (default the ±8σ of the k-means space) and statistics (bounds for every feature) are
 * read; training keys are refused with what to use instead.
 */
export function resolveSegmentationPrivacy(input: unknown, features: readonly string[]): SegmentationPrivacy | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) throw bad('', 'must be a mapping');
  const o = input as Record<string, unknown>;
  for (const [key, why] of Object.entries(TRAINING_ONLY_KEYS)) {
    if (o[key] !== undefined) throw bad(key, `a segmentation task does not read it: it ${why}; remove it`);
  }
  if (o.level !== undefined && o.level !== 'customer') {
    throw bad('level', `a segmentation task protects each customer: use "customer" or leave it out (got ${JSON.stringify(o.level)}); member level is for training`);
  }
  if (o.statistics === undefined) {
    throw bad('statistics', 'a segmentation task under differential privacy releases its standardization with noise too: give { noiseMultiplier, bounds } with [low, high] for every segmentation feature');
  }
  const clip = o.clip ?? DEFAULT_Z_CLIP;
  if (typeof clip !== 'number' || !Number.isFinite(clip) || clip <= 0 || clip > 100) throw bad('clip', `must be a number of standard deviations in (0, 100] (got ${JSON.stringify(clip)})`);
  // The shared resolver checks epsilon, delta, noiseMultiplier and statistics; level/clipNorm are placeholders it needs.
  const { clip: _clip, level: _level, ...rest } = o;
  const shared = resolvePrivacyOptions({ ...rest, level: 'customer', clipNorm: 1 })!;
  const statistics = shared.statistics!;
  const missing = features.filter((f) => !statistics.bounds[f]);
  if (missing.length) throw bad('statistics.bounds', `needs [low, high] for ${missing.join(', ')} (every segmentation feature)`);
  const extra = Object.keys(statistics.bounds).filter((c) => !features.includes(c));
  if (extra.length) throw bad('statistics.bounds', `names ${extra.join(', ')}, not segmentation features of the task`);
  return { level: 'customer', epsilon: shared.epsilon, delta: shared.delta, noiseMultiplier: shared.noiseMultiplier, clip, statistics };
}

/** The task-file form of resolved segmentation privacy (resolving it gives it back). */
export function segmentationPrivacyInput(p: SegmentationPrivacy): Record<string, unknown> {
  return { level: p.level, epsilon: p.epsilon, delta: p.delta, noiseMultiplier: p.noiseMultiplier, clip: p.clip, statistics: p.statistics };
}

/**
 * Histogram round: one customer adds 1 to one bin of each of `dim` features, so the count vector
 * moves by √dim in L2.
 */
export function histogramSensitivity(dim: number): number {
  return Math.sqrt(dim);
}

/** Count gate: one customer adds 1 to one cluster count in each of `runs` runs: √runs. */
export function countGateSensitivity(runs: number): number {
  return Math.sqrt(runs);
}

/**
 * Lloyd round, with each entry divided by its bound (count 1, Σz by B, Σz² by B², cost by
 * 4B²·dim): per run one customer moves one cluster's count by 1, its Σz/B and Σz²/B² by at most
 * √dim each (every |z_j| ≤ B) and its cost by at most 1 (its term capped at 4B²·dim):
 * √(runs·(2·dim + 2)).
 */
export function lloydSensitivity(runs: number, dim: number): number {
  return Math.sqrt(runs * (2 * dim + 2));
}

/** The cap on one customer's cost term under DP: the farthest a point in ±B can be from a centroid in ±B. */
export function lloydCostCap(clip: number, dim: number): number {
  return 4 * clip * clip * dim;
}

/** What a member needs to add its share of a segmentation round's noise. */
export interface SegmentationNoise {
  noiseMultiplier: number;
  /** Members the noise is split across (verified count, client-sdk noise-sharers). */
  invited: number;
  normals: NormalSource;
  /** Largest |count| one member may send (the round's integer bound): noisy counts are kept within it. */
  maxAbs: number;
}

/** Counts plus rounded Gaussian noise of std `std` (integers stay integers; the rounding does not depend on the data). */
function noisyCounts(counts: ArrayLike<number>, std: number, n: SegmentationNoise): Float64Array {
  return Float64Array.from(counts, (c) => Math.max(-n.maxAbs, Math.min(n.maxAbs, c + Math.round(std * n.normals.standardNormal()))));
}

function noisy(values: ArrayLike<number>, std: number, normals: NormalSource): Float64Array {
  return Float64Array.from(values, (v) => v + std * normals.standardNormal());
}

/** A member's histograms with its noise share N(0, (σ√dim)²/n) per bin (rounded). */
export function privatizeHistograms(hist: ArrayLike<number>, dim: number, n: SegmentationNoise): Float64Array {
  return noisyCounts(hist, memberNoiseStd(n.noiseMultiplier, histogramSensitivity(dim), n.invited), n);
}

/** A member's count-gate counts with its noise share N(0, (σ√runs)²/n) per cluster (rounded). */
export function privatizeClusterCounts(counts: ArrayLike<number>, runs: number, n: SegmentationNoise): Float64Array {
  return noisyCounts(counts, memberNoiseStd(n.noiseMultiplier, countGateSensitivity(runs), n.invited), n);
}

/**
 * A member's Lloyd aggregates (cost terms capped at lloydCostCap) with its noise share: with
 * s = σΔ/√n (Δ = lloydSensitivity), N(0, s²) on counts (rounded), N(0, (sB)²) on Σz,
 * N(0, (sB²)²) on Σz² and N(0, (s·4B²·dim)²) on each cluster's cost.
 */
export function privatizeLloydStep(step: ClusterAggregates, runs: number, dim: number, clip: number, n: SegmentationNoise): ClusterAggregates {
  const s = memberNoiseStd(n.noiseMultiplier, lloydSensitivity(runs, dim), n.invited);
  return {
    counts: noisyCounts(step.counts, s, n),
    sums: noisy(step.sums, s * clip, n.normals),
    sumSquares: noisy(step.sumSquares, s * clip * clip, n.normals),
    clusterCost: noisy(step.clusterCost, s * lloydCostCap(clip, dim), n.normals),
  };
}

/** Noisy counts read as counts (post-processing, free): at least 0. */
export function noisyCountsAtLeastZero(counts: ArrayLike<number>): Float64Array {
  return Float64Array.from(counts, (c) => Math.max(0, c));
}

/**
 * A noisy Lloyd sum read as aggregates (post-processing, free). Counts at least 0. A cluster the
 * gate withheld (`include` false) carries only noise in its sums: they become 0 and its count the
 * gate's (below the minimum, so it is re-seeded as without DP). Included clusters keep
 * |Σz_j| ≤ count·B and 0 ≤ Σz²_j ≤ count·B², so a centroid stays in the ±B box.
 */
export function cleanNoisyLloyd(agg: ClusterAggregates, dim: number, clip: number, gate?: { include: ArrayLike<boolean>; counts: ArrayLike<number> }): ClusterAggregates {
  const out: ClusterAggregates = {
    counts: noisyCountsAtLeastZero(agg.counts), sums: Float64Array.from(agg.sums), sumSquares: Float64Array.from(agg.sumSquares),
    clusterCost: Float64Array.from(agg.clusterCost, (v) => Math.max(0, v)),
  };
  for (let c = 0; c < out.counts.length; c++) {
    const withheld = gate !== undefined && !gate.include[c];
    if (withheld) out.counts[c] = Math.max(0, gate.counts[c]);
    const n = out.counts[c];
    if (withheld) out.clusterCost[c] = 0;
    for (let j = 0; j < dim; j++) {
      const i = c * dim + j;
      out.sums[i] = withheld ? 0 : Math.max(-n * clip, Math.min(n * clip, out.sums[i]));
      out.sumSquares[i] = withheld ? 0 : Math.max(0, Math.min(n * clip * clip, out.sumSquares[i]));
    }
  }
  return out;
}

/** The ledger's name of a segmentation round's release. */
export type SegmentationReleaseKind = SegmentationRoundPurpose;

/**
 * One segmentation round's charge: a Gaussian release of the whole vector (noise σΔ over
 * sensitivity Δ) over every customer (rate 1), with σ·√(survivors/invited) when members dropped.
 */
export function segmentationCharge(p: Pick<SegmentationPrivacy, 'noiseMultiplier'>, purpose: SegmentationRoundPurpose, round: number, survivors: number, invited: number): PrivacyCharge[] {
  return [{ round, kind: purpose, unit: 'customer', samplingRate: 1, noiseMultiplier: effectiveNoiseMultiplier(p.noiseMultiplier, survivors, invited), steps: 1 }];
}
