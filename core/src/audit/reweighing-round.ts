// The reweighing round of a task that asks for it (mitigation.reweighing): its work order, the released
// group × label counts that training rounds carry, and the weights a member derives from them itself.
import { ConsortError } from '../errors/consort-error.ts';
import { planLayout, type VectorLayout } from '../secagg/quantize.ts';
import type { ResolvedTask } from '../task/task-definition.ts';
import { buildReweighingLayout, reweighingWeights, rowWeight, type ReweighingLayout, type ReweighingPlan } from './mitigation.ts';
import type { AuditPolicy, AuditRow } from './types.ts';

/** Largest weight a member trains with: a cell weighted above it is capped (one row must not outweigh 20 others). */
export const MAX_REWEIGHING_WEIGHT = 20;

/** What a member is asked to count in a reweighing round (RoundOpen.payload_json, signed with the round). */
export interface ReweighingWorkOrder {
  kind: 'reweighing';
  /** The audit-policy attributes crossed into cells; must equal the pinned task's mitigation.reweighing.attributes. */
  attributes: string[];
  /** Most training rows one member may count (every entry of its vector is at most this). */
  maxRows: number;
}

/** One cell of the summed counts as training rounds carry it; null when suppressed (too few rows or members). */
export type ReleasedCell = { negatives: number; positives: number; members: number } | null;

/** What each training round of a reweighed run carries (RoundOpen.payload_json): the released counts, not weights. */
export interface ReweighingCounts {
  kind: 'reweighing-counts';
  /** The secure-sum round the counts come from. */
  roundId: string;
  attributes: string[];
  /** One entry per cell of the reweighing layout, in its order. */
  cells: ReleasedCell[];
}

/** The task's reweighing attributes and policy, or undefined when the task does not ask for reweighing. */
export function reweighingOf(task: ResolvedTask): { policy: AuditPolicy; attributes: string[] } | undefined {
  if (task.kind !== 'model' || !task.mitigation?.reweighing || !task.audit) return undefined;
  return { policy: task.audit.policy, attributes: task.mitigation.reweighing.attributes };
}

/**
 * The layout a member counts into, from the task it pinned: a coordinator cannot obtain group ×
 * label counts of a task that did not ask for reweighing, nor of other attributes than it names.
 */
export function pinnedReweighingLayout(task: ResolvedTask, attributes: string[]): ReweighingLayout {
  const r = reweighingOf(task);
  if (!r) {
    throw new ConsortError('ROUND_POLICY_REFUSED', `the round asks for group × label counts (reweighing), but task "${task.name}" as pinned sets no mitigation.reweighing; refused (nothing was counted)`, { field: 'mitigation.reweighing' });
  }
  if (attributes.length !== r.attributes.length || attributes.some((a, i) => a !== r.attributes[i])) {
    throw new ConsortError('ROUND_POLICY_REFUSED', `the round asks for group × label counts over ${attributes.join(' × ') || 'nothing'}; the pinned task reweighs over ${r.attributes.join(' × ')}; refused`, { field: 'mitigation.reweighing.attributes' });
  }
  return buildReweighingLayout(r.policy, r.attributes);
}

/** The secure-sum layout of a reweighing round sized for `members`. */
export function reweighingSumLayout(layout: ReweighingLayout, maxRows: number, members: number): VectorLayout {
  return planLayout([{ name: 'reweighing', kind: 'integer', length: layout.length, maxAbs: maxRows }], { members });
}

/**
 * The counts as released to members: a cell with rows from fewer than the policy's minMembers
 * members, or with fewer than minCellCount rows, is suppressed (its rows keep weight 1).
 * Only the crossed cells are released, no margin or total, so a suppressed cell cannot be
 * recovered by subtraction.
 */
export function releaseReweighingCounts(sum: ArrayLike<number>, layout: ReweighingLayout, policy: AuditPolicy): ReleasedCell[] {
  if (sum.length !== layout.length) throw new ConsortError('AGGREGATE_REJECTED', `reweighing sum: length ${sum.length}, the layout has ${layout.length}`);
  return layout.cells.map((_, c) => {
    const negatives = sum[3 * c];
    const positives = sum[3 * c + 1];
    const members = sum[3 * c + 2];
    for (const v of [negatives, positives, members]) {
      if (!Number.isSafeInteger(v) || v < 0) throw new ConsortError('AGGREGATE_REJECTED', `reweighing sum: cell ${c} holds ${v}, not a non-negative integer count`);
    }
    if (negatives + positives > 0 && members === 0) throw new ConsortError('AGGREGATE_REJECTED', `reweighing sum: cell ${c} has rows from no member`);
    return released(negatives, positives, members, policy) ? { negatives, positives, members } : null;
  });
}

