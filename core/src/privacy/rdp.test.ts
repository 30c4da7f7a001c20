// Accountant tests: published reference values, an independent numerical integration, and the (ε, δ) conversions.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ORDERS, epsilonFromRdp, epsilonFromRdpClassic, logErfc, noiseMultiplierFor, rdpCurve, rdpSubsampledGaussian,
} from './rdp.ts';

/**
 * A_α = E_{z~N(0,σ²)} [((1−q) + q·exp((2z−1)/(2σ²)))^α] by the trapezoid rule in log space on a
 * wide fine grid: written apart from the series in rdp.ts, sharing nothing with it.
 */
function rdpByIntegration(q: number, sigma: number, alpha: number): number {
  const lo = -40 * sigma;
  const hi = 40 * sigma + alpha + 10;
  const n = 400_000;
  const h = (hi - lo) / n;
  const logs: number[] = [];
  for (let i = 0; i <= n; i++) {
    const z = lo + i * h;
    const logDensity = -(z * z) / (2 * sigma * sigma) - Math.log(sigma * Math.sqrt(2 * Math.PI));
    const ratio = Math.log((1 - q) + q * Math.exp((2 * z - 1) / (2 * sigma * sigma)));
    logs.push(logDensity + alpha * ratio + Math.log(i === 0 || i === n ? h / 2 : h));
  }
  const m = logs.reduce((a, b) => Math.max(a, b), -Infinity);
  const logA = m + Math.log(logs.reduce((s, l) => s + Math.exp(l - m), 0));
  return logA / (alpha - 1);
}

describe('rdpSubsampledGaussian', () => {
  // Reference values from TensorFlow Privacy's rdp_accountant_test.py (test_compute_rdp_scalar,
  // test_compute_rdp_sequence), which implements Mironov, Talwar & Zhang 2019; checked there
  // against a multi-precision computation.
  it('matches TF Privacy: q=0.1, σ=2, 10 steps, α=5 → 0.07737', () => {
    expect(rdpCurve(0.1, 2, 10, [5])[0]).toBeCloseTo(0.07737, 5);
  });

  it('matches TF Privacy: q=0.01, σ=2.5, 50 steps at α = 1.5, 2.5, 5, 50, 100 (integer and fractional orders)', () => {
    const got = rdpCurve(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100]);
    const want = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307];
    got.forEach((g, i) => expect(Math.abs(g - want[i]) / want[i]).toBeLessThan(2e-3));
  });

  it('agrees with an independent numerical integration of the mixture divergence', () => {
    for (const [q, sigma, alpha] of [[0.01, 1.1, 8], [0.05, 0.8, 3.5], [0.2, 2, 2.25], [0.5, 1.5, 6.5], [0.004, 4, 20]] as const) {
      const series = rdpSubsampledGaussian(q, sigma, alpha);
      const integral = rdpByIntegration(q, sigma, alpha);
      expect(Math.abs(series - integral) / integral, `q=${q} σ=${sigma} α=${alpha}`).toBeLessThan(1e-4);
    }
  });

  it('is the plain Gaussian α/(2σ²) at q = 1, 0 at q = 0, and grows with q', () => {
    expect(rdpSubsampledGaussian(1, 2, 3)).toBeCloseTo(3 / 8, 12);
    expect(rdpSubsampledGaussian(0, 2, 3)).toBe(0);
    expect(rdpSubsampledGaussian(0.1, 1, 4)).toBeLessThan(rdpSubsampledGaussian(0.2, 1, 4));
  });

  it('refuses rates and orders outside their ranges', () => {
    expect(() => rdpSubsampledGaussian(1.5, 1, 2)).toThrow(RangeError);
    expect(() => rdpSubsampledGaussian(0.1, 1, 1)).toThrow(RangeError);
  });

  it('logErfc is accurate in the tail where erfc underflows', () => {
    expect(Math.exp(logErfc(1))).toBeCloseTo(0.157299207050285, 7);
    expect(Math.exp(logErfc(-1))).toBeCloseTo(1.842700792949715, 7);
    // erfc(30) ≈ 2.5646e-393: log erfc(x) ≈ −x² − log(x√π) − 1/(2x²).
    expect(logErfc(30)).toBeCloseTo(-900 - Math.log(30 * Math.sqrt(Math.PI)) - 1 / 1800, 5);
  });
});

