// A member's part in reweighing (mitigation.reweighing of the pinned task): its group × label counts for the
// secure sum, and the row weights it derives itself from the released counts a training round carries.
import {
  ConsortError, checkReweighingCounts, memberGroupLabelVector, packVector, pinnedReweighingLayout, reweighingOf, reweighingScheme, reweighingSumLayout, rowWeights,
  type ModVector, type ResolvedTask, type ReweighingCounts, type ReweighingScheme, type ReweighingWorkOrder,
} from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';

/** The reweighing work order of a RoundOpen payload, if it is one. */
export function reweighingOrderOf(payloadJson: string): ReweighingWorkOrder | undefined {
  const doc = parsePayload(payloadJson);
  if (doc?.kind !== 'reweighing') return undefined;
  const order = doc as Partial<ReweighingWorkOrder>;
  if (!Array.isArray(order.attributes) || typeof order.maxRows !== 'number') {
    throw new ConsortError('ROUND_POLICY_REFUSED', 'the reweighing round carries an incomplete work order; coordinator and agent versions differ?');
  }
  return order as ReweighingWorkOrder;
}

function parsePayload(payloadJson: string): { kind?: unknown } | undefined {
  if (!payloadJson) return undefined;
  const doc = JSON.parse(payloadJson) as unknown;
  return doc && typeof doc === 'object' ? doc as { kind?: unknown } : undefined;
}

/** A training row as reweighing reads it: its raw values (protected columns) and its 0/1 label. */
function labelledRows(task: ResolvedTask, records: Record<string, string>[]): Array<{ values: Record<string, string>; label: 0 | 1 }> {
  if (task.kind !== 'model') throw new ConsortError('ROUND_POLICY_REFUSED', `task "${task.name}" is a ${task.kind} task; only binary model tasks are reweighed`);
  const positive = new Set(task.positiveLabel);
  return records.map((values) => ({ values, label: positive.has(values[task.label]) ? 1 : 0 }));
}

/**
 * This member's packed group × label counts over its TRAINING rows. The layout comes from the task
 * it pinned: a round asking for counts of a task without mitigation.reweighing (or over other
 * attributes) is refused before any row is counted.
 */
export function reweighingVector(task: ResolvedTask, order: ReweighingWorkOrder, train: Record<string, string>[], file: string, members: number): ModVector {
  // Checked before anything is read: a task that did not ask gets nothing.
  const layout = pinnedReweighingLayout(task, order.attributes);
  if (train.length > order.maxRows) {
    throw new ConsortError('INVALID_ARGUMENT', `${file} has ${train.length} training rows, more than the ${order.maxRows} one member may count in a reweighing round`);
  }
  const vector = memberGroupLabelVector(labelledRows(task, train), layout);
  const sum = reweighingSumLayout(layout, order.maxRows, members);
  return packVector([{ name: 'reweighing', kind: 'integer', length: vector.length, maxAbs: order.maxRows, values: vector }], { members, modulusBits: sum.modulusBits }).vector;
}

/**
 * What a member remembers of reweighing: the counting rounds it contributed to, and the counts it
 * first saw for each. Each check of released counts against this member's own counts answers one
 * yes/no question; pinning the first counts per counting round (and refusing counts that name a
 * round this member did not count in) keeps a coordinator from asking it again with other counts,
 * so probing a member's cell counts costs a whole new counting round per bit.
 */
export class ReweighingMemory {
  private readonly counted = new Set<string>();
  private readonly seen = new Map<string, { cells: string; refused?: ConsortError }>();

  /** This member sent its counts in reweighing round `roundId`. */
  countedIn(roundId: string): void {
    this.counted.add(roundId);
  }

  /** Checks `counts` once per counting round: the same counts again get the same answer, other counts are refused. */
  check(counts: ReweighingCounts, verify: () => void): void {
    if (!this.counted.has(counts.roundId)) {
      throw new ConsortError('ROUND_POLICY_REFUSED', `the reweighing counts name round ${counts.roundId}, in which this member did not count its rows; refused (a restarted agent takes part again from the next run)`, { field: 'reweighing' });
    }
    const cells = JSON.stringify(counts.cells);
    const first = this.seen.get(counts.roundId);
    if (first && first.cells !== cells) {
      throw new ConsortError('ROUND_POLICY_REFUSED', `the reweighing counts of round ${counts.roundId} differ from those this member was first sent for it; refused`, { field: 'reweighing' });
    }
    if (first?.refused) throw first.refused;
    if (first) return;
    try {
      verify();
      this.seen.set(counts.roundId, { cells });
    } catch (err) {
      this.seen.set(counts.roundId, { cells, refused: err as ConsortError });
      throw err;
    }
  }
}

/**
 * The row weights of a training round of a reweighed task, derived here from the released counts
 * the round carries (checked against this member's own counts), or undefined for a task that does
 * not reweigh. A reweighed task's round without counts, or counts for a task that did not ask, is
 * refused: members train as the task they pinned says.
 */
export function trainingWeights(open: RoundOpen__Output, task: ResolvedTask, train: Record<string, string>[], memory: ReweighingMemory): { weights: Float32Array; scheme: ReweighingScheme } | undefined {
  const doc = parsePayload(open.payloadJson);
  const counts = doc?.kind === 'reweighing-counts' ? doc as ReweighingCounts : undefined;
  const asked = reweighingOf(task);
  if (!asked && !counts) return undefined;
  if (!asked) throw new ConsortError('ROUND_POLICY_REFUSED', `round ${open.roundId} carries reweighing counts, but task "${task.name}" as pinned sets no mitigation.reweighing; refused`);
  if (!counts) {
    throw new ConsortError('ROUND_POLICY_REFUSED', `round ${open.roundId} of task "${task.name}" carries no reweighing counts, but the pinned task reweighs over ${asked.attributes.join(' × ')}; refused (run the task's rounds from its training workflow)`);
  }
  const layout = pinnedReweighingLayout(task, counts.attributes);
  const rows = labelledRows(task, train);
  const own = memberGroupLabelVector(rows, layout);
  memory.check(counts, () => checkReweighingCounts(counts, layout, asked.policy, own, open.secagg?.invitedMembers ?? 1));
  const scheme = reweighingScheme(counts.cells, layout);
  return { weights: rowWeights(scheme, rows), scheme };
}
