// Evaluation under differential privacy: the held-out count, the score histograms and the
// capped held-out loss, each member adding its share of Gaussian noise before masking.
//
// One customer's held-out row moves the count by 1, one histogram bin by 1 and the loss sum by at
// most the cap B (each row's loss is capped at B), so the release (count, bins, loss/B) has L2
// sensitivity √3. The noise std is σ_r·√3 on the counts and σ_r·√3·B on the loss: a Gaussian
// mechanism with multiplier σ_r, charged as such (evaluationCharge in privacy-options.ts).
// Counts are integers in the masked vector, so each member rounds its noise share: the rounding
// of an integer plus noise does not depend on the integer, so the released noise is a sum of
// rounded Gaussians, independent of the data (close to the Gaussian the accountant charges when
// each share's std is ≥ 1; Kairouz, Liu & Steinke 2021 treat the discrete case exactly).
import { addGaussianNoise, type NormalSource } from './gaussian-noise.ts';
import { memberNoiseStd } from './distributed-noise.ts';

/** L2 sensitivity of one customer's held-out row in the evaluation release. */
export const EVALUATION_SENSITIVITY = Math.sqrt(3);

/**
 * Score bins released under DP: the 1,000 fine bins are merged into this many before noising, or
 * the noise on 2,000 near-empty bins would drown the AUC. A merged count sits at its group's
 * middle bin; the other bins are structurally 0 and carry no noise.
 */
export const DP_SCORE_BINS = 20;

/** Merges a fine histogram into `groups` equal groups, each total placed at its group's middle bin. */
export function coarsenHistogram(hist: readonly number[], groups: number): number[] {
  if (hist.length === 0) return [];
  if (hist.length % groups !== 0) throw new RangeError(`${hist.length} bins do not split into ${groups} equal groups`);
  const width = hist.length / groups;
  const out = new Array<number>(hist.length).fill(0);
  for (let g = 0; g < groups; g++) {
    let sum = 0;
    for (let i = g * width; i < (g + 1) * width; i++) sum += hist[i];
    out[g * width + Math.floor(width / 2)] = sum;
  }
  return out;
}

/** Per-row loss cap under DP: log-loss (binary) or squared error in standardized units (regression). */
export const DP_EVAL_LOSS_CAP = { binary: 10, regression: 25 } as const;

/** The additive evaluation sums a member reports. */
export interface EvaluationReleaseSums {
  count: number;
  lossSum: number;
  histPos: number[];
  histNeg: number[];
}

/**
 * A member's evaluation sums with its share of the noise: integers stay integers. `lossSum` must
 * already be a sum of per-row losses capped at `lossCap`.
 */
export function privatizeEvaluation(ev: EvaluationReleaseSums, o: { noiseMultiplier: number; invited: number; lossCap: number; normals: NormalSource }): EvaluationReleaseSums {
  const std = memberNoiseStd(o.noiseMultiplier, EVALUATION_SENSITIVITY, o.invited);
  const noisyInt = (v: number) => v + Math.round(addGaussianNoise([0], std, o.normals)[0]);
  const noisyHist = (h: number[]) => {
    if (h.length === 0) return [];
    const width = h.length / DP_SCORE_BINS;
    // Only each group's middle bin is released; the rest stay 0 on every member.
    return coarsenHistogram(h, DP_SCORE_BINS).map((v, i) => (i % width === Math.floor(width / 2) ? noisyInt(v) : 0));
  };
  return {
    count: noisyInt(ev.count),
    lossSum: ev.lossSum + addGaussianNoise([0], std * o.lossCap, o.normals)[0],
    histPos: noisyHist(ev.histPos),
    histNeg: noisyHist(ev.histNeg),
  };
}

/**
 * The coordinator's reading of a noisy evaluation sum (post-processing, free of privacy cost):
 * negative bins become 0, the count is at least 1 so a loss can be averaged.
 */
export function cleanNoisyEvaluation(t: { evalExamples: number; histPos: ArrayLike<number>; histNeg: ArrayLike<number>; evalLossSum: number }): {
  evalExamples: number; histPos: Float64Array; histNeg: Float64Array; evalLossSum: number;
} {
  return {
    evalExamples: Math.max(1, Math.round(t.evalExamples)),
    histPos: Float64Array.from(t.histPos, (v) => Math.max(0, v)),
    histNeg: Float64Array.from(t.histNeg, (v) => Math.max(0, v)),
    evalLossSum: Math.max(0, t.evalLossSum),
  };
}
