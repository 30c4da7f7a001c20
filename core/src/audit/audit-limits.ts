// What members accept in an audit policy by default: the floors and caps both sides read, so the
// coordinator can refuse an ad-hoc policy members would decline before a round opens. Pure.
import type { ResolvedTask } from '../task/task-definition.ts';
import { buildAuditLayout } from './layout.ts';
import type { AuditPolicy } from './types.ts';

/** The audit floors a member's operator set (the coordinator cannot lower them). */
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

/** Why a member with these floors declines an audit of `task` with this (resolved) policy; undefined when it accepts. */
export interface AuditObjection {
  why: string;
  details: Record<string, unknown>;
}

/**
 * The member's rule for an audit policy, after it checked the policy resolves and hashes as
 * announced: columns only from the task's `protected`, a control column of the task, floors
 * (its own, and the task's pinned policy's when the round brings another), and AUDIT_CAPS.
 */
export function auditPolicyObjection(p: AuditPolicy, hash: string, maxRows: number, task: ResolvedTask, floors: AuditFloors = DEFAULT_AUDIT_FLOORS): AuditObjection | undefined {
  const stray = p.attributes.filter((a) => !task.protected.includes(a.column));
  if (stray.length > 0) {
    return {
      why: `its audit policy reads column${stray.length > 1 ? 's' : ''} ${stray.map((a) => `"${a.column}"`).join(', ')}, which the task does not list as protected `
        + `(protected: ${task.protected.length ? task.protected.join(', ') : 'none'}); a member shares audit counts only by the columns it agreed to`,
      details: { columns: stray.map((a) => a.column) },
    };
  }
  if (p.control) {
    const taskColumns = [...task.protected, ...(task.kind === 'model' ? [...task.numeric, ...task.categorical] : task.segmentation.features)];
    if (!taskColumns.includes(p.control.column)) {
      return { why: `its audit policy stratifies by column "${p.control.column}", which is not a column of the task`, details: { column: p.control.column } };
    }
  }
  const pinned = task.audit && task.audit.policyHash !== hash ? task.audit.policy : undefined;
  // Two audits of the same rows with other band edges can be subtracted to count the customers
  // between the edges, below any cell floor: an ad-hoc policy keeps the task's own bands for its columns.
  for (const a of pinned ? p.attributes : []) {
    const own = pinned!.attributes.find((t) => t.column === a.column);
    if (own && (own.kind === 'banded' || a.kind === 'banded') && (own.kind !== a.kind || own.bands.join(',') !== a.bands.join(','))) {
      const shown = (x: typeof a) => (x.kind === 'banded' ? `bands at ${x.bands.join(', ')}` : 'categories');
      return {
        why: `its audit policy groups column "${a.column}" by ${shown(a)}, the task's own audit policy by ${shown(own)}; audits with other band edges `
          + 'on the same rows can be subtracted to count the customers between the edges, so a member keeps the task\'s groups for its columns',
        details: { column: a.column, bands: a.bands, taskBands: own.bands },
      };
    }
  }
  const cellFloor = Math.max(floors.minCellCount, pinned?.minCellCount ?? 0);
  const memberFloor = Math.max(floors.minMembers, pinned?.minMembers ?? 0);
  const whose = (own: number, task: number | undefined) => (task !== undefined && task > own ? 'the task\'s own audit policy' : 'this member\'s floor');
  if (p.minCellCount < cellFloor) {
    return {
      why: `its audit policy releases cells of ${p.minCellCount} rows; ${whose(floors.minCellCount, pinned?.minCellCount)} is ${cellFloor} `
        + '(the coordinator withholds small cells only after it saw the sum: smaller cells reveal near-individual outcomes)',
      details: { minCellCount: p.minCellCount, floor: cellFloor },
    };
  }
  if (p.minMembers < memberFloor) {
    return {
      why: `its audit policy releases cells with rows from ${p.minMembers} members; ${whose(floors.minMembers, pinned?.minMembers)} is ${memberFloor} `
        + '(a cell served by fewer members exposes each one\'s counts to the others)',
      details: { minMembers: p.minMembers, floor: memberFloor },
    };
  }
  const cells = buildAuditLayout(p).groupings.reduce((n, g) => n + g.cells.length, 0);
  const tooFine: Array<[string, number, number]> = [
    ['thresholds', p.thresholds.length, AUDIT_CAPS.thresholds],
    ['histogram bins', p.histogramBins, AUDIT_CAPS.histogramBins],
    ['member-parity bins', p.memberParity.bins, AUDIT_CAPS.parityBins],
    ['attributes in one intersection', Math.max(0, ...p.intersections.map((t) => t.length)), AUDIT_CAPS.intersectionArity],
    ['cells', cells, AUDIT_CAPS.cells],
    ['held-out rows per member (maxRows)', maxRows, AUDIT_CAPS.maxRows],
  ];
  for (const [what, n, cap] of tooFine) {
    if (!(n <= cap)) return { why: `its audit asks for ${n} ${what}; this agent accepts at most ${cap} (a finer audit vector makes released cells near-individual)`, details: { what, value: n, cap } };
  }
  return undefined;
}
