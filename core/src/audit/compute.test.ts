// Audit aggregation and verdict rules: suppression, inconclusive small groups, pass/fail, dropout, segmentation, mitigation.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { computeAudit } from './compute.ts';
import { buildAuditLayout, decodeAuditAggregates, memberAuditVector, missingAuditColumns, releaseAggregates } from './layout.ts';
import { buildReweighingLayout, decodeGroupLabelCounts, groupLabelCounts, groupThresholds, memberGroupLabelVector, reweighingWeights, rowWeight } from './mitigation.ts';
import { parseAuditPolicy } from './policy.ts';
import type { AuditLayout, AuditPolicyInput, AuditRow } from './types.ts';

/** Rows of one group: `n` rows, a share `selected` scored 0.9 (else 0.1), every second row positive. */
function groupRows(group: string, n: number, selected: number, offset = 0): AuditRow[] {
  return Array.from({ length: n }, (_, i) => ({
    score: ((i + offset) % 100) < selected * 100 ? 0.9 : 0.1,
    label: (i + offset) % 2,
    values: { g: group },
  }));
}

function summed(members: AuditRow[][], layout: AuditLayout): number[] {
  const sum = new Array<number>(layout.length).fill(0);
  for (const rows of members) memberAuditVector(rows, layout).forEach((x, i) => { sum[i] += x; });
  return sum;
}

const input: AuditPolicyInput = {
  attributes: [{ name: 'g', groups: ['A', 'B', 'C'], reference: 'A' }],
  checks: ['selectionRate'],
  bootstrap: { resamples: 100, seed: 3 },
  histogramBins: 100,
};

function audit(members: AuditRow[][], extra: Partial<AuditPolicyInput> = {}) {
  const policy = parseAuditPolicy({ ...input, ...extra });
  const layout = buildAuditLayout(policy);
  const aggregates = decodeAuditAggregates(summed(members, layout), layout);
  return { policy, layout, aggregates, result: computeAudit(aggregates, policy) };
}

const check = (r: ReturnType<typeof audit>['result'], group: string) => r.checks.find((c) => c.group === group)!;

describe('verdicts', () => {
  it('pass when large groups are shown inside the band, fail when shown outside, inconclusive when small', () => {
    const members = Array.from({ length: 5 }, (_, m) => [
      ...groupRows('A', 4000, 0.3, m),
      ...groupRows('B', 4000, 0.3, m + 1),
      ...groupRows('C', 4000, 0.1, m),
    ]);
    const { result } = audit(members);
    expect(check(result, 'B').verdict).toBe('pass');
    expect(check(result, 'C').verdict).toBe('fail');
    expect(result.verdict).toBe('fail');

    // The same rates on 3 rows per member: 15 rows per group, not suppressed but far too few to show anything.
    // B: 15 rows, 5 selected (1/3 against A's 0.3); C: 15 rows, 3 selected (0.2).
    const few = (g: string, selected: number[]): AuditRow[] => Array.from({ length: 3 }, (_, i) => ({ score: selected.includes(i) ? 0.9 : 0.1, label: i % 2, values: { g } }));
    const small = Array.from({ length: 5 }, (_, m) => [...groupRows('A', 4000, 0.3, m), ...few('B', m < 5 ? [m % 3] : []), ...few('C', m < 3 ? [0] : [])]);
    const s = audit(small).result;
    expect(s.groupings[0].groups.find((x) => x.label === 'B')!.suppressed).toBeNull();
    expect(check(s, 'B').verdict).toBe('inconclusive');
    expect(check(s, 'C').verdict).not.toBe('pass');
  });

  it('an empty group is never "pass"', () => {
    const members = Array.from({ length: 5 }, (_, m) => [...groupRows('A', 1000, 0.3, m), ...groupRows('B', 1000, 0.3, m)]);
    const { result } = audit(members);
    const c = check(result, 'C');
    expect(c.verdict).toBe('inconclusive');
    expect(result.groupings[0].groups.find((x) => x.label === 'C')!.n).toBe(0);
    expect(result.verdict).toBe('inconclusive');
  });

  it('Holm adjustment makes a borderline check inconclusive among many', () => {
    const attrs = ['A', ...Array.from({ length: 12 }, (_, i) => `G${i}`)];
    const members = Array.from({ length: 5 }, (_, m) => attrs.flatMap((g) => groupRows(g, 1000, g === 'A' ? 0.3 : 0.3, m)));
    const one = audit(members, { attributes: [{ name: 'g', groups: ['A', 'G0'], reference: 'A' }] }).result;
    const many = audit(members, { attributes: [{ name: 'g', groups: attrs, reference: 'A' }] }).result;
    // Raw p-values are the same for G0 in both; the adjusted one grows with the number of checks.
    expect(check(many, 'G0').pPass!).toBeGreaterThan(check(one, 'G0').pPass!);
  });

  it('a check decided on its own but not after Holm says so, with both p-values, instead of "overlaps the band edge"', () => {
    const attrs = ['A', 'X', ...Array.from({ length: 12 }, (_, i) => `G${i}`)];
    const members = Array.from({ length: 5 }, (_, m) => attrs.flatMap((g) => groupRows(g, 1000, g === 'X' ? 0.4 : 0.3, m)));
    const one = audit(members, { attributes: [{ name: 'g', groups: ['A', 'X'], reference: 'A' }] }).result;
    const many = audit(members, { attributes: [{ name: 'g', groups: attrs, reference: 'A' }] }).result;
    expect(check(one, 'X').verdict).toBe('fail');
    const x = check(many, 'X');
    expect(x.verdict).toBe('inconclusive');
    expect(x.interval![0]).toBeGreaterThan(1.25); // the shown interval is clear of the band
    expect(x.reason).not.toContain('overlaps the band edge');
    expect(x.reason).toMatch(/outside the band at 95 % on its own \(p = [0-9.e-]+\), but not after the Holm adjustment over 13 checks \(adjusted p = [0-9.e-]+\)/);
    expect(x.reason).toContain(`adjusted p = ${x.pFail!.toPrecision(2)}`);
  });
});

