// Member-level DP-FedAvg noise split across members before masking (McMahan et al., ICLR 2018;
// distributed form as in Kairouz, Liu & Steinke, ICML 2021): each of n invited members adds
// N(0, (σS)²/n) so that the masked sum of n carries N(0, (σS)²) and no single party adds or sees it all.

/** Noise std one member adds so that `invited` members' sum carries std σ·S. */
export function memberNoiseStd(noiseMultiplier: number, clipNorm: number, invited: number): number {
  if (!(noiseMultiplier >= 0) || !(clipNorm > 0) || !(Number.isInteger(invited) && invited >= 1)) {
    throw new RangeError(`memberNoiseStd needs σ ≥ 0, S > 0 and an integer count ≥ 1 (got ${noiseMultiplier}, ${clipNorm}, ${invited})`);
  }
  return (noiseMultiplier * clipNorm) / Math.sqrt(invited);
}

/**
 * The noise multiplier the released sum really carries when only `survivors` of the `invited`
 * members' noisy updates are in it: variances add, so σ·√(survivors/invited). Dropped members'
 * noise is missing from the sum, and the accountant must charge this smaller value, not σ.
 */
export function effectiveNoiseMultiplier(noiseMultiplier: number, survivors: number, invited: number): number {
  if (!(survivors >= 0 && survivors <= invited)) throw new RangeError(`survivors must be in [0, ${invited}] (got ${survivors})`);
  return noiseMultiplier * Math.sqrt(survivors / invited);
}

/**
 * Noise multiplier of two Gaussian releases of the same sample charged as one: RDP adds as
 * α/2·(1/z1² + 1/z2²), the RDP of one Gaussian with z = (z1⁻² + z2⁻²)^(−1/2).
 */
export function combinedNoiseMultiplier(z1: number, z2: number): number {
  if (!(z1 > 0 && z2 > 0)) throw new RangeError('noise multipliers must be > 0');
  return 1 / Math.sqrt(1 / (z1 * z1) + 1 / (z2 * z2));
}
