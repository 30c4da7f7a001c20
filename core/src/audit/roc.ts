// ROC curve points of a group from its summed score histograms (for the report's ROC chart).

/** One operating point: rows scoring at or above `threshold` are predicted positive. */
export interface RocPoint {
  threshold: number;
  fpr: number;
  tpr: number;
}

/**
 * ROC points at `points` evenly spaced histogram bin edges (threshold 1 → (0, 0) down to
 * threshold 0 → (1, 1)); empty when either label has no rows.
 */
export function rocFromHistograms(histPos: ArrayLike<number>, histNeg: ArrayLike<number>, points = 101): RocPoint[] {
  const B = histPos.length;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < B; i++) { pos += histPos[i]; neg += histNeg[i]; }
  if (pos === 0 || neg === 0) return [];
  // Rows at or above each edge k: suffix sums.
  const tpAbove = new Float64Array(B + 1);
  const fpAbove = new Float64Array(B + 1);
  for (let k = B - 1; k >= 0; k--) { tpAbove[k] = tpAbove[k + 1] + histPos[k]; fpAbove[k] = fpAbove[k + 1] + histNeg[k]; }
  const out: RocPoint[] = [];
  for (let p = points - 1; p >= 0; p--) {
    const k = Math.round((p * B) / (points - 1));
    out.push({ threshold: k / B, fpr: fpAbove[k] / neg, tpr: tpAbove[k] / pos });
  }
  return out;
}
