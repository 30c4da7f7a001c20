// Collects members' plain inputs for one round into running sums (never per-member vectors).
import { ConsortError, SCORE_BINS, WeightedSum, validateUpdate } from '@consort/core';

/** train: weights; statistics: feature sums fitting the preprocessing; evaluate: metrics only. */
export type Purpose = 'train' | 'statistics' | 'evaluate';

/** The side quantities a member reports with its input (plain aggregation). */
export interface InputSideSums {
  numExamples: number;
  trainLossSum: number;
  evalLossSum: number;
  evalExamples: number;
  evalHistPos: number[];
  evalHistNeg: number[];
}

/** The sums the round hands to the strategy and the metrics code. */
export interface RoundSums {
  vector: WeightedSum;
  trainLossSum: number;
  evalLossSum: number;
  evalExamples: number;
  histPos: Float64Array;
  histNeg: Float64Array;
}

/** Decodes a little-endian float32/float64 buffer without copying when aligned. */
export function decodeVector(data: Buffer, dtype: string, memberId: string): Float32Array | Float64Array {
  const size = dtype === 'float64' ? 8 : dtype === 'float32' || dtype === '' ? 4 : 0;
  if (size === 0) {
    throw new ConsortError('INVALID_ARGUMENT', `input of member ${memberId} has dtype "${dtype}"; use "float32" or "float64"`, { memberId });
  }
  if (data.byteLength % size !== 0) {
    throw new ConsortError('UPDATE_SHAPE_MISMATCH', `input of member ${memberId} has ${data.byteLength} bytes, not a whole number of ${dtype} values`, { memberId });
  }
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return size === 8 ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
}

/** Running sums of one round: a training round weights by examples, a statistics round sums. */
export class RoundInputs {
  readonly sums: RoundSums;

  constructor(readonly purpose: Purpose, readonly length: number) {
    this.sums = {
      vector: new WeightedSum(length),
      trainLossSum: 0,
      evalLossSum: 0,
      evalExamples: 0,
      histPos: new Float64Array(SCORE_BINS),
      histNeg: new Float64Array(SCORE_BINS),
    };
  }

  /** Validates one member's input completely before anything is added: all or nothing. */
  add(memberId: string, values: Float32Array | Float64Array, side: InputSideSums): void {
    validateUpdate(values, this.length, memberId);
    const weight = this.purpose === 'train' ? side.numExamples : 1;
    if (!(weight > 0) || !Number.isFinite(weight)) {
      throw new ConsortError('INVALID_ARGUMENT', `member ${memberId} reported ${side.numExamples} training examples; it must train on at least one row`, { memberId });
    }
    const hists = [side.evalHistPos, side.evalHistNeg];
    if (this.purpose !== 'statistics' && hists.some((h) => h.length !== 0 && h.length !== SCORE_BINS)) {
      throw new ConsortError('UPDATE_SHAPE_MISMATCH', `member ${memberId} sent score histograms that do not have ${SCORE_BINS} bins`, { memberId });
    }
    for (const x of [side.trainLossSum, side.evalLossSum, side.evalExamples, ...side.evalHistPos, ...side.evalHistNeg]) {
      if (!Number.isFinite(x) || x < 0) {
        throw new ConsortError('UPDATE_NOT_FINITE', `member ${memberId} sent a metric sum of ${x}; metric sums must be finite and non-negative`, { memberId });
      }
    }
    this.sums.vector.add(values, weight);
    this.sums.trainLossSum += side.trainLossSum;
    this.sums.evalLossSum += side.evalLossSum;
    this.sums.evalExamples += side.evalExamples;
    side.evalHistPos.forEach((c, i) => { this.sums.histPos[i] += c; });
    side.evalHistNeg.forEach((c, i) => { this.sums.histNeg[i] += c; });
  }
}
