// The one vector a member contributes to a round, as secure aggregation sums it: the
// example-weighted model plus every additive side quantity (example count, loss sums,
// evaluation counts, score histograms, clip count), each a segment with its own fixed-point
// scale or integer bound. Nothing a member reports travels outside this vector. Feature
// statistics travel as exact integer limbs (features/exact-moments.ts), never as clipped floats.
import { ConsortError } from '../errors/consort-error.ts';
import { SCORE_BINS } from '../metrics/index.ts';
import { packVector, planLayout, unpackVector, type SegmentSpec, type VectorLayout } from '../secagg/quantize.ts';
import type { ModVector } from '../secagg/mod-vector.ts';

export type RoundPurpose = 'train' | 'statistics' | 'evaluate';

/** What sizes the vector; identical on the coordinator and every member of a round. */
export interface RoundVectorOptions {
  purpose: RoundPurpose;
  task: 'binary' | 'regression';
  parameterCount: number;
  statisticsLength: number;
  /** Members invited to the round (the sum's headroom is computed for all of them). */
  members: number;
  /** Largest number of rows one member may contribute (bounds every count). */
  maxExamples: number;
  /** Model weights are clipped to [-weightClip, weightClip] before weighting (clips are counted). */
  weightClip: number;
  /** Fractional bits of the weighted model (2^-bits resolution per member and value). */
  weightScaleBits: number;
  /**
   * Adaptive clipping under member-level DP (core/src/privacy/adaptive-clipping.ts): one more
   * segment holding each member's noisy "my update fitted under the bound" indicator.
   */
  dpClipCount?: boolean;
}

export const DEFAULT_MAX_EXAMPLES = 1_000_000;
export const DEFAULT_WEIGHT_CLIP = 16;
export const DEFAULT_WEIGHT_SCALE_BITS = 16;
/**
 * Every entry of a statistics vector is an exact integer below 2^32 (counts, and 32-bit limbs of
 * the big-integer moment sums): up to 1,000 members' sum stays below 2^42, exact in Z_(2^64).
 */
const STATS_MAX_ENTRY = 2 ** 32 - 1;

/** The additive side quantities a member reports with its vector (losses, counts, histograms). */
export interface RoundSideSums {
  numExamples: number;
  trainLossSum: number;
  evalLossSum: number;
  evalAbsErrSum: number;
  evalExamples: number;
  evalHistPos: ArrayLike<number>;
  evalHistNeg: ArrayLike<number>;
  /** Regression: Σy and Σy² of the held-out labels, in the target's standardized units (for R²). */
  evalLabelSum?: number;
  evalLabelSquareSum?: number;
  /** Adaptive clipping: this member's unclipped indicator plus its noise share. */
  dpClipCount?: number;
}

/** The member's plain contribution before quantization and masking. */
export interface RoundContribution extends RoundSideSums {
  /** Model weights (train), feature sums (statistics) or empty (evaluate). */
  values: ArrayLike<number>;
}

/** What the coordinator gets back from the unmasked sum. */
export interface RoundSumTotals {
  /** Σ n_k·w_k (train) or Σ feature sums (statistics); empty for evaluate. */
  vector: Float64Array;
  totalExamples: number;
  trainLossSum: number;
  evalLossSum: number;
  evalAbsErrSum: number;
  evalExamples: number;
  histPos: Float64Array;
  histNeg: Float64Array;
  /** Regression: Σy and Σy² of held-out labels (standardized units); 0 for binary tasks. */
  evalLabelSum: number;
  evalLabelSquareSum: number;
  /** Values clipped over all members (weights clipped to ±weightClip, or side sums beyond their bound). */
  clipped: number;
  /** NaN/Infinity values members found in their inputs (each such input was sent as zeros). */
  nonFinite: number;
  /** Adaptive clipping: the noisy count of members whose update fitted under the bound (absent or 0 without it). */
  dpClipCount?: number;
}

