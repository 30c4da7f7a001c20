// Threshold metrics and calibration from summed score histograms: everything federated
// evaluation reports for a binary model, computed from the secure sum of members' histograms.
import { aucFromHistograms } from './auc.ts';

export interface ThresholdMetrics {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  /** Share of rows scored at or above the threshold (the selection rate). */
  selectionRate: number;
}

export interface CalibrationBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean score in the bin, approximated by the histogram bins' centres. */
  predicted: number;
  /** Observed positive rate in the bin. */
  observed: number;
}

export interface BinaryEvaluation {
  auc: number;
  positives: number;
  negatives: number;
  thresholds: ThresholdMetrics[];
  calibration: CalibrationBin[];
  /** Expected calibration error: Σ count·|observed − predicted| / Σ count. */
  ece: number;
}

export const DEFAULT_THRESHOLDS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7];

/**
 * Confusion counts at each threshold (a row is predicted positive when its score ≥ threshold;
 * thresholds are resolved to histogram-bin edges), precision/recall/F1, and a 10-bin
 * reliability table.
 */
export function binaryEvaluation(histPos: ArrayLike<number>, histNeg: ArrayLike<number>, thresholds = DEFAULT_THRESHOLDS, calibrationBins = 10): BinaryEvaluation {
  const bins = histPos.length;
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < bins; i++) { positives += histPos[i]; negatives += histNeg[i]; }
  const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
  const atThreshold = thresholds.map((threshold) => {
    const first = Math.min(bins, Math.max(0, Math.round(threshold * bins)));
    let tp = 0;
    let fp = 0;
    for (let i = first; i < bins; i++) { tp += histPos[i]; fp += histNeg[i]; }
    const fn = positives - tp;
    const tn = negatives - fp;
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, positives);
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : NaN;
    return { threshold, tp, fp, tn, fn, precision, recall, f1, selectionRate: ratio(tp + fp, positives + negatives) };
  });
  const calibration: CalibrationBin[] = [];
  let eceSum = 0;
  for (let c = 0; c < calibrationBins; c++) {
    const from = Math.floor((c * bins) / calibrationBins);
    const to = Math.floor(((c + 1) * bins) / calibrationBins);
    let count = 0;
    let pos = 0;
    let scoreSum = 0;
    for (let i = from; i < to; i++) {
      const n = histPos[i] + histNeg[i];
      count += n;
      pos += histPos[i];
      scoreSum += n * ((i + 0.5) / bins);
    }
    const predicted = ratio(scoreSum, count);
    const observed = ratio(pos, count);
    if (count > 0) eceSum += count * Math.abs(observed - predicted);
    calibration.push({ lo: from / bins, hi: to / bins, count, predicted, observed });
  }
  return {
    auc: aucFromHistograms(histPos, histNeg), positives, negatives, thresholds: atThreshold, calibration,
    ece: ratio(eceSum, positives + negatives),
  };
}
