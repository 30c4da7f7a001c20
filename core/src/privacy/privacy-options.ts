// The task's `privacy:` settings, resolved and checked in one place, and what one round costs under them.
import { ConsortError } from '../errors/consort-error.ts';
import { updateNoiseMultiplier, type AdaptiveClippingOptions } from './adaptive-clipping.ts';
import { combinedNoiseMultiplier, effectiveNoiseMultiplier } from './distributed-noise.ts';
import type { PrivacyCharge } from './privacy-ledger.ts';

/** Which unit a task's training protects. */
export type PrivacyLevel = 'customer' | 'member';

/** Task key `privacy:` (docs/privacy.md). Absent = no differential privacy. */
export interface PrivacyOptions {
  /** customer = DP-SGD inside each member's training; member = DP-FedAvg on whole updates. */
  level: PrivacyLevel;
  /** The task's budget: training, evaluation and statistics releases together. */
  epsilon: number;
  delta: number;
  /** Noise std ÷ clip bound of the training release (σ). */
  noiseMultiplier: number;
  /** L2 bound: per-example gradient (customer) or per-member update (member). */
  clipNorm: number;
  /**
   * Customer level: smallest training table a member may use. Every member samples each row with
   * rate q = train.batchSize / minRows per step, for ⌈epochs / q⌉ steps, so every customer gets
   * the same guarantee; a member with fewer rows declines to train.
   */
  minRows: number;
  /** Member level only: adaptive (quantile) clipping, starting from clipNorm. */
  adaptiveClipping?: AdaptiveClippingOptions;
  /**
   * Noise multiplier of each round's evaluation (held-out count, merged score bins, capped loss;
   * evaluation-release.ts); each release is charged. 0 = members release no evaluation at all.
   */
  releaseNoiseMultiplier: number;
  /**
   * The preprocessing statistics released with noise (statistics-release.ts): each numeric column
   * (and a regression label) clipped to its bounds, Gaussian noise with this multiplier on the
   * counts and sums, charged in the same ledger. Absent: the statistics are released exactly.
   */
  statistics?: StatisticsPrivacy;
  /**
   * Noise multiplier σ_a of the fairness audit's cell counts (core/src/audit/dp-release.ts): each
   * count carries noise of std σ_a·Δ, and each audit is charged as one Gaussian release with σ_a.
   * Resolved to DEFAULT_AUDIT_NOISE_MULTIPLIER; absent only in tasks stored before the key existed
   * (read with auditNoiseMultiplierOf).
   */
  auditNoiseMultiplier?: number;
}

/**
 * Default σ_a: one audit alone costs ε ≈ 1.0 at δ = 1e-5, and with the default policy (2
 * attributes, their intersection, one threshold: Δ = √6) each count carries noise of std ≈ 9.8.
 */
export const DEFAULT_AUDIT_NOISE_MULTIPLIER = 4;

/** The audit noise multiplier of a task's privacy (the default for tasks stored before the key existed). */
export function auditNoiseMultiplierOf(opts: PrivacyOptions): number {
  return opts.auditNoiseMultiplier ?? DEFAULT_AUDIT_NOISE_MULTIPLIER;
}

/** Task key `privacy.statistics`. */
export interface StatisticsPrivacy {
  noiseMultiplier: number;
  /** [low, high] of each numeric column (and a regression label): values are clipped to it. */
  bounds: Record<string, [number, number]>;
}

const DEFAULTS = { delta: 1e-5, minRows: 1000, releaseNoiseMultiplier: 0 } as const;

function bad(field: string, message: string): ConsortError {
  return new ConsortError('INVALID_ARGUMENT', `task definition field "privacy.${field}": ${message} (see docs/privacy.md)`, { field: `privacy.${field}` });
}

