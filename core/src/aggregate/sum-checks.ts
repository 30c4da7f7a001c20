// Range checks on a round's summed inputs before anything is published. Under secure
// aggregation the coordinator never sees one member's input, so a member that lies (a negative
// or huge example count, weights outside the clip) can only be caught in the sum: every
// quantity has a range that honest members cannot leave, and a sum outside it is refused.
import { ConsortError } from '../errors/consort-error.ts';
import type { RoundPurpose, RoundSumTotals } from './round-vector.ts';

/** What bounds a round's sum: the same numbers both sides used to pack it. */
export interface SumBounds {
  purpose: RoundPurpose;
  task: 'binary' | 'regression';
  /** Members whose inputs are in the sum. */
  survivors: number;
  /** Largest row count one member may claim. */
  maxExamples: number;
  /** Weights are clipped to ±weightClip before being multiplied by the member's row count. */
  weightClip: number;
  /** Fixed-point resolution of the weighted model: each member's rounding adds < 2^-bits. */
  weightScaleBits: number;
  /** Values each member could clip (bounds the summed clip counter). */
  clippable: number;
  /**
   * The held-out count, histograms and loss carry DP noise (core/src/privacy/evaluation-release.ts):
   * they may be negative or disagree, so only their finiteness is checked.
   */
  noisyEvaluation?: boolean;
}

function reject(what: string): never {
  throw new ConsortError('AGGREGATE_REJECTED',
    `the round's summed inputs are impossible (${what}): at least one member sent a forged update; nothing was published and the previous model stays current`);
}

/**
 * Throws AGGREGATE_REJECTED when the sum could not come from honest members: example counts
 * outside (0, survivors × maxExamples], histogram bins that do not add up to the held-out
 * count, negative loss sums, clip counts out of range, or (training) a weighted coordinate
 * beyond total × clip.
 */
export function checkRoundSum(t: RoundSumTotals, b: SumBounds): void {
  const maxRows = b.survivors * b.maxExamples;
  const count = (name: string, v: number, min = 0) => {
    if (!Number.isFinite(v) || !Number.isInteger(v) || v < min || v > maxRows) reject(`${name} is ${v}, outside [${min}, ${maxRows}] for ${b.survivors} members`);
  };
  count('the example count', t.totalExamples, b.purpose === 'train' ? 1 : 0);
  const noisy = b.noisyEvaluation === true;
  if (noisy) {
    for (const v of [t.evalExamples, t.evalLossSum, ...t.histPos, ...t.histNeg]) if (!Number.isFinite(v)) reject(`a noisy evaluation sum is ${v}`);
  } else {
    count('the held-out example count', t.evalExamples);
    let binned = 0;
    for (const h of [t.histPos, t.histNeg]) for (let i = 0; i < h.length; i++) { count('a score-histogram bin', h[i]); binned += h[i]; }
    if (b.task === 'binary' && binned !== t.evalExamples) reject(`the score histograms hold ${binned} rows but ${t.evalExamples} were held out`);
  }
  // Loss sums are fixed-point with at least integer resolution: rounding is < 1 per member.
  const lossSlack = b.survivors;
  const losses = [['training loss sum', t.trainLossSum], ['held-out absolute error sum', t.evalAbsErrSum]] as const;
  for (const [name, v] of noisy ? losses : [...losses, ['held-out loss sum', t.evalLossSum] as const]) {
    if (!Number.isFinite(v) || v < -lossSlack) reject(`the ${name} is ${v}; losses are never negative`);
  }
  if (!Number.isInteger(t.clipped) || t.clipped < 0 || t.clipped > b.survivors * b.clippable) reject(`the clip counter is ${t.clipped}`);
  if (!Number.isInteger(t.nonFinite) || t.nonFinite < 0 || t.nonFinite > b.survivors * b.clippable) reject(`the non-finite counter is ${t.nonFinite}`);
  if (b.purpose === 'train') {
    // Each member adds n_k·w with |w| ≤ clip, plus < 2^-bits of stochastic rounding.
    const bound = t.totalExamples * b.weightClip + b.survivors * 2 ** -b.weightScaleBits;
    for (let i = 0; i < t.vector.length; i++) {
      const v = t.vector[i];
      if (!(Math.abs(v) <= bound)) reject(`weighted coordinate ${i} is ${v}, beyond ${t.totalExamples} examples × clip ${b.weightClip}`);
    }
  }
}

/** Throws AGGREGATE_REJECTED unless every weight of the model about to be published is finite. */
export function checkPublishableModel(weights: ArrayLike<number>): void {
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(weights[i])) reject(`the aggregated model has ${weights[i]} at weight ${i}`);
  }
}
