// Collects members' plain (debug opt-out) inputs for one round into running sums: O(d) memory,
// never one vector per member. Secure rounds produce the same totals from the unmasked sum.
import { ConsortError, SCORE_BINS, WeightedSum, validateUpdate, type RoundPurpose, type RoundSideSums, type RoundSumTotals } from '@consort/core';

/** train: weights; statistics: feature sums fitting the preprocessing; evaluate: metrics only. */
export type Purpose = RoundPurpose;


/** Decodes a little-endian float32/float64 buffer (copied: the gRPC buffer may be unaligned). */
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

/** Running sums of one plain round: a training round weights by examples, others just sum. */
export class RoundInputs {
  private readonly vector: WeightedSum;
  private readonly t: Omit<RoundSumTotals, 'vector'>;

  constructor(readonly purpose: Purpose, readonly length: number) {
    this.vector = new WeightedSum(length);
    this.t = {
      totalExamples: 0, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalLabelSum: 0, evalLabelSquareSum: 0,
      histPos: new Float64Array(SCORE_BINS), histNeg: new Float64Array(SCORE_BINS), clipped: 0, nonFinite: 0,
    };
  }

  /** Validates one member's input completely before anything is added: all or nothing. */
  add(memberId: string, values: Float32Array | Float64Array, side: RoundSideSums): void {
    validateUpdate(values, this.length, memberId);
    if (!(side.numExamples > 0) || !Number.isFinite(side.numExamples)) {
      throw new ConsortError('INVALID_ARGUMENT', `member ${memberId} reported ${side.numExamples} examples; it must contribute at least one row`, { memberId });
    }
    if ([side.evalHistPos, side.evalHistNeg].some((h) => h.length !== 0 && h.length !== SCORE_BINS)) {
      throw new ConsortError('UPDATE_SHAPE_MISMATCH', `member ${memberId} sent score histograms that do not have ${SCORE_BINS} bins`, { memberId });
    }
    for (const x of [side.trainLossSum, side.evalLossSum, side.evalAbsErrSum, side.evalExamples, ...Array.from(side.evalHistPos), ...Array.from(side.evalHistNeg)]) {
      if (!Number.isFinite(x) || x < 0) {
        throw new ConsortError('UPDATE_NOT_FINITE', `member ${memberId} sent a metric sum of ${x}; metric sums must be finite and non-negative`, { memberId });
      }
    }
    // Σy of held-out labels is in standardized units: it may be negative, but must be finite.
    const labelSum = side.evalLabelSum ?? 0;
    const labelSquares = side.evalLabelSquareSum ?? 0;
    if (!Number.isFinite(labelSum) || !Number.isFinite(labelSquares) || labelSquares < 0) {
      throw new ConsortError('UPDATE_NOT_FINITE', `member ${memberId} sent held-out label sums ${side.evalLabelSum} and ${side.evalLabelSquareSum}; they must be finite (and Σy² non-negative)`, { memberId });
    }
    this.vector.add(values, this.purpose === 'train' ? side.numExamples : 1);
    this.t.totalExamples += side.numExamples;
    this.t.trainLossSum += side.trainLossSum;
    this.t.evalLossSum += side.evalLossSum;
    this.t.evalAbsErrSum += side.evalAbsErrSum;
    this.t.evalExamples += side.evalExamples;
    this.t.evalLabelSum += side.evalLabelSum ?? 0;
    this.t.evalLabelSquareSum += side.evalLabelSquareSum ?? 0;
    for (let i = 0; i < side.evalHistPos.length; i++) this.t.histPos[i] += side.evalHistPos[i];
    for (let i = 0; i < side.evalHistNeg.length; i++) this.t.histNeg[i] += side.evalHistNeg[i];
  }

  /** Σ n_k·w_k (train) or Σ values (statistics) plus the side sums. */
  totals(): RoundSumTotals {
    return { ...this.t, vector: this.vector.sum };
  }
}
