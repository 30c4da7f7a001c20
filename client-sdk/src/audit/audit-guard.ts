// The member's own check of an audit round's policy before it reads a row: the coordinator chooses
// the policy, so a hostile one could ask for columns the member never agreed to share or for cells
// so small or so fine that the released sum reveals near-individual outcomes.
import {
  AUDIT_FLOOR_MINIMUMS, ConsortError, DEFAULT_AUDIT_FLOORS, auditPolicyInputOf, auditPolicyObjection, parseAuditPolicy, policyHash,
  type AuditFloors, type AuditPolicy, type AuditWorkOrder, type ResolvedTask,
} from '@consort/core';

export { AUDIT_CAPS, AUDIT_FLOOR_MINIMUMS, DEFAULT_AUDIT_FLOORS, type AuditFloors } from '@consort/core';

/** Throws INVALID_ARGUMENT unless the floors are whole numbers at or above the minimums. */
export function checkAuditFloors(floors: AuditFloors): void {
  for (const [k, flag] of [['minCellCount', '--audit-min-cell'], ['minMembers', '--audit-min-members']] as const) {
    if (!Number.isInteger(floors[k]) || floors[k] < AUDIT_FLOOR_MINIMUMS[k]) {
      throw new ConsortError('INVALID_ARGUMENT', `${flag} must be a whole number of at least ${AUDIT_FLOOR_MINIMUMS[k]} (got ${String(floors[k])})`, { option: flag });
    }
  }
}

/** The audit work order of a RoundOpen payload, if it is one. */
export function auditOrderOf(payloadJson: string): AuditWorkOrder | undefined {
  if (!payloadJson) return undefined;
  const order = JSON.parse(payloadJson) as Partial<AuditWorkOrder>;
  if (order.kind !== 'audit') return undefined;
  if (!order.policy || typeof order.maxRows !== 'number') throw new ConsortError('INVALID_ARGUMENT', 'the audit round carries an incomplete work order; coordinator and agent versions differ?');
  return order as AuditWorkOrder;
}

function refuse(roundId: string, why: string, details: Record<string, unknown> = {}): ConsortError {
  return new ConsortError('ROUND_POLICY_REFUSED', `audit round ${roundId} refused: ${why}; nothing was read or sent`, { roundId, ...details });
}

/**
 * Checks an audit work order against the task this member pinned and its own floors. Refuses
 * (ROUND_POLICY_REFUSED) when:
 * - the policy does not resolve to itself or does not hash to the announced hash;
 * - an attribute's column is not in the task's `protected` list, or the control column is not a
 *   column of the task (the member agreed to share aggregates of those only);
 * - minCellCount or minMembers is below this member's floors, or below the task's own pinned
 *   policy's when the round brings another (ad-hoc) policy: an operator may audit with another
 *   policy, but not a weaker one;
 * - thresholds, bins, intersections, cells or maxRows exceed AUDIT_CAPS.
 * Pure: no I/O.
 */
export function checkAuditOrder(roundId: string, order: AuditWorkOrder, task: ResolvedTask, floors: AuditFloors = DEFAULT_AUDIT_FLOORS): void {
  let resolved: AuditPolicy;
  try {
    resolved = parseAuditPolicy(auditPolicyInputOf(order.policy));
  } catch (err) {
    throw refuse(roundId, `its audit policy cannot be read (${(err as Error).message})`);
  }
  if (policyHash(order.policy) !== policyHash(resolved) || policyHash(resolved) !== order.policyHash) {
    throw refuse(roundId, `its audit policy does not hash to the policy hash it announces (${String(order.policyHash).slice(0, 12)}…)`);
  }
  const objection = auditPolicyObjection(resolved, order.policyHash, order.maxRows, task, floors);
  if (objection) throw refuse(roundId, objection.why, objection.details);
}
