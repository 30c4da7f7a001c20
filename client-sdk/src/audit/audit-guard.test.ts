// The member's guard against an audit policy it never agreed to: stray columns, weak suppression, absurdly fine vectors.
import { describe, expect, it } from 'vitest';
import { isConsortError, parseAuditPolicy, policyHash, resolveTask, type AuditWorkOrder, type ResolvedTask } from '@consort/core';
import { AUDIT_CAPS, checkAuditFloors, checkAuditOrder } from './audit-guard.ts';

const GENDER = { name: 'gender', column: 'gender', groups: ['female', 'male'] };
const AGE = { name: 'age', column: 'age_band', groups: ['18-34', '35-64', '65+'] };

function task(audit?: Record<string, unknown>): ResolvedTask {
  return resolveTask({
    name: 't', label: 'churned', positiveLabel: ['1'], numeric: ['recency_days'], categorical: { plan: ['basic', 'plus'] },
    protected: ['gender', 'age_band'], model: { kind: 'logistic', task: 'binary' }, minMembers: 3,
    ...(audit ? { audit: { policy: audit } } : {}),
  });
}

function order(input: Record<string, unknown>, over: Partial<AuditWorkOrder> = {}): AuditWorkOrder {
  const policy = parseAuditPolicy(input);
  return { kind: 'audit', policy, policyHash: policyHash(policy), maxRows: 10_000, ...over };
}

function refusal(o: AuditWorkOrder, t = task(), floors?: { minCellCount: number; minMembers: number }): string {
  try {
    checkAuditOrder('r1', o, t, floors);
  } catch (err) {
    expect(isConsortError(err, 'ROUND_POLICY_REFUSED')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('checkAuditOrder', () => {
  it('accepts a policy on protected columns with the default suppression', () => {
    expect(() => checkAuditOrder('r1', order({ attributes: [GENDER, AGE], intersections: [['gender', 'age']] }), task())).not.toThrow();
  });

  it('refuses a column the task does not list as protected, and a control column outside the task', () => {
    expect(refusal(order({ attributes: [GENDER, { name: 'zip', column: 'postcode', groups: ['1000', '1001'] }] })))
      .toMatch(/audit round r1 refused: .*column "postcode", which the task does not list as protected \(protected: gender, age_band\).*nothing was read or sent/);
    expect(refusal(order({ attributes: [GENDER], control: { column: 'email', groups: ['a', 'b'] } }))).toMatch(/stratifies by column "email"/);
    expect(() => checkAuditOrder('r1', order({ attributes: [GENDER], control: { column: 'plan', groups: ['basic', 'plus'] } }), task())).not.toThrow();
  });

  it('refuses suppression below the member\'s floors: minCellCount 1, minMembers 2 (or below a raised floor)', () => {
    expect(refusal(order({ attributes: [GENDER], minCellCount: 1 }))).toMatch(/cells of 1 rows; this member's floor is 10/);
    expect(refusal(order({ attributes: [GENDER], minMembers: 2 }))).toMatch(/rows from 2 members; this member's floor is 5/);
    expect(refusal(order({ attributes: [GENDER], minCellCount: 15 }), task(), { minCellCount: 20, minMembers: 5 })).toMatch(/floor is 20/);
    expect(() => checkAuditOrder('r1', order({ attributes: [GENDER], minMembers: 3 }), task(), { minCellCount: 10, minMembers: 3 })).not.toThrow();
  });

  it('takes the task\'s own policy as is, and an ad-hoc policy only when it is no weaker than the task\'s', () => {
    const own = { attributes: [GENDER], minCellCount: 25, minMembers: 6 };
    const t = task(own);
    expect(() => checkAuditOrder('r1', order(own), t)).not.toThrow();
    expect(() => checkAuditOrder('r1', order({ ...own, attributes: [AGE], minCellCount: 30 }), t)).not.toThrow();
    expect(refusal(order({ ...own, minCellCount: 20 }), t)).toMatch(/cells of 20 rows; the task's own audit policy is 25/);
    expect(refusal(order({ ...own, minMembers: 5 }), t)).toMatch(/5 members; the task's own audit policy is 6/);
  });

  it('refuses a policy that does not hash to the announced hash, and an unreadable one', () => {
    const o = order({ attributes: [GENDER] });
    expect(refusal({ ...o, policyHash: 'ab'.repeat(32) })).toMatch(/does not hash to the policy hash it announces/);
    // The layout is built from the policy as sent: an altered field that the hash does not cover is refused.
    expect(refusal({ ...o, policy: { ...o.policy, minCellCount: 1 } })).toMatch(/does not hash to the policy hash/);
    expect(refusal({ ...o, policy: { ...o.policy, attributes: 'gender' } as never })).toMatch(/cannot be read/);
  });

  it('refuses an absurdly fine vector: thresholds, intersections, cells, maxRows over the caps', () => {
    const many = Array.from({ length: AUDIT_CAPS.thresholds + 1 }, (_, i) => (i + 1) / 20);
    expect(refusal(order({ attributes: [GENDER], thresholds: many }))).toMatch(/11 thresholds; this agent accepts at most 10/);
    expect(refusal(order({ attributes: [GENDER], memberParity: { bins: 100 } }))).toMatch(/100 member-parity bins/);
    const wide = { name: 'age', column: 'age_band', kind: 'banded', bands: Array.from({ length: 300 }, (_, i) => i) };
    expect(refusal(order({ attributes: [GENDER, wide], intersections: [['gender', 'age']] }))).toMatch(/cells; this agent accepts at most 500/);
    expect(refusal(order({ attributes: [GENDER] }, { maxRows: 1e9 }))).toMatch(/maxRows/);
  });
});

describe('checkAuditFloors', () => {
  it('refuses floors below the minimums, naming the flag', () => {
    expect(() => checkAuditFloors({ minCellCount: 5, minMembers: 5 })).toThrow(/--audit-min-cell must be a whole number of at least 10/);
    expect(() => checkAuditFloors({ minCellCount: 10, minMembers: 2 })).toThrow(/--audit-min-members must be a whole number of at least 3/);
    expect(() => checkAuditFloors({ minCellCount: 20, minMembers: 3 })).not.toThrow();
  });
});
