// Rényi-DP accountant of the (Poisson-)subsampled Gaussian mechanism and its conversion to (ε, δ).
//
// RDP of the sampled Gaussian mechanism: Mironov, Talwar & Zhang, "Rényi Differential Privacy of
// the Sampled Gaussian Mechanism" (2019), Section 3.3: a finite binomial sum for integer orders
// and two convergent series for fractional orders. Composition adds RDP order by order
// (Mironov 2017, Prop. 1). Conversion to (ε, δ): Balle, Barthe, Gaboardi, Hsu & Sato,
// "Hypothesis Testing Interpretations and Rényi Differential Privacy" (AISTATS 2020), Thm. 21
// (also Canonne, Kamath & Steinke 2020, Prop. 12), tighter than Mironov 2017, Prop. 3.

/** Orders tracked by default: dense at small α (where small ε lives), sparse up to 512. */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20,
  24, 28, 32, 40, 48, 56, 64, 80, 96, 128, 192, 256, 384, 512,
]);

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** log(a − b) for a ≥ b given as logs; −∞ when they are equal. */
function logSub(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (b > a) throw new RangeError('logSub: negative result');
  if (a === b) return -Infinity;
  return a + Math.log(-Math.expm1(b - a));
}

/**
 * log erfc(x), accurate to ~1e-7 relative on erfc for every x (no underflow for large x):
 * the Chebyshev-fitted form erfc(x) = t·exp(−x² + P(t)), t = 1/(1 + x/2), for x ≥ 0.
 */
export function logErfc(x: number): number {
  if (x < 0) return Math.log(2 - Math.exp(logErfc(-x)));
  const t = 1 / (1 + 0.5 * x);
  const p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + p;
}

/** log A_α for an integer α ≥ 2: the binomial expansion of E_{μ0}[(μ/μ0)^α] (MTZ 2019, §3.3). */
function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  let logBinom = 0; // log C(α, 0)
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logBinom += Math.log(alpha - k + 1) - Math.log(k);
    const term = logBinom + k * Math.log(q) + (alpha - k) * Math.log1p(-q) + (k * k - k) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA;
}

/**
 * log A_α for a fractional α > 1: the two series of MTZ 2019, §3.3, split at
 * z0 = σ² log(1/q − 1) + 1/2. Generalized binomial coefficients change sign once i > α, so
 * positive and negative terms are summed apart (in log space) and subtracted at the end.
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  let pos = -Infinity;
  let neg = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const s2 = Math.SQRT2 * sigma;
  let logAbsBinom = 0; // log |C(α, 0)|
  let sign = 1;
  for (let i = 0; ; i++) {
    if (i > 0) {
      const factor = (alpha - i + 1) / i;
      if (factor < 0) sign = -sign;
      logAbsBinom += Math.log(Math.abs(factor));
    }
    const j = alpha - i;
    const t1 = logAbsBinom + i * logQ + j * log1mQ + (i * i - i) / (2 * sigma * sigma) + Math.log(0.5) + logErfc((i - z0) / s2);
    const t2 = logAbsBinom + j * logQ + i * log1mQ + (j * j - j) / (2 * sigma * sigma) + Math.log(0.5) + logErfc((z0 - j) / s2);
    if (sign > 0) pos = logAdd(pos, logAdd(t1, t2));
    else neg = logAdd(neg, logAdd(t1, t2));
    // Past α the terms shrink (only polynomially when q is large: the exponentials cancel);
    // A_α ≥ 1, so a term below e^-30 no longer moves the sum.
    if (i > alpha && Math.max(t1, t2) < -30) break;
    if (i > 10_000_000) throw new RangeError(`fractional RDP series did not converge (q=${q}, σ=${sigma}, α=${alpha})`);
  }
  return logSub(pos, neg);
}

/**
 * RDP ε(α) of ONE step of the Poisson-subsampled Gaussian mechanism with sampling rate `q`
 * and noise multiplier `sigma` (noise std ÷ L2 sensitivity), at order α > 1.
 */
export function rdpSubsampledGaussian(q: number, sigma: number, alpha: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate must be in [0, 1] (got ${q})`);
  if (!(sigma >= 0)) throw new RangeError(`noise multiplier must be ≥ 0 (got ${sigma})`);
  if (!(alpha > 1)) throw new RangeError(`Rényi order must be > 1 (got ${alpha})`);
  if (q === 0) return 0;
  if (sigma === 0 || alpha === Infinity) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma); // the plain Gaussian mechanism
  const logA = Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
  return logA / (alpha - 1);
}

/** RDP curve of `steps` compositions of the sampled Gaussian, one value per order. */
export function rdpCurve(q: number, sigma: number, steps: number, orders: readonly number[] = DEFAULT_ORDERS): number[] {
  if (!(steps >= 0)) throw new RangeError(`steps must be ≥ 0 (got ${steps})`);
  return orders.map((a) => (steps === 0 ? 0 : steps * rdpSubsampledGaussian(q, sigma, a)));
}

/** An (ε, δ) guarantee and the order that gave it. */
export interface EpsilonDelta {
  epsilon: number;
  delta: number;
  order: number;
}

function checkCurve(orders: readonly number[], rdp: readonly number[], delta: number): void {
  if (orders.length !== rdp.length || orders.length === 0) throw new RangeError('orders and RDP values must be non-empty and of equal length');
  if (!(delta > 0 && delta < 1)) throw new RangeError(`δ must be in (0, 1) (got ${delta})`);
}

/**
 * ε at δ by the improved conversion (Balle et al. 2020, Thm. 21):
 * ε = RDP(α) + log((α−1)/α) − (log δ + log α)/(α − 1), minimised over the tracked orders.
 */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): EpsilonDelta {
  checkCurve(orders, rdp, delta);
  let best: EpsilonDelta = { epsilon: Infinity, delta, order: orders[0] };
  orders.forEach((a, i) => {
    const eps = rdp[i] + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: Math.max(0, eps), delta, order: a };
  });
  return best;
}

/** ε at δ by the classic conversion ε = RDP(α) + log(1/δ)/(α − 1) (Mironov 2017, Prop. 3). */
export function epsilonFromRdpClassic(orders: readonly number[], rdp: readonly number[], delta: number): EpsilonDelta {
  checkCurve(orders, rdp, delta);
  let best: EpsilonDelta = { epsilon: Infinity, delta, order: orders[0] };
  orders.forEach((a, i) => {
    const eps = rdp[i] - Math.log(delta) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: eps, delta, order: a };
  });
  return best;
}

/**
 * Smallest noise multiplier whose `steps` compositions at rate `q` stay within (ε, δ):
 * bisection on σ (ε falls as σ grows). For planning; the ledger records what was really spent.
 */
export function noiseMultiplierFor(target: { epsilon: number; delta: number }, q: number, steps: number,
  orders: readonly number[] = DEFAULT_ORDERS): number {
  const eps = (s: number) => epsilonFromRdp(orders, rdpCurve(q, s, steps, orders), target.delta).epsilon;
  let lo = 0.05;
  let hi = 1;
  while (eps(hi) > target.epsilon) {
    hi *= 2;
    if (hi > 1e6) throw new RangeError(`no noise multiplier reaches ε=${target.epsilon}`);
  }
  for (let i = 0; i < 60 && hi - lo > 1e-4 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (eps(mid) > target.epsilon) lo = mid; else hi = mid;
  }
  return hi;
}
