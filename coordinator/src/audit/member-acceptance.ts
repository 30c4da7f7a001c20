// The coordinator's check that members would accept an audit policy, with the rule members apply
// (core's auditPolicyObjection at the members' default floors and caps).
import { ConsortError, auditPolicyInputOf, auditPolicyObjection, parseAuditPolicy, type AuditPolicy, type ResolvedTask } from '@consort/core';

/**
 * Refuses (INVALID_ARGUMENT) an audit policy members would decline (ROUND_POLICY_REFUSED): an
 * attribute column not in the task's `protected`, minCellCount/minMembers below the members'
 * default floors, or past their caps. Called before the round opens, so no member hears of it
 * (rather than a round every member declines, read as too few members).
 */
export function refuseAuditMembersWouldDecline(taskId: string, task: ResolvedTask, policy: AuditPolicy, hash: string, maxRows: number): void {
  const objection = auditPolicyObjection(parseAuditPolicy(auditPolicyInputOf(policy)), hash, maxRows, task);
  if (!objection) return;
  const why = objection.why.replace('this member\'s floor', 'the members\' default floor').replace('this agent accepts', 'members accept');
  throw new ConsortError('INVALID_ARGUMENT', `audit of task ${taskId} refused before any round opened: members would decline it (ROUND_POLICY_REFUSED), because ${why}; `
    + 'give a policy on the task\'s protected columns, within the members\' floors and caps (docs/audits.md)', { taskId, ...objection.details });
}
