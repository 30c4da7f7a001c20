// The audit vector under DP: one customer's sensitivity checked by brute force, the summed noise
// std of four members' shares (fixed seed), the lenient decoding of a noisy sum and the charge.
import { describe, expect, it } from 'vitest';
import { BoxMullerNormals } from '../privacy/gaussian-noise.ts';
import { PrivacyLedger } from '../privacy/privacy-ledger.ts';
import { SeededRandom } from '../random/seeded-random.ts';
import { computeAudit } from './compute.ts';
import {
  auditCharge, auditNoiseFor, auditSensitivity, decodeNoisyAuditAggregates, dpHistogramGroups, dpMemberAuditVector, noisedAuditIndices, privatizeAuditVector,
} from './dp-release.ts';
import { buildAuditLayout, decodeAuditAggregates, memberAuditVector } from './layout.ts';
import { parseAuditPolicy } from './policy.ts';
import { auditSumLayout } from './work-order.ts';
import type { AuditPolicyInput, AuditRow } from './types.ts';

const seeded = (seed: number) => { const r = new SeededRandom(seed); return new BoxMullerNormals(() => r.nextUint32()); };

const input: AuditPolicyInput = {
  attributes: [{ name: 'gender', groups: ['F', 'M'] }, { name: 'age', kind: 'banded', bands: [30, 60] }],
  intersections: [['gender', 'age']],
  control: { column: 'plan', groups: ['a', 'b'] },
  thresholds: [0.3, 0.5, 0.7],
  histogramBins: 100,
  bootstrap: { resamples: 100, seed: 1 },
};

function randomRows(n: number, seed: number, missing = 0): AuditRow[] {
  const r = new SeededRandom(seed);
  return Array.from({ length: n }, () => ({
    score: r.next(),
    label: r.next() < 0.3 ? 1 : 0,
    values: {
      gender: r.next() < missing ? null : r.next() < 0.5 ? 'F' : 'M',
      age: r.next() < missing ? '' : String(18 + Math.floor(r.next() * 70)),
      plan: r.next() < 0.5 ? 'a' : 'b',
    },
  }));
}

