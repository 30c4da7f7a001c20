// Segment membership changes between two model versions, computed by a member on its own customers (never sent anywhere).
import { ConsortError } from '@consort/core';

/** How one member's customers moved between the segments of two model versions. */
export interface MembershipChanges {
  /** matrix[a][b]: customers in old segment a and new segment b. */
  matrix: number[][];
  total: number;
  /**
   * For each new segment, the old segment it continues (largest overlap, matched greedily one to
   * one), or −1. Why: ids are arbitrary per release, so "stayed" means "stayed in the segment
   * that continues yours", not "kept the same id".
   */
  continues: number[];
  stayed: number;
  moved: number;
  /** Customers whose segment changed, when ids were given. */
  movedIds: string[];
}

/**
 * Compares the segment of each customer under the previous and the next model version (same
 * customers, same order). Pure and local: the member's own report, nothing leaves the machine.
 */
export function membershipChanges(previous: ArrayLike<number>, next: ArrayLike<number>, kPrevious: number, kNext: number, ids?: readonly string[]): MembershipChanges {
  if (previous.length !== next.length || (ids && ids.length !== previous.length)) {
    throw new ConsortError('INVALID_ARGUMENT', `the two scorings cover ${previous.length} and ${next.length} customers${ids ? ` (${ids.length} ids)` : ''}; score the same customer file with both model versions`);
  }
  const matrix = Array.from({ length: kPrevious }, () => new Array<number>(kNext).fill(0));
  for (let i = 0; i < previous.length; i++) {
    const a = previous[i];
    const b = next[i];
    if (!Number.isInteger(a) || a < 0 || a >= kPrevious || !Number.isInteger(b) || b < 0 || b >= kNext) {
      throw new ConsortError('INVALID_ARGUMENT', `customer ${ids?.[i] ?? i + 1} has segments ${a} → ${b}, outside 0..${kPrevious - 1} → 0..${kNext - 1}; pass each version's k`);
    }
    matrix[a][b]++;
  }
  const cells: [number, number, number][] = [];
  matrix.forEach((row, a) => row.forEach((n, b) => { if (n > 0) cells.push([n, a, b]); }));
  cells.sort((x, y) => y[0] - x[0] || x[1] - y[1] || x[2] - y[2]);
  const continues = new Array<number>(kNext).fill(-1);
  const takenOld = new Set<number>();
  for (const [, a, b] of cells) {
    if (continues[b] >= 0 || takenOld.has(a)) continue;
    continues[b] = a;
    takenOld.add(a);
  }
  let stayed = 0;
  const movedIds: string[] = [];
  for (let i = 0; i < previous.length; i++) {
    if (continues[next[i]] === previous[i]) stayed++;
    else if (ids) movedIds.push(ids[i]);
  }
  return { matrix, total: previous.length, continues, stayed, moved: previous.length - stayed, movedIds };
}

/** A markdown transition table (rows: previous segments, columns: next), with names when given. */
export function formatMembershipChanges(c: MembershipChanges, previousNames?: readonly string[], nextNames?: readonly string[]): string {
  const pn = (a: number) => previousNames?.[a] ?? `segment ${a}`;
  const nn = (b: number) => nextNames?.[b] ?? `segment ${b}`;
  const kNext = c.matrix[0]?.length ?? 0;
  const lines = [
    `${c.stayed} of ${c.total} customers stayed in their segment (${c.total ? ((c.stayed / c.total) * 100).toFixed(1) : '0.0'} %), ${c.moved} moved.`,
    '',
    `| previous \\ next | ${Array.from({ length: kNext }, (_, b) => nn(b)).join(' | ')} |`,
    `|---|${'---|'.repeat(kNext)}`,
    ...c.matrix.map((row, a) => `| ${pn(a)} | ${row.join(' | ')} |`),
  ];
  return lines.join('\n');
}