describe('conversion to (ε, δ)', () => {
  // TF Privacy rdp_accountant_test.py, test_get_privacy_spent_check_target_delta: the Abadi et al.
  // 2016 setting (q = 0.01, σ = 4, 10,000 steps, δ = 1e-5) gives ε = 1.258575 at order 20 with the
  // classic conversion (Abadi et al. report ≈1.26 from the moments accountant).
  it('classic conversion reproduces Abadi et al. 2016 / TF Privacy ε = 1.258575', () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const { epsilon, order } = epsilonFromRdpClassic(orders, rdpCurve(0.01, 4, 10_000, orders), 1e-5);
    expect(epsilon).toBeCloseTo(1.258575, 4);
    expect(order).toBe(20);
  });

  // Same file, test_check_composition: two mechanisms composed, ε = 8.509656 at order 2.5.
  it('composition of two mechanisms reproduces TF Privacy ε = 8.509656', () => {
    const orders = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64, 256];
    const a = rdpCurve(1e-4, 0.4, 40_000, orders);
    const b = rdpCurve(0.1, 2, 100, orders);
    const { epsilon, order } = epsilonFromRdpClassic(orders, a.map((x, i) => x + b[i]), 1e-5);
    expect(epsilon).toBeCloseTo(8.509656, 3);
    expect(order).toBe(2.5);
  });

  it('the improved conversion is tighter than the classic one and still valid for the Gaussian mechanism', () => {
    const rdp = rdpCurve(0.01, 4, 10_000);
    expect(epsilonFromRdp(DEFAULT_ORDERS, rdp, 1e-5).epsilon).toBeLessThan(epsilonFromRdpClassic(DEFAULT_ORDERS, rdp, 1e-5).epsilon);
    // Exact privacy profile of the Gaussian mechanism (Balle & Wang, ICML 2018, Thm. 8):
    // δ(ε) = Φ(1/(2σ) − εσ) − e^ε Φ(−1/(2σ) − εσ). An RDP-derived ε must have δ(ε) ≤ the target δ.
    const phi = (x: number) => 0.5 * Math.exp(logErfc(-x / Math.SQRT2));
    for (const sigma of [0.8, 1, 2, 5]) {
      const delta = 1e-5;
      const { epsilon } = epsilonFromRdp(DEFAULT_ORDERS, rdpCurve(1, sigma, 1), delta);
      const exactDelta = phi(1 / (2 * sigma) - epsilon * sigma) - Math.exp(epsilon) * phi(-1 / (2 * sigma) - epsilon * sigma);
      expect(exactDelta).toBeLessThanOrEqual(delta);
      expect(exactDelta).toBeGreaterThan(delta / 100); // and not wildly loose
    }
  });

  it('noiseMultiplierFor inverts the accountant', () => {
    const sigma = noiseMultiplierFor({ epsilon: 2, delta: 1e-5 }, 0.01, 5_000);
    const eps = epsilonFromRdp(DEFAULT_ORDERS, rdpCurve(0.01, sigma, 5_000), 1e-5).epsilon;
    expect(eps).toBeLessThanOrEqual(2);
    expect(eps).toBeGreaterThan(1.99);
  });
});

describe('fractional orders at large sampling rates', () => {
  it('converge and agree with the integration where the series decays only polynomially', () => {
    const series = rdpSubsampledGaussian(0.5, 2, 1.25);
    expect(Math.abs(series - rdpByIntegration(0.5, 2, 1.25)) / series).toBeLessThan(1e-4);
  });
});
