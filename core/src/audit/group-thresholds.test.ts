// Per-group thresholds plans: a malformed plan is refused by its field, rows find their group's threshold, and the measured effect is exact on the histograms.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { measureThresholdPlan, parseThresholdPlan, thresholdDecision, thresholdEdge, thresholdLookup, type ThresholdPlanRecord } from './group-thresholds.ts';
import { parseAuditPolicy } from './policy.ts';
import type { AuditAggregates } from './types.ts';

const policy = parseAuditPolicy({
  attributes: [
    { name: 'gender', column: 'sex', groups: ['F', 'M', 'X'] },
    { name: 'age', column: 'age', kind: 'banded', bands: [35] },
  ],
  histogramBins: 100,
});

function record(over: Partial<ThresholdPlanRecord['plan']> = {}): ThresholdPlanRecord {
  return {
    kind: 'per-group-thresholds', fromModelVersionId: 'mv1', grouping: 'gender', attributes: [policy.attributes[0]],
    plan: {
      commonThreshold: 0.5, histogramBins: 100, target: { metric: 'tpr', value: 0.6 },
      groups: [
        { key: ['F'], threshold: 0.42, before: null!, after: null! },
        { key: ['M'], threshold: 0.55, before: null!, after: null! },
      ],
      overall: null!, caveat: 'c', ...over,
    },
    caveat: 'uses the protected attribute at decision time',
  };
}