/**
 * Bounds of the per-member side sums. Log-loss per example is clipped at 100 upstream. Regression
 * sums are in the target's standardized units (members train on (y − mean)/std; the coordinator
 * converts to the target's units), so 10^4 per example is a 100σ error: 1,000 members ×
 * 10^6 rows × 10^4 × 2^8 < 2^53. A sum beyond its bound is clamped AND counted in `clipped`.
 */
function lossBounds(task: 'binary' | 'regression', maxExamples: number): { clip: number; scaleBits: number } {
  return task === 'binary' ? { clip: maxExamples * 100, scaleBits: 10 } : { clip: maxExamples * 1e4, scaleBits: 8 };
}

/** The segments of a round's vector, in wire order. */
export function roundSegments(o: RoundVectorOptions): SegmentSpec[] {
  const loss = lossBounds(o.task, o.maxExamples);
  const bins = o.task === 'binary' ? SCORE_BINS : 0;
  const labelSums = o.task === 'regression' ? 1 : 0;
  const main: SegmentSpec[] = o.purpose === 'train'
    ? [{ name: 'values', kind: 'fixed', length: o.parameterCount, clip: o.weightClip * o.maxExamples, scaleBits: o.weightScaleBits }]
    : o.purpose === 'statistics'
      ? [{ name: 'values', kind: 'integer', length: o.statisticsLength, maxAbs: STATS_MAX_ENTRY }]
      : [{ name: 'values', kind: 'fixed', length: 0, clip: 1, scaleBits: 0 }];
  return [
    ...main,
    { name: 'numExamples', kind: 'integer', length: 1, maxAbs: o.maxExamples },
    { name: 'trainLossSum', kind: 'fixed', length: 1, ...loss },
    { name: 'evalLossSum', kind: 'fixed', length: 1, ...loss },
    { name: 'evalAbsErrSum', kind: 'fixed', length: 1, ...loss },
    { name: 'evalExamples', kind: 'integer', length: 1, maxAbs: o.maxExamples },
    { name: 'histPos', kind: 'integer', length: bins, maxAbs: o.maxExamples },
    { name: 'histNeg', kind: 'integer', length: bins, maxAbs: o.maxExamples },
    { name: 'clipped', kind: 'integer', length: 1, maxAbs: Math.max(o.parameterCount, o.statisticsLength, 1) + SIDE_SUMS },
    { name: 'nonFinite', kind: 'integer', length: 1, maxAbs: Math.max(o.parameterCount, o.statisticsLength, 1) + SIDE_SUMS },
    { name: 'evalLabelSum', kind: 'fixed', length: labelSums, ...loss },
    { name: 'evalLabelSquareSum', kind: 'fixed', length: labelSums, ...loss },
    // An indicator (0/1) plus a Gaussian noise share: ±1,000 is far beyond any honest value.
    { name: 'dpClipCount', kind: 'fixed', length: o.dpClipCount ? 1 : 0, clip: 1000, scaleBits: 16 },
  ];
}

/** Side sums that may be clamped (each counts once in `clipped`). */
const SIDE_SUMS = 5;

export function roundVectorLayout(o: RoundVectorOptions): VectorLayout {
  return planLayout(roundSegments(o), { members: o.members });
}

/** NaN/Infinity values in a contribution's vector and loss sums. */
export function countNonFinite(c: RoundContribution): number {
  let n = 0;
  for (let i = 0; i < c.values.length; i++) if (!Number.isFinite(c.values[i])) n++;
  for (const x of [c.trainLossSum, c.evalLossSum, c.evalAbsErrSum, c.evalLabelSum ?? 0, c.evalLabelSquareSum ?? 0]) if (!Number.isFinite(x)) n++;
  return n;
}

/**
 * Packs a member's contribution: clips weights, weights them by the member's example count (so
 * the sum is Σ n_k·w_k), quantizes with stochastic rounding. Returns the vector and clip count.
 * A contribution holding NaN/Infinity is sent as zeros with only its count of non-finite values:
 * it stays in the protocol (no dropout wait) but out of the sum, and the round names it.
 */
