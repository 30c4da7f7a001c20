// The member's rule for an ad-hoc audit policy against the task's own: band edges of a column are the task's.
import { describe, expect, it } from 'vitest';
import { resolveTask } from '../task/task-definition.ts';
import { auditPolicyObjection } from './audit-limits.ts';
import { parseAuditPolicy, policyHash } from './policy.ts';

const own = { attributes: [{ name: 'age', kind: 'banded' as const, bands: [30, 60] }, { name: 'gender', groups: ['F', 'M'] }], minMembers: 3 };
const task = resolveTask({ name: 't', label: 'churned', numeric: ['spend'], protected: ['age', 'gender'], audit: { policy: own } });
const objection = (input: Record<string, unknown>) => {
  const p = parseAuditPolicy(input);
  return auditPolicyObjection(p, policyHash(p), 1000, task, { minCellCount: 10, minMembers: 3 });
};

describe('auditPolicyObjection: band edges', () => {
  it('accepts the task\'s own policy and an ad-hoc one with the same bands (other checks, stricter floors)', () => {
    expect(objection(own)).toBeUndefined();
    expect(objection({ ...own, minCellCount: 20, intersections: [['age', 'gender']] })).toBeUndefined();
    expect(objection({ attributes: [{ name: 'gender', groups: ['F', 'M'] }], minMembers: 3 })).toBeUndefined();
  });

  it('refuses other band edges on a column the task bands, or the column as categories', () => {
    expect(objection({ ...own, attributes: [{ name: 'age', kind: 'banded', bands: [31, 60] }] })?.why).toMatch(/groups column "age" by bands at 31, 60, the task's own audit policy by bands at 30, 60; .*subtracted/);
    expect(objection({ ...own, attributes: [{ name: 'age', groups: ['34', '35'] }] })?.why).toMatch(/groups column "age" by categories/);
  });
});