function positive(input: Record<string, unknown>, field: string, fallback?: number): number {
  const v = input[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(field, `must be a number > 0 (got ${JSON.stringify(v)})`);
  return v;
}

/** Resolves `privacy:` from a task file: defaults filled, every value checked. */
export function resolvePrivacyOptions(input: unknown): PrivacyOptions | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) throw bad('', 'must be a mapping');
  const o = input as Record<string, unknown>;
  if (o.clip !== undefined) throw bad('clip', 'bounds standardized values of a segmentation task; a model task bounds gradients or updates with privacy.clipNorm');
  if (o.level !== 'customer' && o.level !== 'member') throw bad('level', `must be "customer" or "member" (got ${JSON.stringify(o.level)})`);
  const epsilon = positive(o, 'epsilon');
  const delta = positive(o, 'delta', DEFAULTS.delta);
  if (delta >= 1) throw bad('delta', `must be below 1 (got ${delta})`);
  const minRows = positive(o, 'minRows', DEFAULTS.minRows);
  if (!Number.isInteger(minRows)) throw bad('minRows', `must be an integer (got ${minRows})`);
  const releaseNoiseMultiplier = (o.releaseNoiseMultiplier ?? DEFAULTS.releaseNoiseMultiplier) === 0 ? 0 : positive(o, 'releaseNoiseMultiplier');
  let adaptiveClipping: AdaptiveClippingOptions | undefined;
  if (o.adaptiveClipping !== undefined) {
    if (o.level !== 'member') throw bad('adaptiveClipping', 'applies to level "member" only (DP-SGD uses a fixed per-example bound)');
    const a = o.adaptiveClipping as Record<string, unknown>;
    const targetQuantile = positive(a, 'targetQuantile', 0.5);
    if (targetQuantile >= 1) throw bad('adaptiveClipping.targetQuantile', `must be below 1 (got ${targetQuantile})`);
    adaptiveClipping = { targetQuantile, learningRate: positive(a, 'learningRate', 0.2), countNoiseMultiplier: positive(a, 'countNoiseMultiplier') };
  }
  let statistics: StatisticsPrivacy | undefined;
  if (o.statistics !== undefined) {
    if (typeof o.statistics !== 'object' || o.statistics === null || Array.isArray(o.statistics)) throw bad('statistics', 'must be a mapping');
    const st = o.statistics as Record<string, unknown>;
    const b = st.bounds;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw bad('statistics.bounds', 'must map each numeric column to [low, high]');
    const bounds: Record<string, [number, number]> = {};
    for (const [column, v] of Object.entries(b as Record<string, unknown>)) {
      if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || !((v[0] as number) < (v[1] as number))) {
        throw bad(`statistics.bounds.${column}`, `must be [low, high] with low < high (got ${JSON.stringify(v)})`);
      }
      bounds[column] = [v[0] as number, v[1] as number];
    }
    statistics = { noiseMultiplier: positive(st, 'noiseMultiplier'), bounds };
  }
  return {
    level: o.level, epsilon, delta, noiseMultiplier: positive(o, 'noiseMultiplier'), clipNorm: positive(o, 'clipNorm'),
    minRows, releaseNoiseMultiplier, auditNoiseMultiplier: positive(o, 'auditNoiseMultiplier', DEFAULT_AUDIT_NOISE_MULTIPLIER), ...(adaptiveClipping ? { adaptiveClipping } : {}), ...(statistics ? { statistics } : {}),
  };
}

/** Customer level: per-step sampling rate and steps per round of DP-SGD. */
export function dpSgdSchedule(opts: PrivacyOptions, train: { localEpochs: number; batchSize: number }): { samplingRate: number; steps: number } {
  const samplingRate = Math.min(1, train.batchSize / opts.minRows);
  return { samplingRate, steps: Math.ceil(train.localEpochs / samplingRate) };
}

/** What the round ran with, as far as accounting goes. */
export interface TrainingRoundFacts {
  round: number;
  modelVersion?: number;
  train: { localEpochs: number; batchSize: number };
  /** Fraction of the federation's members invited to the round (member sampling rate). */
  memberSamplingRate: number;
  /** Members invited, and members whose noisy update is in the sum. */
  invited: number;
  survivors: number;
}

/**
 * The charges of one training round. Customer level: the DP-SGD steps (each member runs them on
 * its own customers; composition is per customer). Member level: one sampled-Gaussian release
 * whose noise multiplier is what the survivors' noise really sums to (σ·√(survivors/invited)),
 * combined with the clip-count release when clipping is adaptive.
 */
export function trainingRoundCharges(opts: PrivacyOptions, f: TrainingRoundFacts): PrivacyCharge[] {
  const base = { round: f.round, ...(f.modelVersion !== undefined ? { modelVersion: f.modelVersion } : {}) };
  if (opts.level === 'customer') {
    const { samplingRate, steps } = dpSgdSchedule(opts, f.train);
    return [{ ...base, kind: 'train', unit: 'customer', samplingRate, noiseMultiplier: opts.noiseMultiplier, steps }];
  }
  if (!opts.adaptiveClipping) {
    const z = effectiveNoiseMultiplier(opts.noiseMultiplier, f.survivors, f.invited);
    return [{ ...base, kind: 'train', unit: 'member', samplingRate: f.memberSamplingRate, noiseMultiplier: z, steps: 1 }];
  }
  // With adaptive clipping the configured σ is the total: the update carries z_Δ, the count z_b.
  const z = effectiveNoiseMultiplier(updateNoiseMultiplier(opts.noiseMultiplier, opts.adaptiveClipping.countNoiseMultiplier), f.survivors, f.invited);
  const zb = effectiveNoiseMultiplier(opts.adaptiveClipping.countNoiseMultiplier, f.survivors, f.invited);
  // Update and clip count are released together on the same sample: one Gaussian of the combined multiplier.
  return [{ ...base, kind: 'train', unit: 'member', samplingRate: f.memberSamplingRate, noiseMultiplier: combinedNoiseMultiplier(z, zb), steps: 1 }];
}

/** The charge of one evaluation release (histograms and counts; q = 1), or none when releases are not private. */
export function evaluationCharge(opts: PrivacyOptions, round: number, survivors: number, invited: number, modelVersion?: number): PrivacyCharge[] {
  if (opts.releaseNoiseMultiplier === 0) return [];
  return [{
    round, ...(modelVersion !== undefined ? { modelVersion } : {}), kind: 'evaluate', unit: 'customer', samplingRate: 1,
    noiseMultiplier: effectiveNoiseMultiplier(opts.releaseNoiseMultiplier, survivors, invited), steps: 1,
  }];
}