export function packContribution(o: RoundVectorOptions, input: RoundContribution): { vector: ModVector; clipped: number; nonFinite: number } {
  const nonFinite = countNonFinite(input);
  const c: RoundContribution = nonFinite === 0 ? input : {
    values: new Float64Array(input.values.length), numExamples: 0, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [],
  };
  if (!(c.numExamples >= 0) || c.numExamples > o.maxExamples || !Number.isInteger(c.numExamples)) {
    throw new ConsortError('SECAGG_OVERFLOW', `this member reports ${c.numExamples} rows; a round accepts whole counts up to ${o.maxExamples} per member (raise maxExamples in the task)`);
  }
  let clipped = 0;
  let values: Float64Array;
  if (o.purpose === 'train') {
    values = new Float64Array(c.values.length);
    for (let i = 0; i < values.length; i++) {
      let w = c.values[i];
      if (w > o.weightClip) { w = o.weightClip; clipped++; } else if (w < -o.weightClip) { w = -o.weightClip; clipped++; }
      values[i] = w * c.numExamples;
    }
  } else {
    // Statistics are exact integers (packVector refuses anything else): nothing to clip.
    values = Float64Array.from(c.values);
  }
  const loss = lossBounds(o.task, o.maxExamples);
  const clamp = (x: number) => {
    if (x > loss.clip) { clipped++; return loss.clip; }
    if (x < -loss.clip) { clipped++; return -loss.clip; }
    return x;
  };
  const specs = roundSegments(o);
  const bins = specs.find((s) => s.name === 'histPos')!.length;
  // A member without held-out rows contributes empty histograms.
  const hist = (h: ArrayLike<number>) => (h.length === 0 ? new Float64Array(bins) : h);
  const labelSums = o.task === 'regression';
  const data: Record<string, ArrayLike<number>> = {
    values, numExamples: [c.numExamples], trainLossSum: [clamp(c.trainLossSum)], evalLossSum: [clamp(c.evalLossSum)], evalAbsErrSum: [clamp(c.evalAbsErrSum)],
    evalExamples: [c.evalExamples], histPos: hist(c.evalHistPos), histNeg: hist(c.evalHistNeg), nonFinite: [nonFinite],
    evalLabelSum: labelSums ? [clamp(c.evalLabelSum ?? 0)] : [], evalLabelSquareSum: labelSums ? [clamp(c.evalLabelSquareSum ?? 0)] : [],
    dpClipCount: o.dpClipCount ? [Math.max(-1000, Math.min(1000, c.dpClipCount ?? 0))] : [],
  };
  data.clipped = [clipped];
  for (const s of specs) {
    if (data[s.name].length !== s.length) {
      throw new ConsortError('UPDATE_SHAPE_MISMATCH', `round input segment "${s.name}" has ${data[s.name].length} values, the round expects ${s.length}`);
    }
  }
  const { vector } = packVector(specs.map((s) => ({ ...s, values: data[s.name] })), { members: o.members });
  return { vector, clipped, nonFinite };
}

/** Decodes the unmasked sum into the totals the strategy and the metrics need. */
export function unpackRoundSum(o: RoundVectorOptions, sum: ModVector): RoundSumTotals {
  const parts = unpackVector(roundVectorLayout(o), sum);
  return {
    vector: parts.values,
    totalExamples: parts.numExamples[0],
    trainLossSum: parts.trainLossSum[0],
    evalLossSum: parts.evalLossSum[0],
    evalAbsErrSum: parts.evalAbsErrSum[0],
    evalExamples: parts.evalExamples[0],
    histPos: parts.histPos,
    histNeg: parts.histNeg,
    evalLabelSum: parts.evalLabelSum[0] ?? 0,
    evalLabelSquareSum: parts.evalLabelSquareSum[0] ?? 0,
    clipped: parts.clipped[0],
    nonFinite: parts.nonFinite[0],
    dpClipCount: parts.dpClipCount?.[0] ?? 0,
  };
}
