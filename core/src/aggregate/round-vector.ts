// The one vector a member contributes to a round, as secure aggregation sums it: the
// example-weighted model plus every additive side quantity (example count, loss sums,
// evaluation counts, score histograms, clip count), each a segment with its own fixed-point
// scale or integer bound. Nothing a member reports travels outside this vector.
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
}

export const DEFAULT_MAX_EXAMPLES = 1_000_000;
export const DEFAULT_WEIGHT_CLIP = 16;
export const DEFAULT_WEIGHT_SCALE_BITS = 16;
/** Feature sums get 4 fractional bits and a bound that keeps n members' sum exact below 2^53. */
const STATS_SCALE_BITS = 4;
const MAX_MEMBERS_FOR_STATS = 1000;
const STATS_CLIP = Math.floor(2 ** 53 / 2 ** STATS_SCALE_BITS / MAX_MEMBERS_FOR_STATS) - 1;

/** The additive side quantities a member reports with its vector (losses, counts, histograms). */
export interface RoundSideSums {
  numExamples: number;
  trainLossSum: number;
  evalLossSum: number;
  evalAbsErrSum: number;
  evalExamples: number;
  evalHistPos: ArrayLike<number>;
  evalHistNeg: ArrayLike<number>;
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
  /** Values clipped over all members (weights clipped to ±weightClip, or oversized sums). */
  clipped: number;
  /** NaN/Infinity values members found in their inputs (each such input was sent as zeros). */
  nonFinite: number;
}

function lossBounds(task: 'binary' | 'regression', maxExamples: number): { clip: number; scaleBits: number } {
  // Log-loss per example is clipped at 100 upstream of this bound; squared errors of money
  // amounts need far more range and fewer fractional bits.
  return task === 'binary' ? { clip: maxExamples * 100, scaleBits: 10 } : { clip: maxExamples * 1e6, scaleBits: 0 };
}

/** The segments of a round's vector, in wire order. */
export function roundSegments(o: RoundVectorOptions): SegmentSpec[] {
  const loss = lossBounds(o.task, o.maxExamples);
  const bins = o.task === 'binary' ? SCORE_BINS : 0;
  const main: SegmentSpec[] = o.purpose === 'train'
    ? [{ name: 'values', kind: 'fixed', length: o.parameterCount, clip: o.weightClip * o.maxExamples, scaleBits: o.weightScaleBits }]
    : o.purpose === 'statistics'
      ? [{ name: 'values', kind: 'fixed', length: o.statisticsLength, clip: STATS_CLIP, scaleBits: STATS_SCALE_BITS }]
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
    { name: 'clipped', kind: 'integer', length: 1, maxAbs: Math.max(o.parameterCount, o.statisticsLength, 1) },
    { name: 'nonFinite', kind: 'integer', length: 1, maxAbs: Math.max(o.parameterCount, o.statisticsLength, 1) + 3 },
  ];
}

export function roundVectorLayout(o: RoundVectorOptions): VectorLayout {
  return planLayout(roundSegments(o), { members: o.members });
}

/** NaN/Infinity values in a contribution's vector and loss sums. */
export function countNonFinite(c: RoundContribution): number {
  let n = 0;
  for (let i = 0; i < c.values.length; i++) if (!Number.isFinite(c.values[i])) n++;
  for (const x of [c.trainLossSum, c.evalLossSum, c.evalAbsErrSum]) if (!Number.isFinite(x)) n++;
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
    values = Float64Array.from(c.values);
    for (const v of values) if (Math.abs(v) > STATS_CLIP) clipped++;
  }
  const loss = lossBounds(o.task, o.maxExamples);
  const clampLoss = (x: number) => Math.min(x, loss.clip);
  const specs = roundSegments(o);
  const bins = specs.find((s) => s.name === 'histPos')!.length;
  // A member without held-out rows contributes empty histograms.
  const hist = (h: ArrayLike<number>) => (h.length === 0 ? new Float64Array(bins) : h);
  const data: Record<string, ArrayLike<number>> = {
    values, numExamples: [c.numExamples], trainLossSum: [clampLoss(c.trainLossSum)], evalLossSum: [clampLoss(c.evalLossSum)], evalAbsErrSum: [clampLoss(c.evalAbsErrSum)],
    evalExamples: [c.evalExamples], histPos: hist(c.evalHistPos), histNeg: hist(c.evalHistNeg), clipped: [clipped], nonFinite: [nonFinite],
  };
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
    clipped: parts.clipped[0],
    nonFinite: parts.nonFinite[0],
  };
}