describe('differential privacy noise', () => {
  it('a check whose counts are below 3 noise stds is inconclusive, whatever the sampling test says', () => {
    // A at 0.3, B far outside the band at 0.6: a clear fail without noise.
    const members = Array.from({ length: 5 }, (_, m) => [...groupRows('A', 400, 0.3, m), ...groupRows('B', 400, 0.6, m)]);
    const { policy, aggregates, result } = audit(members, { attributes: [{ name: 'g', groups: ['A', 'B'], reference: 'A' }] });
    expect(check(result, 'B').verdict).toBe('fail');
    const least = Math.min(...aggregates.groupings[0].cells.flatMap((c) => { const k = c.confusion![0]; return [k.tp, k.fp, k.tn, k.fn, c.n!]; }));
    expect(least).toBeGreaterThan(100);
    // Just above the least count ÷ 3: still decided; just below: inconclusive, naming the rule.
    expect(check(computeAudit(aggregates, policy, least / 3 - 0.01), 'B').verdict).toBe('fail');
    const noisy = check(computeAudit(aggregates, policy, least / 3 + 0.01), 'B');
    expect(noisy.verdict).toBe('inconclusive');
    expect(noisy.reason).toContain('below 3 × the differential-privacy noise std per count');
    expect(noisy.pFail).toBeNull();
  });
});

describe('suppression', () => {
  it('withholds cells below minCellCount and below minMembers, and metrics are the same from the released form', () => {
    const members = Array.from({ length: 5 }, (_, m) => [
      ...groupRows('A', 200, 0.3, m),
      ...(m === 0 ? groupRows('B', 300, 0.3) : []), // B at one member only
      ...groupRows('C', 1, 0.3, m), // 5 rows of C in all
    ]);
    const { policy, aggregates, result } = audit(members);
    const [A, B, C] = result.groupings[0].groups;
    expect(A.suppressed).toBeNull();
    expect(B).toMatchObject({ suppressed: 'below-min-members', members: 1, n: null, atThreshold: [] });
    expect(C).toMatchObject({ suppressed: 'below-min-cell-count', members: 5, n: null });
    const released = releaseAggregates(aggregates, policy);
    expect(released.groupings[0].cells[2]).toMatchObject({ histPos: null, histNeg: null, confusion: null, n: null });
    expect(JSON.stringify(computeAudit(released, policy))).toBe(JSON.stringify(result));
    expect(JSON.stringify(releaseAggregates(released, policy))).toBe(JSON.stringify(released));
  });

  it('a member dropping out leaves a smaller, still consistent sum; its cells may fall below minMembers', () => {
    const members = Array.from({ length: 5 }, (_, m) => groupRows('A', 100, 0.3, m));
    const policy = parseAuditPolicy(input);
    const layout = buildAuditLayout(policy);
    const four = decodeAuditAggregates(summed(members.slice(0, 4), layout), layout);
    expect(four.members).toBe(4);
    expect(computeAudit(four, policy).groupings[0].groups[0].suppressed).toBe('below-min-members');
    expect(computeAudit(four, { ...policy, minMembers: 4 }).groupings[0].groups[0].n).toBe(400);
    expect(computeAudit(four, policy).parity).toMatchObject({ withheld: true, undefined: 0 });
    expect(computeAudit(four, { ...policy, minMembers: 4 }).parity.withheld).toBeUndefined();
  });
});

