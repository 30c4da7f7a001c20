// Audit policy: defaults, field-named errors, hash stability and the example file.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { auditPolicyInputOf, parseAuditPolicy, parseAuditPolicyText, policyHash } from './policy.ts';

const minimal = { attributes: [{ name: 'gender', groups: ['F', 'M'] }] };

function errorField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isConsortError(err, 'INVALID_ARGUMENT')) return String(err.details.field);
    throw err;
  }
  return undefined;
}

describe('parseAuditPolicy', () => {
  it('reads YAML text and names a syntax error', () => {
    expect(parseAuditPolicyText('attributes:\n  - { name: gender, groups: [F, M] }\n').attributes[0].groups).toEqual(['F', 'M']);
    expect(errorField(() => parseAuditPolicyText('attributes: [\n'))).toBe('(file)');
  });

  it('resolves every default', () => {
    const p = parseAuditPolicy(minimal);
    expect(p.thresholds).toEqual([0.5]);
    expect(p.histogramBins).toBe(1000);
    expect(p.band).toEqual({ lo: 0.8, hi: 1.25 });
    expect(p.confidenceLevel).toBe(0.95);
    expect(p.minCellCount).toBe(10);
    expect(p.minMembers).toBe(5);
    expect(p.attributes[0]).toEqual({ name: 'gender', column: 'gender', kind: 'categorical', bands: [], groups: ['F', 'M'], reference: null });
    expect(p.control).toBeNull();
  });

  it('names band groups from the edges', () => {
    const p = parseAuditPolicy({ attributes: [{ name: 'age', kind: 'banded', bands: [25, 65] }] });
    expect(p.attributes[0].groups).toEqual(['<25', '25–<65', '≥65']);
  });

  it('names the offending field', () => {
    expect(errorField(() => parseAuditPolicy({ attributes: [] }))).toBe('attributes');
    expect(errorField(() => parseAuditPolicy({ ...minimal, histogramBins: 50 }))).toBe('histogramBins');
    expect(errorField(() => parseAuditPolicy({ ...minimal, tresholds: [0.5] }))).toBe('tresholds');
    expect(errorField(() => parseAuditPolicy({ attributes: [{ name: 'age', kind: 'banded', bands: [30, 20] }] }))).toBe('attributes[0].bands');
    expect(errorField(() => parseAuditPolicy({ attributes: [{ name: 'g', groups: ['a'], reference: 'b' }] }))).toBe('attributes[0].reference');
    expect(errorField(() => parseAuditPolicy({ ...minimal, intersections: [['gender', 'age']] }))).toBe('intersections[0]');
    expect(errorField(() => parseAuditPolicy({ ...minimal, band: { lo: 0.8, hi: 0.9 } }))).toBe('band.hi');
    expect(errorField(() => parseAuditPolicy({ ...minimal, thresholds: [0.6, 0.4] }))).toBe('thresholds');
    expect(errorField(() => parseAuditPolicy({ ...minimal, checks: ['auc'] }))).toBe('checks[0]');
    expect(errorField(() => parseAuditPolicy({ attributes: [{ name: 'g' }] }))).toBe('attributes[0].groups');
  });

  it('hashes the resolved policy: key order and explicit defaults do not change it', () => {
    const a = policyHash(parseAuditPolicy(minimal));
    const b = policyHash(parseAuditPolicy({ minCellCount: 10, attributes: [{ groups: ['F', 'M'], name: 'gender' }] }));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(policyHash(parseAuditPolicy({ ...minimal, minCellCount: 11 }))).not.toBe(a);
  });

  it('writes a resolved policy back as input that resolves to the same policy and hash (a task pins it)', () => {
    const full = parseAuditPolicy({
      attributes: [{ name: 'gender', groups: ['F', 'M', 'X'], reference: 'M' }, { name: 'age', column: 'age_years', kind: 'banded', bands: [30, 60] }],
      intersections: [['gender', 'age']], control: { column: 'contract', groups: ['monthly', 'yearly'] }, thresholds: [0.3, 0.5], histogramBins: 200,
    });
    for (const p of [full, parseAuditPolicy(minimal)]) {
      const again = parseAuditPolicy(JSON.parse(JSON.stringify(auditPolicyInputOf(p))));
      expect(again).toEqual(p);
      expect(policyHash(again)).toBe(policyHash(p));
    }
  });
});
