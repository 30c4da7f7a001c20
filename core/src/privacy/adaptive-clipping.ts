// Adaptive (quantile-based) clipping: Andrew, Thakkar, McMahan & Ramaswamy, "Differentially
// Private Learning with Adaptive Clipping" (NeurIPS 2021). Each member reports, inside the masked
// sum and with its share of Gaussian noise, whether its update fit under the current bound; the
// bound moves geometrically towards the target quantile of update norms.

/** Settings of adaptive clipping (task key privacy.adaptiveClipping). */
export interface AdaptiveClippingOptions {
  /** Fraction of updates that should fit under the bound (γ), e.g. 0.5. */
  targetQuantile: number;
  /** Geometric step η_C of the bound per round, e.g. 0.2. */
  learningRate: number;
  /** Noise multiplier of the count of unclipped updates (σ_b ÷ its sensitivity 1), e.g. members/20. */
  countNoiseMultiplier: number;
}

/** Member side: 1 when the update's norm fitted under the bound, else 0 (summed under masking). */
export function unclippedIndicator(norm: number, clipNorm: number): number {
  return norm <= clipNorm ? 1 : 0;
}

/**
 * Next bound from the noisy count of unclipped updates among `members`:
 * C ← C·exp(−η·(b̄ − γ)), b̄ = noisy count ÷ members, kept within [0, 1].
 */
export function nextClipNorm(clipNorm: number, noisyUnclippedCount: number, members: number, opts: AdaptiveClippingOptions): number {
  if (!(members >= 1)) throw new RangeError('members must be ≥ 1');
  const fraction = Math.min(1, Math.max(0, noisyUnclippedCount / members));
  return clipNorm * Math.exp(-opts.learningRate * (fraction - opts.targetQuantile));
}

/**
 * Noise multiplier left for the update itself so that update + count, charged together, cost
 * the configured `total` multiplier (Andrew et al. 2021, §3.1): z_Δ = (z⁻² − z_b⁻²)^(−1/2).
 */
export function updateNoiseMultiplier(total: number, countNoiseMultiplier: number): number {
  const rest = 1 / (total * total) - 1 / (countNoiseMultiplier * countNoiseMultiplier);
  if (!(rest > 0)) {
    throw new RangeError(`the count's noise multiplier (${countNoiseMultiplier}) must exceed the total (${total}): it would use up the whole budget`);
  }
  return 1 / Math.sqrt(rest);
}