describe('decoding the sum', () => {
  const policy = parseAuditPolicy(input);
  const layout = buildAuditLayout(policy);
  const good = summed([groupRows('A', 50, 0.3)], layout);
  const rejected = (sum: number[]) => {
    try { decodeAuditAggregates(sum, layout); } catch (err) { return isConsortError(err, 'AGGREGATE_REJECTED'); }
    return false;
  };
  it('refuses a sum of the wrong length, a negative element, or confusion counts not matching the histogram', () => {
    expect(rejected(good.slice(1))).toBe(true);
    expect(rejected(good.map((x, i) => (i === 5 ? -1 : x)))).toBe(true);
    const s = layout.slots[0][0];
    expect(rejected(good.map((x, i) => (i === s.confusion ? x + 1 : x)))).toBe(true);
    expect(rejected(good.map((x, i) => (i === s.members ? 2 : x)))).toBe(true);
    expect(decodeAuditAggregates(good, layout).groupings[0].cells[0].n).toBe(50);
  });

  it('refuses aggregates made under another policy, and names columns a member lacks', () => {
    const agg = decodeAuditAggregates(good, layout);
    const other = parseAuditPolicy({ ...input, thresholds: [0.4] });
    expect(() => computeAudit(agg, other)).toThrow(/not made under this policy/);
    expect(() => computeAudit(agg, parseAuditPolicy({ ...input, attributes: [{ name: 'g', groups: ['A', 'B'] }] }))).toThrow(/not made under this policy/);
    expect(missingAuditColumns(layout, ['x', 'y'])).toEqual(['g']);
    expect(missingAuditColumns(layout, ['g'])).toEqual([]);
  });

  it('records the member-parity distribution anonymously: counts per bin, no member names', () => {
    const members = [groupRows('A', 100, 0.3), groupRows('A', 100, 0.5), groupRows('A', 10, 0)];
    const agg = decodeAuditAggregates(summed(members, layout), layout);
    expect(agg.parity.bins.reduce((a, b) => a + b, 0) + agg.parity.undefined).toBe(3);
    expect(agg.parity.bins).toHaveLength(20);
  });
});

describe('segmentation models', () => {
  it('counts group × segment and gives representation ratios against the overall share', () => {
    const policy = parseAuditPolicy({ ...input, minMembers: 1, minCellCount: 1 });
    const layout = buildAuditLayout(policy, { kind: 'segmentation', segments: 2 });
    const rows: AuditRow[] = [
      ...Array.from({ length: 300 }, () => ({ segment: 0, values: { g: 'A' } })),
      ...Array.from({ length: 100 }, () => ({ segment: 1, values: { g: 'A' } })),
      ...Array.from({ length: 200 }, () => ({ segment: 1, values: { g: 'B' } })),
    ];
    const result = computeAudit(decodeAuditAggregates(memberAuditVector(rows, layout), layout), policy);
    const [A, B] = result.groupings[0].groups;
    // A: 400 of 600 rows overall (2/3); 300 of 300 in segment 0 → 1.5; 100 of 300 in segment 1 → 0.5.
    expect(A.segments!.map((s) => s.representationRatio.value)).toEqual([1.5, 0.5]);
    // B: 200 of 600 overall (1/3); 0 of 300 in segment 0; 200 of 300 in segment 1 → 2.
    expect(B.segments!.map((s) => s.representationRatio.value)).toEqual([0, 2]);
    // One representation check per group × segment; C has no rows, so its checks are inconclusive.
    expect(result.checks.map((c) => [c.group, c.segment, c.verdict])).toEqual([
      ['A', 0, 'fail'], ['A', 1, 'fail'], ['B', 0, 'fail'], ['B', 1, 'fail'], ['C', 0, 'inconclusive'], ['C', 1, 'inconclusive'],
    ]);
    expect(result.checks.every((c) => c.metric === 'representation' && c.threshold === null)).toBe(true);
    expect(result.verdict).toBe('fail');
  });
});

