// The member's own check of an audit round's policy before it reads a row: the coordinator chooses
// the policy, so a hostile one could ask for columns the member never agreed to share or for cells
// so small or so fine that the released sum reveals near-individual outcomes.
import {
  ConsortError, auditPolicyInputOf, buildAuditLayout, parseAuditPolicy, policyHash,
  type AuditPolicy, type AuditWorkOrder, type ResolvedTask,
} from '@consort/core';

/** The audit floors this member's operator set (the coordinator cannot lower them). */
export interface AuditFloors {
  /** Smallest policy minCellCount accepted (default 10, at least 10). */
  minCellCount: number;
  /** Smallest policy minMembers accepted (default 5, at least 3). */
  minMembers: number;
}

/** Default floors: the defaults of an audit policy (docs/audits.md). */
export const DEFAULT_AUDIT_FLOORS: AuditFloors = { minCellCount: 10, minMembers: 5 };
/** The lowest floors an operator may set: a cell of fewer rows, or a sum over fewer members, exposes individuals. */
export const AUDIT_FLOOR_MINIMUMS: AuditFloors = { minCellCount: 10, minMembers: 3 };

/**
 * Caps on how fine an audit vector may be, whatever the policy says: more thresholds, bins or cells
 * only make released cells sharper (each extra threshold is another cut of the same rows).
 */
export const AUDIT_CAPS = {
  thresholds: 10,
  histogramBins: 1000,
  parityBins: 50,
  /** Attributes joined in one intersection. */
  intersectionArity: 3,
  /** Cells over all groupings (the telco example has 32). */
  cells: 500,
  /** Held-out rows one member may be asked to count (sizes the modulus; more is no audit of a small business). */
  maxRows: 10_000_000,
} as const;

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
  const p = resolved;
  const stray = p.attributes.filter((a) => !task.protected.includes(a.column));
  if (stray.length > 0) {
    throw refuse(roundId, `its audit policy reads column${stray.length > 1 ? 's' : ''} ${stray.map((a) => `"${a.column}"`).join(', ')}, which the task does not list as protected `
      + `(protected: ${task.protected.length ? task.protected.join(', ') : 'none'}); a member shares audit counts only by the columns it agreed to`, { columns: stray.map((a) => a.column) });
  }
  if (p.control) {
    const taskColumns = [...task.protected, ...(task.kind === 'model' ? [...task.numeric, ...task.categorical] : task.segmentation.features)];
    if (!taskColumns.includes(p.control.column)) {
      throw refuse(roundId, `its audit policy stratifies by column "${p.control.column}", which is not a column of the task`, { column: p.control.column });
    }
  }
  const taskAudit = task.kind === 'model' ? task.audit : undefined;
  const pinned = taskAudit && taskAudit.policyHash !== order.policyHash ? taskAudit.policy : undefined;
  const cellFloor = Math.max(floors.minCellCount, pinned?.minCellCount ?? 0);
  const memberFloor = Math.max(floors.minMembers, pinned?.minMembers ?? 0);
  const whose = (own: number, task: number | undefined) => (task !== undefined && task > own ? 'the task\'s own audit policy' : 'this member\'s floor');
  if (p.minCellCount < cellFloor) {
    throw refuse(roundId, `its audit policy releases cells of ${p.minCellCount} rows; ${whose(floors.minCellCount, pinned?.minCellCount)} is ${cellFloor} `
      + '(the coordinator withholds small cells only after it saw the sum: smaller cells reveal near-individual outcomes)', { minCellCount: p.minCellCount, floor: cellFloor });
  }
  if (p.minMembers < memberFloor) {
    throw refuse(roundId, `its audit policy releases cells with rows from ${p.minMembers} members; ${whose(floors.minMembers, pinned?.minMembers)} is ${memberFloor} `
      + '(a cell served by fewer members exposes each one\'s counts to the others)', { minMembers: p.minMembers, floor: memberFloor });
  }
  const cells = buildAuditLayout(p).groupings.reduce((n, g) => n + g.cells.length, 0);
  const tooFine: Array<[string, number, number]> = [
    ['thresholds', p.thresholds.length, AUDIT_CAPS.thresholds],
    ['histogram bins', p.histogramBins, AUDIT_CAPS.histogramBins],
    ['member-parity bins', p.memberParity.bins, AUDIT_CAPS.parityBins],
    ['attributes in one intersection', Math.max(0, ...p.intersections.map((t) => t.length)), AUDIT_CAPS.intersectionArity],
    ['cells', cells, AUDIT_CAPS.cells],
    ['held-out rows per member (maxRows)', order.maxRows, AUDIT_CAPS.maxRows],
  ];
  for (const [what, n, cap] of tooFine) {
    if (!(n <= cap)) throw refuse(roundId, `its audit asks for ${n} ${what}; this agent accepts at most ${cap} (a finer audit vector makes released cells near-individual)`, { what, value: n, cap });
  }
}
