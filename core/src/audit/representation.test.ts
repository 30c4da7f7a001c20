// Segmentation audit: the federated representation ratios (sum of member vectors) equal a textbook
// computation over the pooled rows, and the verdicts follow the band.
import { describe, expect, it } from 'vitest';
import { computeAudit } from './compute.ts';
import { zFor } from './intervals.ts';
import { buildAuditLayout, decodeAuditAggregates, memberAuditVector } from './layout.ts';
import { parseAuditPolicy } from './policy.ts';
import type { AuditRow } from './types.ts';

/** A small deterministic generator (mulberry32) so the consortium is the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const K = 4;
const genders = ['f', 'm'];
const ages = [18, 30, 45, 70];

/** Member m's rows: segment depends on age (older customers lean to segment 3) and a little on gender. */
function memberRows(m: number, n: number): AuditRow[] {
  const r = rng(100 + m);
  return Array.from({ length: n }, () => {
    const gender = genders[r() < 0.45 ? 0 : 1];
    const age = ages[Math.floor(r() * ages.length)] + Math.floor(r() * 10);
    const old = age >= 65;
    const u = r();
    const segment = old ? (u < 0.6 ? 3 : Math.floor(r() * 3)) : (u < 0.1 ? 3 : (gender === 'f' && u < 0.4 ? 0 : Math.floor(r() * 3)));
    return { segment, values: { gender, age: r() < 0.02 ? '' : age } };
  });
}

const policyInput = {
  attributes: [
    { name: 'gender', groups: genders },
    { name: 'age', kind: 'banded', bands: [35, 65] },
  ],
  intersections: [['gender', 'age']],
  minCellCount: 5,
  minMembers: 3,
};
const policy = parseAuditPolicy(policyInput);

describe('segmentation audit: representation ratios', () => {
  const members = [memberRows(0, 400), memberRows(1, 250), memberRows(2, 600), memberRows(3, 150)];
  const layout = buildAuditLayout(policy, { kind: 'segmentation', segments: K });
  const sum = new Array<number>(layout.length).fill(0);
  for (const rows of members) memberAuditVector(rows, layout).forEach((x, i) => { sum[i] += x; });
  const result = computeAudit(decodeAuditAggregates(sum, layout), policy);
  const pooled = members.flat();

  /** The group label of a pooled row under a grouping, or null when a value is missing (textbook: such rows are left out). */
  const bandOf = (age: unknown) => (age === '' ? null : (age as number) < 35 ? '<35' : (age as number) < 65 ? '35–<65' : '≥65');
  const labelOf = (row: AuditRow, attrs: string[]): string | null => {
    const parts = attrs.map((a) => (a === 'gender' ? String(row.values.gender) : bandOf(row.values.age)));
    return parts.includes(null) ? null : parts.join(' × ');
  };

  it('equals the pooled rows\' group × segment counts and ratios to 1e-12, with Katz-log intervals', () => {
    const z = zFor(policy.confidenceLevel);
    let compared = 0;
    for (const g of result.groupings) {
      const rows = pooled.filter((r) => labelOf(r, g.attributes) !== null);
      const N = rows.length;
      const S = Array.from({ length: K }, (_, s) => rows.filter((r) => r.segment === s).length);
      for (const grp of g.groups) {
        const mine = rows.filter((r) => labelOf(r, g.attributes) === grp.label);
        expect(grp.n).toBe(mine.length);
        expect(grp.suppressed).toBeNull();
        for (let s = 0; s < K; s++) {
          const x = mine.filter((r) => r.segment === s).length;
          const expected = (x / S[s]) / (mine.length / N);
          const got = grp.segments![s];
          expect(got.count).toBe(x);
          expect(Math.abs(got.representationRatio.value! - expected)).toBeLessThan(1e-12);
          const se = Math.sqrt(1 / x - 1 / S[s] + 1 / mine.length - 1 / N);
          const [lo, hi] = got.representationRatio.interval!;
          expect(Math.abs(lo - expected * Math.exp(-z * se))).toBeLessThan(1e-12);
          expect(Math.abs(hi - expected * Math.exp(z * se))).toBeLessThan(1e-12);
          compared++;
        }
      }
    }
    // 2 genders + 3 age bands + 6 intersections, 4 segments each.
    expect(compared).toBe((2 + 3 + 6) * K);
  });

  it('fails the over-represented group, passes a group inside the band, and has a check per group × segment', () => {
    expect(result.checks).toHaveLength((2 + 3 + 6) * K);
    const check = (grouping: string, group: string, segment: number) => result.checks.find((c) => c.grouping === grouping && c.group === group && c.segment === segment)!;
    // Customers aged 65+ are about 60 % of segment 3 but a quarter of all: far outside the band.
    const old = check('age', '≥65', 3);
    expect(old.ratio!).toBeGreaterThan(2);
    expect(old.verdict).toBe('fail');
    // Men in segment 3 are about as frequent as overall.
    const men = check('gender', 'm', 3);
    expect(men.ratio!).toBeGreaterThan(0.8);
    expect(men.ratio!).toBeLessThan(1.25);
    expect(men.verdict).toBe('pass');
    for (const c of result.checks) {
      if (c.verdict === 'pass') expect(c.interval![0] >= policy.band.lo && c.interval![1] <= policy.band.hi).toBe(true);
    }
    expect(result.verdict).toBe('fail');
  });

  it('makes a withheld cell\'s representation checks inconclusive', () => {
    const strict = parseAuditPolicy({ ...policyInput, minMembers: 5 });
    const r = computeAudit(decodeAuditAggregates(sum, buildAuditLayout(strict, { kind: 'segmentation', segments: K })), strict);
    // Only 4 members: every cell is below minMembers and withheld.
    expect(r.checks.every((c) => c.verdict === 'inconclusive' && /suppressed/.test(c.reason))).toBe(true);
  });
});

describe('segmentation audit: the worked example of docs/audits.md', () => {
  it('gives the documented numbers and verdicts', () => {
    const p = parseAuditPolicy({ attributes: [{ name: 'age', kind: 'banded', bands: [65], bandLabels: ['<65', '65+'] }], minCellCount: 10, minMembers: 1 });
    const layout = buildAuditLayout(p, { kind: 'segmentation', segments: 2 });
    const rows = (n: number, segment: number, age: number): AuditRow[] => Array.from({ length: n }, () => ({ segment, values: { age } }));
    // 1000 customers; segment 0 ("lapsed big spenders") 200 of them, 60 aged 65+; 120 aged 65+ in all.
    const all = [...rows(60, 0, 70), ...rows(140, 0, 40), ...rows(60, 1, 70), ...rows(740, 1, 40)];
    const r = computeAudit(decodeAuditAggregates(memberAuditVector(all, layout), layout), p);
    const rounded = r.checks.map((c) => [c.group, c.segment, c.ratio!.toFixed(4), c.interval!.map((x) => x.toFixed(4)).join('–'), c.verdict]);
    expect(rounded).toEqual([
      ['<65', 0, '0.7955', '0.7244–0.8735', 'inconclusive'],
      ['<65', 1, '1.0511', '1.0198–1.0834', 'pass'],
      ['65+', 0, '2.5000', '1.9081–3.2754', 'fail'],
      ['65+', 1, '0.6250', '0.4650–0.8400', 'inconclusive'],
    ]);
  });
});