describe('mitigation', () => {
  const members = Array.from({ length: 5 }, (_, m) => [
    ...groupRows('A', 600, 0.4, m).map((r, i) => ({ ...r, label: i % 3 === 0 ? 1 : 0 })),
    ...groupRows('B', 300, 0.2, m).map((r, i) => ({ ...r, label: i % 5 === 0 ? 1 : 0, score: (i % 50) / 50 })),
  ]);
  const { aggregates } = audit(members);

  it('reweighing makes every group\'s weighted base rate the overall base rate', () => {
    const counts = groupLabelCounts(aggregates, 'g');
    const plan = reweighingWeights(counts);
    for (const [i, c] of counts.entries()) {
      if (c.positives + c.negatives === 0) continue;
      const w = plan.weights[i];
      const weightedPos = w.positive * c.positives;
      const weightedAll = weightedPos + w.negative * c.negatives;
      expect(weightedPos / weightedAll).toBeCloseTo(plan.weightedBaseRate, 12);
    }
    expect(plan.effectiveRows).toBeLessThanOrEqual(plan.rows);
    expect(plan.maxWeight).toBeGreaterThan(1);
  });

  it('the reweighing round gives the same counts as the audit aggregates, and weights per row', () => {
    const policy = parseAuditPolicy(input);
    const layout = buildReweighingLayout(policy, ['g']);
    const sum = new Array<number>(layout.length).fill(0);
    for (const rows of members) memberGroupLabelVector(rows, layout).forEach((x, i) => { sum[i] += x; });
    const counts = decodeGroupLabelCounts(sum, layout);
    expect(counts.map(({ key, negatives, positives }) => ({ key, negatives, positives }))).toEqual(groupLabelCounts(aggregates, 'g'));
    expect(counts.map((c) => c.members)).toEqual([5, 5, 0]);
    const plan = reweighingWeights(counts);
    expect(rowWeight(plan, layout, { values: { g: 'B' }, label: 1 })).toBe(plan.weights[1].positive);
    expect(rowWeight(plan, layout, { values: { g: 'Z' }, label: 1 })).toBe(1);
  });

  it('per-group thresholds narrow the selection-rate spread and report the accuracy trade-off', () => {
    const plan = groupThresholds(aggregates, 'g', { metric: 'selectionRate' });
    expect(plan.overall.spreadAfter).toBeLessThan(plan.overall.spreadBefore);
    expect(plan.groups).toHaveLength(2);
    expect(plan.caveat).toMatch(/protected attribute at decision time/);
    expect(Number.isFinite(plan.overall.accuracyAfter)).toBe(true);
  });
});

describe('the worked example of docs/audits.md', () => {
  function example(scale: number) {
    const policy = parseAuditPolicy({ attributes: [{ name: 'group', groups: ['A', 'B'], reference: 'A' }], minMembers: 1, histogramBins: 100, bootstrap: { resamples: 200, seed: 1 } });
    const layout = buildAuditLayout(policy);
    const sum = new Array<number>(layout.length).fill(0);
    sum[0] = 1;
    sum[layout.parity.offset + 15] = 1;
    const fill = (cell: number, tp: number, fp: number, tn: number, fn: number) => {
      const s = layout.slots[0][cell];
      [tp, fp, tn, fn].forEach((x, i) => { sum[s.confusion + i] = x * scale; });
      sum[s.histogram + 100 + 80] = tp * scale;
      sum[s.histogram + 100 + 30] = fn * scale;
      sum[s.histogram + 60] = fp * scale;
      sum[s.histogram + 20] = tn * scale;
      sum[s.members] = 1;
    };
    fill(0, 30, 10, 50, 10);
    fill(1, 10, 5, 25, 10);
    return computeAudit(decodeAuditAggregates(sum, layout), policy);
  }
  const r4 = (x: number | null) => Math.round(x! * 1e4) / 1e4;

  it('gives the documented numbers', () => {
    const r = example(1);
    const [A, B] = r.groupings[0].groups;
    expect(A.baseRate.interval!.map(r4)).toEqual([0.3094, 0.498]);
    expect(B.atThreshold[0].selectionRate.interval!.map(r4)).toEqual([0.191, 0.4375]);
    const d = r.groupings[0].disparities[0];
    expect(r4(d.fairlearn.demographic_parity_difference.value)).toBe(0.1);
    expect(r4(d.fairlearn.equalized_odds_ratio.value)).toBe(0.6667);
    expect(d.aif360.B.statistical_parity_difference.interval!.map(r4)).toEqual([-0.2465, 0.0647]);
    expect(d.aif360.B.disparate_impact.interval!.map(r4)).toEqual([0.461, 1.2202]);
    expect(d.aif360.B.equal_opportunity_difference.interval!.map(r4)).toEqual([-0.478, 0.0017]);
    expect(r4(d.aif360.B.average_odds_difference.value)).toBe(-0.125);
    expect(d.aif360.B.average_odds_difference.interval!.map(r4)).toEqual([-0.2606, 0.031]);
    expect(r.checks.map((c) => c.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    // A: scores at bins 20 (50 negatives), 30 (10 positives), 60 (10 negatives), 80 (30 positives), 10 calibration rows:
    // |0 − 0.205|·50 + |1 − 0.305|·10 + |0 − 0.605|·10 + |1 − 0.805|·30 = 10.25 + 6.95 + 6.05 + 5.85 = 29.1 → 0.291.
    expect(A.ece).toBeCloseTo(0.291, 12);
  });

  it('with 100 times the rows: selection rate and TPR fail, FPR passes', () => {
    expect(example(100).checks.map((c) => [c.metric, c.verdict])).toEqual([['selectionRate', 'fail'], ['tpr', 'fail'], ['fpr', 'pass']]);
  });
});