function refusal(json: unknown): string {
  try {
    parseThresholdPlan(json, 'plan.json');
  } catch (err) {
    expect(isConsortError(err, 'INVALID_ARGUMENT')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('parseThresholdPlan', () => {
  it('accepts a plan as mitigate writes it', () => {
    const r = JSON.parse(JSON.stringify(record())) as unknown;
    expect(parseThresholdPlan(r, 'plan.json').attributes[0].column).toBe('sex');
  });

  it('refuses a malformed plan naming the field, and an old plan without attributes saying what to do', () => {
    const r = record();
    expect(refusal({ ...r, kind: 'reweighing' })).toMatch(/field "kind"/);
    expect(refusal({ ...r, fromModelVersionId: undefined })).toMatch(/field "fromModelVersionId"/);
    expect(refusal({ ...r, attributes: undefined })).toMatch(/field "attributes" is missing.*older consort-audit.*mitigate/);
    expect(refusal({ ...r, attributes: [{ ...r.attributes[0], column: 7 }] })).toMatch(/field "attributes\[0\]\.column"/);
    expect(refusal({ ...r, plan: { ...r.plan, histogramBins: undefined } })).toMatch(/field "plan\.histogramBins" is missing/);
    expect(refusal({ ...r, plan: { ...r.plan, commonThreshold: 0.5004 } })).toMatch(/field "plan\.commonThreshold" must be a bin edge/);
    expect(refusal({ ...r, plan: { ...r.plan, groups: [{ key: ['Q'], threshold: 0.5 }] } })).toMatch(/field "plan\.groups\[0\]\.key"/);
    expect(refusal({ ...r, plan: { ...r.plan, groups: [{ key: ['F'], threshold: 2 }] } })).toMatch(/field "plan\.groups\[0\]\.threshold"/);
  });
});

describe('thresholdLookup', () => {
  it('gives a row its group\'s threshold, else the common one with the reason', () => {
    const look = thresholdLookup(record());
    expect(look({ sex: 'F' })).toEqual({ edge: 42, threshold: 0.42, group: ['F'], miss: null });
    expect(look({ sex: ' M ' }).threshold).toBe(0.55);
    expect(look({ sex: '' })).toMatchObject({ threshold: 0.5, miss: 'missing' });
    expect(look({})).toMatchObject({ threshold: 0.5, miss: 'missing' });
    expect(look({ sex: 'unknown-value' })).toMatchObject({ threshold: 0.5, miss: 'unknown' });
    // X is an audited group but the plan has no threshold for it (withheld in the report).
    expect(look({ sex: 'X' })).toMatchObject({ threshold: 0.5, miss: 'suppressed', group: ['X'] });
  });

  it('places banded values with the audit\'s own bands', () => {
    const look = thresholdLookup({ ...record(), grouping: 'age', attributes: [policy.attributes[1]], plan: { ...record().plan, groups: [{ key: ['<35'], threshold: 0.3, before: null!, after: null! }] } });
    expect(look({ age: '34.9' }).threshold).toBe(0.3);
    expect(look({ age: '35' })).toMatchObject({ miss: 'suppressed', group: ['≥35'] });
    expect(look({ age: 'n/a' }).miss).toBe('unknown');
  });

  it('decides by the score\'s histogram bin, as the audit counted it', () => {
    expect(thresholdEdge(0.29, 100)).toBe(29);
    expect(thresholdEdge(0.295, 100)).toBe(-1);
    // 0.29 * 100 is 28.999999999999996 in floating point: the bin rule and the histogram agree on bin 28.
    expect(thresholdDecision(0.29, 29, 100)).toBe(0);
    expect(thresholdDecision(0.2900001, 29, 100)).toBe(1);
    expect(thresholdDecision(1, 100, 100)).toBe(0);
    expect(thresholdDecision(0, 0, 100)).toBe(1);
  });
});

describe('measureThresholdPlan', () => {
  const hist = (bins: Record<number, number>) => Array.from({ length: 100 }, (_, i) => bins[i] ?? 0);
  const cell = (key: string[], neg: Record<number, number>, pos: Record<number, number>) => {
    const histNeg = hist(neg);
    const histPos = hist(pos);
    const n = [...histNeg, ...histPos].reduce((a, b) => a + b, 0);
    return { key, members: 5, n, confusion: [], histNeg, histPos, segments: null, suppressed: null };
  };
  const aggregates = {
    members: 5, model: { kind: 'binary' }, thresholds: [0.5], histogramBins: 100,
    groupings: [{
      id: 'gender', attributes: ['gender'], controlled: false,
      cells: [
        cell(['F'], { 20: 30, 45: 10 }, { 44: 20, 70: 20 }),
        cell(['M'], { 20: 40, 60: 10 }, { 52: 10, 80: 30 }),
        { key: ['X'], members: 1, n: null, confusion: null, histNeg: null, histPos: null, segments: null, suppressed: 'below-min-members' },
      ],
    }],
    parity: { metric: 'auc', bins: [], undefined: 0 },
  } as unknown as AuditAggregates;

  it('counts each group at the common and at its own threshold, exactly', () => {
    const m = measureThresholdPlan(aggregates, record());
    expect(m.unavailable).toBeNull();
    const [f, male, x] = m.groups;
    // F at 0.5: TP 20 (bin 70) of 40 positives, FP 0; at 0.42: TP 40, FP 10 (bin 45).
    expect(f.before).toEqual({ threshold: 0.5, selectionRate: 20 / 80, tpr: 0.5, fpr: 0, accuracy: 60 / 80 });
    expect(f.after).toEqual({ threshold: 0.42, selectionRate: 50 / 80, tpr: 1, fpr: 10 / 40, accuracy: 70 / 80 });
    // M at 0.5: TP 40, FP 10; at 0.55: TP 30, FP 10.
    expect(male.before).toMatchObject({ tpr: 1, fpr: 0.2 });
    expect(male.after).toMatchObject({ threshold: 0.55, tpr: 0.75, fpr: 0.2 });
    expect(x).toMatchObject({ n: null, before: null, withheld: 'below-min-members', inPlan: false, threshold: 0.5 });
    expect(m.overall).toEqual({
      n: 170, accuracyBefore: (20 + 40 + 40 + 40) / 170, accuracyAfter: (40 + 30 + 30 + 40) / 170,
      selectionRateBefore: 70 / 170, selectionRateAfter: 90 / 170, spreadBefore: 0.5, spreadAfter: 0.25,
    });
  });

  it('says why when it cannot measure: another grouping, thresholds off this audit\'s bin edges', () => {
    expect(measureThresholdPlan(aggregates, { ...record(), grouping: 'age' }).unavailable).toMatch(/no grouping "age"/);
    expect(measureThresholdPlan({ ...aggregates, histogramBins: 10 }, record()).unavailable).toMatch(/not bin edges of this audit's 10/);
  });
});
