// The preprocessing statistics released under differential privacy: each member clips its values
// to the task's bounds and adds its share of Gaussian noise to the counts and moment sums (before
// masking, like DP-FedAvg); the coordinator fits the pipeline from the noisy totals.
import { MOMENT_SLOTS, readMoments, writeMoments, type ColumnMoments } from '../features/exact-moments.ts';
import { assemblePipeline, featureStatsLength, localFeatureStats, parseNumericCell, type ColumnScale, type FeatureSchema, type FittedPipeline } from '../features/pipeline.ts';
import type { RoundWarning } from '../metrics/warnings.ts';
import { effectiveNoiseMultiplier, memberNoiseStd } from './distributed-noise.ts';
import type { NormalSource } from './gaussian-noise.ts';
import type { PrivacyCharge } from './privacy-ledger.ts';
import type { PrivacyOptions, StatisticsPrivacy } from './privacy-options.ts';

const SCALE = 2 ** 80;

/**
 * L2 sensitivity of the statistics vector for one customer, with each entry divided by its bound:
 * per numeric column (and regression label) its count, Σx/B and Σx²/B² each move by at most 1
 * (B = max(|low|, |high|)); per categorical column one category count moves by 1.
 */
export function statisticsSensitivity(schema: FeatureSchema, task: 'binary' | 'regression'): number {
  const moments = schema.numeric.length + (task === 'regression' ? 1 : 0);
  return Math.sqrt(3 * moments + schema.categorical.length);
}

function boundOf(bounds: [number, number]): number {
  return Math.max(Math.abs(bounds[0]), Math.abs(bounds[1]));
}

/** The rows with every numeric cell (and a regression label) clipped to its bounds; other cells as they were. */
export function clipRecords(schema: FeatureSchema, records: Record<string, string>[], bounds: Record<string, [number, number]>, task: 'binary' | 'regression', file: string): Record<string, string>[] {
  const columns = task === 'regression' ? [...schema.numeric, schema.label] : schema.numeric;
  return records.map((record, i) => {
    const out = { ...record };
    for (const c of columns) {
      const raw = record[c];
      if (raw === undefined) continue;
      const v = parseNumericCell(raw, c, { file, row: i + 2 });
      if (v === null) continue;
      const [lo, hi] = bounds[c];
      if (v < lo || v > hi) out[c] = String(Math.min(hi, Math.max(lo, v)));
    }
    return out;
  });
}

export interface PrivateStatisticsOptions {
  statistics: StatisticsPrivacy;
  /** Members the noise is split across (the verified count, see client-sdk noise-sharers). */
  invited: number;
  normals: NormalSource;
}

/** Adds N(0, std²) to one moment's sum at scale 2^80 (or 2^160 for squares). */
function noisyBig(v: bigint, std: number, scale: number, normals: NormalSource): bigint {
  return v + BigInt(Math.round(std * normals.standardNormal() * scale));
}

/**
 * A member's statistics in the layout of localFeatureStats, released under DP: values clipped to
 * the bounds, then this member's share of the noise, N(0, (σΔ)²/n) on each count and
 * N(0, (σΔB)²/n), N(0, (σΔB²)²/n) on each Σx, Σx² (Δ = statisticsSensitivity). Counts get
 * rounded noise (integers stay integers; the rounding does not depend on the data).
 */