function released(negatives: number, positives: number, members: number, policy: AuditPolicy): boolean {
  return members >= policy.minMembers && negatives + positives >= policy.minCellCount;
}

/** Row weights by cell (suppressed cells 1), capped at MAX_REWEIGHING_WEIGHT, with the plan's trade-offs. */
export interface ReweighingScheme {
  layout: ReweighingLayout;
  /** Per layout cell: weight of a negative and of a positive row. */
  weights: Array<{ key: string[]; negative: number; positive: number; suppressed: boolean }>;
  /** Kamiran & Calders over the released cells (weights before the cap), with its effective sample size. */
  plan: ReweighingPlan;
  /** Cells × labels whose weight was capped. */
  capped: number;
}

/** The weights of the released counts: Kamiran & Calders over released cells, suppressed cells 1, capped. */
export function reweighingScheme(cells: ReleasedCell[], layout: ReweighingLayout): ReweighingScheme {
  const kept = layout.cells.flatMap((key, c) => (cells[c] ? [{ key, negatives: cells[c].negatives, positives: cells[c].positives }] : []));
  if (kept.length === 0) throw new ConsortError('ROUND_POLICY_REFUSED', 'reweighing: every cell of the counts is suppressed (too few rows or members); nothing to reweigh');
  const plan = reweighingWeights(kept);
  let capped = 0;
  const cap = (w: number) => {
    if (w > MAX_REWEIGHING_WEIGHT) { capped++; return MAX_REWEIGHING_WEIGHT; }
    return w;
  };
  let k = 0;
  const weights = layout.cells.map((key, c) => {
    if (!cells[c]) return { key, negative: 1, positive: 1, suppressed: true };
    const w = plan.weights[k++];
    return { key, negative: cap(w.negative), positive: cap(w.positive), suppressed: false };
  });
  return { layout, weights, plan, capped };
}

/**
 * A member's check of the counts a training round carries before it trains with them: one cell
 * per layout cell, finite non-negative integers, released only above the policy's floors, and
 * every released cell at least this member's own count (`own`: its memberGroupLabelVector).
 * The member derives the weights itself: a coordinator can only send counts, never weights.
 */
export function checkReweighingCounts(counts: ReweighingCounts, layout: ReweighingLayout, policy: AuditPolicy, own: number[], invited: number): ReleasedCell[] {
  const refuse = (why: string): never => {
    throw new ConsortError('ROUND_POLICY_REFUSED', `the reweighing counts of round ${counts.roundId} ${why}; refused (the coordinator or its version is at fault)`, { field: 'reweighing' });
  };
  if (counts.kind !== 'reweighing-counts' || !Array.isArray(counts.cells)) refuse('are not a reweighing-counts document');
  if (counts.cells.length !== layout.cells.length) refuse(`hold ${counts.cells.length} cells; the pinned task's layout has ${layout.cells.length}`);
  counts.cells.forEach((cell, c) => {
    const name = layout.cells[c].join(' × ');
    if (cell === null) return;
    if (typeof cell !== 'object') refuse(`give cell ${name} as ${JSON.stringify(cell)}`);
    for (const v of [cell.negatives, cell.positives, cell.members]) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) refuse(`give cell ${name} a count of ${JSON.stringify(v)}, not a non-negative integer`);
    }
    if (!released(cell.negatives, cell.positives, cell.members, policy)) refuse(`release cell ${name} below the policy's floors (minMembers ${policy.minMembers}, minCellCount ${policy.minCellCount})`);
    if (cell.members > invited) refuse(`give cell ${name} ${cell.members} contributing members; ${invited} were invited`);
    if (cell.negatives < own[3 * c] || cell.positives < own[3 * c + 1]) refuse(`give cell ${name} fewer rows than this member alone has`);
    if (own[3 * c] + own[3 * c + 1] > 0 && cell.members < 1) refuse(`give cell ${name} no contributing member although this member has rows in it`);
  });
  return counts.cells;
}

/** The training weight of each row under a scheme (1 outside every audited group). */
export function rowWeights(scheme: ReweighingScheme, rows: Array<Pick<AuditRow, 'values' | 'label'>>): Float32Array {
  return Float32Array.from(rows, (row) => rowWeight(scheme, scheme.layout, row));
}
