// The coordinator's check that members would accept an audit policy, with the rule members apply
// (core's auditPolicyObjection), at the lowest floors any member may set and the members' caps.
import { AUDIT_FLOOR_MINIMUMS, ConsortError, auditPolicyInputOf, auditPolicyObjection, parseAuditPolicy, type AuditPolicy, type ResolvedTask } from '@consort/core';

/**
 * Refuses (INVALID_ARGUMENT) an audit policy members would decline (ROUND_POLICY_REFUSED): an
 * attribute column not in the task's `protected`, minCellCount/minMembers below the lowest floors
 * a member may set (AUDIT_FLOOR_MINIMUMS: 10 rows, 3 members; members may set theirs higher, which
 * the coordinator cannot know, and the default minMembers 5 is commonly lowered to 3), below the
 * task's own pinned policy's, or past the caps. Called before the round opens, so no member hears of it
 * (rather than a round every member declines, read as too few members).
 */
export function refuseAuditMembersWouldDecline(taskId: string, task: ResolvedTask, policy: AuditPolicy, hash: string, maxRows: number): void {
  const objection = auditPolicyObjection(parseAuditPolicy(auditPolicyInputOf(policy)), hash, maxRows, task, AUDIT_FLOOR_MINIMUMS);
  if (!objection) return;
  const why = objection.why.replace('this member\'s floor', 'the lowest floor a member may set').replace('this agent accepts', 'members accept');
  throw new ConsortError('INVALID_ARGUMENT', `audit of task ${taskId} refused before any round opened: members would decline it (ROUND_POLICY_REFUSED), because ${why}; `
    + 'give a policy on the task\'s protected columns, within the members\' floors and caps (docs/audits.md)', { taskId, ...objection.details });
}