export function privateFeatureStats(schema: FeatureSchema, vocabularies: Record<string, string[]>, records: Record<string, string>[],
  file: string, task: 'binary' | 'regression', o: PrivateStatisticsOptions): Float64Array {
  const out = localFeatureStats(schema, vocabularies, clipRecords(schema, records, o.statistics.bounds, task, file), file, task);
  const std = memberNoiseStd(o.statistics.noiseMultiplier, statisticsSensitivity(schema, task), o.invited);
  const noisyMoments = (offset: number, column: string) => {
    const m = readMoments(out, offset, column);
    const b = boundOf(o.statistics.bounds[column]);
    writeMoments({
      count: m.count + Math.round(std * o.normals.standardNormal()),
      sum: noisyBig(m.sum, std * b, SCALE, o.normals),
      squares: noisyBig(m.squares, std * b * b, SCALE * SCALE, o.normals),
    }, out, offset);
  };
  schema.numeric.forEach((c, j) => noisyMoments(MOMENT_SLOTS * j, c));
  const catEnd = featureStatsLength(schema, vocabularies, task) - (task === 'regression' ? MOMENT_SLOTS : 0);
  for (let k = MOMENT_SLOTS * schema.numeric.length; k < catEnd; k++) out[k] += Math.round(std * o.normals.standardNormal());
  if (task === 'regression') noisyMoments(out.length - MOMENT_SLOTS, schema.label);
  return out;
}

/** Noisy summed moments read leniently: the count may be ≤ 0 and n·Σx² < (Σx)² (noise). */
function readNoisy(summed: ArrayLike<number>, offset: number, what: string): ColumnMoments {
  const copy = Float64Array.from(Array.prototype.slice.call(summed, offset, offset + MOMENT_SLOTS) as number[]);
  const count = copy[0];
  copy[0] = 0;
  return { ...readMoments(copy, 0, what), count };
}

/**
 * Mean and std of a column from noisy sums (post-processing, no privacy cost): the count at least
 * 1, the mean kept inside the bounds, the variance E[x²] − mean² kept between a floor of
 * (0.1 % of the range)² — noise can make it negative — and (range / 2)², the largest a bounded
 * column can have.
 */
export function noisyMeanAndStd(m: ColumnMoments, bounds: [number, number]): { mean: number; std: number; floored: boolean } {
  const [lo, hi] = bounds;
  const n = Math.max(1, m.count);
  const mean = Math.min(hi, Math.max(lo, Number(m.sum) / SCALE / n));
  const variance = Number(m.squares) / SCALE / SCALE / n - mean * mean;
  const floor = ((hi - lo) * 1e-3) ** 2;
  const ceiling = ((hi - lo) / 2) ** 2;
  const floored = !(variance > floor);
  return { mean, std: Math.sqrt(Math.min(ceiling, floored ? floor : variance)), floored };
}

/**
 * Fits the pipeline from the noisy sum of members' privateFeatureStats (the same layout as
 * fitPipeline reads). A column whose noisy variance fell to the floor gets a
 * ZERO_VARIANCE_COLUMN warning; category shares use counts read as at least 0.
 */
export function fitNoisyPipeline(schema: FeatureSchema, vocabularies: Record<string, string[]>, summed: ArrayLike<number>,
  task: 'binary' | 'regression', statistics: StatisticsPrivacy): FittedPipeline {
  const warnings: RoundWarning[] = [];
  const scaleOf: ColumnScale = (name, offset, role) => {
    const m = noisyMeanAndStd(readNoisy(summed, offset, `${role} "${name}"`), statistics.bounds[name]);
    if (m.floored) {
      warnings.push({ code: 'ZERO_VARIANCE_COLUMN', column: name, message: `${role} "${name}": its noisy variance is at or below the floor (0.1 % of its bounds' range); the standardization uses the floor` });
    }
    return { mean: m.mean, std: m.std };
  };
  // Noisy category counts can fall below 0: read as 0.
  return { pipeline: assemblePipeline(schema, vocabularies, summed, task, scaleOf, (k) => Math.max(0, Number(summed[k]))), warnings };
}

/**
 * The statistics round's charge: one Gaussian release of the whole vector (sensitivity Δ, noise
 * σΔ) over every customer (sampling rate 1), with σ·√(survivors/invited) when members dropped.
 */
export function statisticsCharge(opts: Pick<PrivacyOptions, 'statistics'>, round: number, survivors: number, invited: number): PrivacyCharge[] {
  if (!opts.statistics) return [];
  return [{ round, kind: 'statistics', unit: 'customer', samplingRate: 1, noiseMultiplier: effectiveNoiseMultiplier(opts.statistics.noiseMultiplier, survivors, invited), steps: 1 }];
}
