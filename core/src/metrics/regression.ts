// Federated regression metrics (RMSE, MAE, R²) in the target's units, from held-out sums in its standardized units.

/** Held-out sums of a regression round, in standardized target units (y' = (y − mean) / std). */
export interface RegressionSums {
  /** Σ (ŷ' − y')². */
  squaredErrorSum: number;
  /** Σ |ŷ' − y'|. */
  absErrorSum: number;
  /** Σ y' and Σ y'² (for the total sum of squares behind R²). */
  labelSum: number;
  labelSquareSum: number;
  count: number;
}

/** Held-out quality of a regression model in the target's own units. */
export interface RegressionEvaluation {
  /** Mean squared error, in squared target units. */
  mse: number;
  rmse: number;
  mae: number;
  /** 1 − SSE/SST on the held-out rows; null when their labels have no spread. */
  r2: number | null;
}

/**
 * Converts standardized sums back to the target's units: errors scale by std (squared errors by
 * std²); R² is scale-free, so it comes straight from the standardized sums. Null when count is 0.
 */
export function regressionEvaluation(s: RegressionSums, target: { mean: number; std: number } = { mean: 0, std: 1 }): RegressionEvaluation | null {
  if (!(s.count > 0)) return null;
  const mseStd = s.squaredErrorSum / s.count;
  const sst = s.labelSquareSum - (s.labelSum * s.labelSum) / s.count;
  // Fixed-point rounding can leave a tiny positive SST for constant labels: treat ≤ 1e-9·n as none.
  const r2 = sst > 1e-9 * s.count ? 1 - s.squaredErrorSum / sst : null;
  return { mse: mseStd * target.std ** 2, rmse: Math.sqrt(mseStd) * target.std, mae: (s.absErrorSum / s.count) * target.std, r2 };
}