describe('audit release under DP', () => {
  const policy = parseAuditPolicy(input);
  const layout = buildAuditLayout(policy);
  const groups = dpHistogramGroups(policy.histogramBins);

  it('Δ is √(groupings · (thresholds + 1)): brute force over adding each of many single rows to random tables', () => {
    const delta = auditSensitivity(layout);
    // 3 groupings, each also within the control: 6 groupings; 3 thresholds.
    expect(delta).toBeCloseTo(Math.sqrt(6 * 4), 12);
    const noised = noisedAuditIndices(layout, groups);
    let worst = 0;
    for (let table = 0; table < 5; table++) {
      const rows = randomRows(40, 100 + table, 0.1);
      const without = dpMemberAuditVector(rows, layout, groups);
      for (const extra of randomRows(200, 900 + table, 0.15)) {
        const withRow = dpMemberAuditVector([...rows, extra], layout, groups);
        const d2 = noised.reduce((a, i) => a + (withRow[i] - without[i]) ** 2, 0);
        worst = Math.max(worst, Math.sqrt(d2));
        // Outside the noised entries only member indicators move (and the parity stays "undefined").
        withRow.forEach((x, i) => { if (x !== without[i] && !noised.includes(i)) expect(i === 0 || layout.slots.some((cells) => cells.some((s) => s.members === i))).toBe(true); });
      }
    }
    expect(worst).toBeLessThanOrEqual(delta + 1e-12);
    // A row with every attribute present reaches the bound.
    expect(worst).toBeCloseTo(delta, 12);
  });

  it('drops the member parity: every member reports "undefined", whatever its rows', () => {
    const v = dpMemberAuditVector(randomRows(50, 7), layout, groups);
    const parity = v.slice(layout.parity.offset, layout.parity.offset + layout.parity.bins + 1);
    expect(parity.slice(0, -1).every((x) => x === 0)).toBe(true);
    expect(parity.at(-1)).toBe(1);
    // The exact vector has this member's AUC in a real bin.
    expect(memberAuditVector(randomRows(50, 7), layout)[layout.parity.offset + layout.parity.bins]).toBe(0);
  });

  it('four members\' shares sum to std σΔ on each noised count (fixed seed, within ±10 %)', () => {
    const noise = auditNoiseFor(policy, 2);
    const base = dpMemberAuditVector(randomRows(30, 3), layout, groups);
    const noised = noisedAuditIndices(layout, groups);
    const isNoised = new Set(noised);
    const normals = seeded(42);
    const totals: number[] = [];
    for (let round = 0; round < 60; round++) {
      const sum = new Array<number>(layout.length).fill(0);
      for (let m = 0; m < 4; m++) privatizeAuditVector(base, layout, noise, { invited: 4, normals }).forEach((x, i) => { sum[i] += x - base[i]; });
      for (const i of noised) totals.push(sum[i]);
      // Entries without noise are left as they were.
      expect(sum.every((x, i) => isNoised.has(i) || x === 0)).toBe(true);
    }
    const mean = totals.reduce((a, b) => a + b, 0) / totals.length;
    const std = Math.sqrt(totals.reduce((a, b) => a + (b - mean) ** 2, 0) / (totals.length - 1));
    const expected = 2 * noise.sensitivity;
    expect(totals.length).toBeGreaterThan(10_000);
    expect(Math.abs(std / expected - 1)).toBeLessThan(0.1);
    // Shares sized for 6 members would sum to √(4/6) of it: outside the tolerance, so the test tells them apart.
    expect(Math.abs(std / (expected * Math.sqrt(4 / 6)) - 1)).toBeGreaterThan(0.1);
    expect(Math.abs(mean)).toBeLessThan(0.1 * expected);
  });

  it('decodes a noisy sum: counts read as at least 0, n from the histograms, the parity withheld; metrics follow from it', () => {
    const noise = auditNoiseFor(policy, 1);
    const members = [randomRows(300, 11), randomRows(300, 12), randomRows(300, 13)];
    const sum = new Array<number>(layout.length).fill(0);
    const normals = seeded(5);
    for (const rows of members) {
      privatizeAuditVector(dpMemberAuditVector(rows, layout, groups), layout, noise, { invited: 3, normals }).forEach((x, i) => { sum[i] += x; });
    }
    // A packed sum is within the layout (the headroom covers the noise).
    expect(auditSumLayout({ kind: 'audit', policy, policyHash: 'x', maxRows: 1000, noise }, 3).segments[0]).toMatchObject({ maxAbs: 1000 + noise.headroom });
    expect(() => decodeAuditAggregates(sum, layout)).toThrow();
    const decoded = decodeNoisyAuditAggregates(sum, layout, noise);
    expect(decoded.members).toBe(3);
    expect(decoded.parity.withheld).toBe(true);
    for (const g of decoded.groupings) {
      for (const c of g.cells) {
        expect(c.n).toBe(c.histNeg!.reduce((a, b) => a + b, 0) + c.histPos!.reduce((a, b) => a + b, 0));
        for (const cc of c.confusion!) expect(Math.min(cc.tp, cc.fp, cc.tn, cc.fn)).toBeGreaterThanOrEqual(0);
      }
    }
    const exact = decodeAuditAggregates(members.reduce((acc, rows) => { memberAuditVector(rows, layout).forEach((x, i) => { acc[i] += x; }); return acc; }, new Array<number>(layout.length).fill(0)), layout);
    const cell = (a: typeof exact) => a.groupings[0].cells[0];
    // σΔ ≈ 4.9 per count: the noisy total of a 450-row cell stays near the exact one.
    expect(Math.abs(cell(decoded).n! - cell(exact).n!)).toBeLessThan(60);
    const result = computeAudit(decoded, policy);
    expect(result.members).toBe(3);
    expect(JSON.stringify(computeAudit(decoded, policy))).toBe(JSON.stringify(result));
  });

  it('charges one Gaussian at rate 1, less noise when members dropped', () => {
    const [full] = auditCharge(4, 7, 5, 5, 2);
    expect(full).toEqual({ round: 7, modelVersion: 2, kind: 'audit', unit: 'customer', samplingRate: 1, noiseMultiplier: 4, steps: 1 });
    expect(auditCharge(4, 7, 4, 5)[0].noiseMultiplier).toBeCloseTo(4 * Math.sqrt(4 / 5), 12);
    const ledger = new PrivacyLedger({ epsilon: 10, delta: 1e-5 });
    const eps = ledger.epsilonAfter([full]);
    expect(eps).toBeGreaterThan(0.9);
    expect(eps).toBeLessThan(1.1);
  });

  it('merges histograms into the largest divisor of the bins up to 20', () => {
    expect(dpHistogramGroups(1000)).toBe(20);
    expect(dpHistogramGroups(150)).toBe(15);
    expect(dpHistogramGroups(101)).toBe(1);
  });
});
