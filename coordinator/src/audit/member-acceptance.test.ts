// The coordinator refuses, before a round opens, an audit policy members would decline, and says why.
import { describe, expect, it } from 'vitest';
import { AUDIT_CAPS, isConsortError, parseAuditPolicy, policyHash, resolveTask } from '@consort/core';
import { refuseAuditMembersWouldDecline } from './member-acceptance.ts';

const task = resolveTask({
  name: 'audited', label: 'churned', numeric: ['tenure_days'], categorical: { region: ['north', 'south'] }, protected: ['gender'],
});
const GOOD = { attributes: [{ name: 'gender', column: 'gender', groups: ['female', 'male'], reference: 'male' }] };

function refusal(input: Record<string, unknown>, maxRows = 1000): Error | undefined {
  const policy = parseAuditPolicy(input);
  try { refuseAuditMembersWouldDecline('t1', task, policy, policyHash(policy), maxRows); } catch (err) { return err as Error; }
  return undefined;
}

describe('coordinator pre-check of an audit policy against what members accept', () => {
  it('accepts a policy at the floors members may lower theirs to', () => {
    expect(refusal(GOOD)).toBeUndefined();
    expect(refusal({ ...GOOD, minMembers: 3 })).toBeUndefined();
  });

  it('refuses a column outside protected, floors below 10 rows / 3 members, and a policy past the caps, saying members would decline', () => {
    const stray = refusal({ attributes: [{ name: 'region', column: 'region', groups: ['north', 'south'] }] });
    expect(isConsortError(stray, 'INVALID_ARGUMENT')).toBe(true);
    expect(stray?.message).toBe('audit of task t1 refused before any round opened: members would decline it (ROUND_POLICY_REFUSED), because its audit policy reads column "region", '
      + 'which the task does not list as protected (protected: gender); a member shares audit counts only by the columns it agreed to; '
      + 'give a policy on the task\'s protected columns, within the members\' floors and caps (docs/audits.md)');
    expect(refusal({ ...GOOD, minCellCount: 5 })?.message).toMatch(/because its audit policy releases cells of 5 rows; the lowest floor a member may set is 10/);
    expect(refusal({ ...GOOD, minMembers: 2 })?.message).toMatch(/because its audit policy releases cells with rows from 2 members; the lowest floor a member may set is 3/);
    const thresholds = Array.from({ length: AUDIT_CAPS.thresholds + 1 }, (_, i) => (i + 1) / 20);
    expect(refusal({ ...GOOD, thresholds })?.message).toMatch(/because its audit asks for 11 thresholds; members accept at most 10/);
    expect(refusal(GOOD, AUDIT_CAPS.maxRows + 1)?.message).toMatch(/held-out rows per member \(maxRows\); members accept at most/);
  });
});
