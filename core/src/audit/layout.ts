// The audit vector: its layout from the policy, a member's integer vector from its rows, and the decoded sum.
import { ConsortError } from '../errors/consort-error.ts';
import { exactAuc, scoreBin } from '../metrics/auc.ts';
import type {
  AuditAggregates, AuditAttribute, AuditLayout, AuditPolicy, AuditRow, CellAggregate, CellSlots, Grouping, SuppressionReason,
} from './types.ts';

/** What is audited: a scored binary model (default) or a segmentation model with k segments. */
export type AuditModelKind = AuditLayout['model'];

function cartesian(lists: string[][]): string[][] {
  let out: string[][] = [[]];
  for (const list of lists) out = out.flatMap((prefix) => list.map((v) => [...prefix, v]));
  return out;
}

/**
 * The flat vector layout every member and the coordinator derive from the policy alone:
 * [members indicator, parity histogram (bins + 1 for "undefined"), then per grouping (each
 * attribute, each intersection, then the same within the control if any) and per cell: confusion
 * TP/FP/TN/FN per threshold, the histogram by label (negatives then positives), a members
 * indicator — or, for a segmentation model, the segment counts and the members indicator].
 */
export function buildAuditLayout(policy: AuditPolicy, model: AuditModelKind = { kind: 'binary' }): AuditLayout {
  if (model.kind === 'segmentation' && !(Number.isInteger(model.segments) && model.segments >= 1)) {
    throw new ConsortError('INVALID_ARGUMENT', `audit layout: a segmentation model needs a segment count ≥ 1, got ${model.segments}`, { field: 'segments' });
  }
  const byName = new Map(policy.attributes.map((a) => [a.name, a]));
  const base: Array<{ id: string; attributes: string[] }> = [
    ...policy.attributes.map((a) => ({ id: a.name, attributes: [a.name] })),
    ...policy.intersections.map((t) => ({ id: t.join('×'), attributes: t })),
  ];
  const groupings: Grouping[] = base.map((b) => ({ ...b, controlled: false, cells: cartesian(b.attributes.map((n) => byName.get(n)!.groups)) }));
  if (policy.control) {
    const control = policy.control;
    for (const b of base) {
      groupings.push({
        id: `${b.id}|${control.name}`,
        attributes: b.attributes,
        controlled: true,
        cells: cartesian([...b.attributes.map((n) => byName.get(n)!.groups), control.groups]),
      });
    }
  }
  const parityBins = policy.memberParity.bins;
  let offset = 1 + parityBins + 1;
  const T = policy.thresholds.length;
  const B = policy.histogramBins;
  const slots: CellSlots[][] = groupings.map((g) => g.cells.map(() => {
    let s: CellSlots;
    if (model.kind === 'binary') {
      s = { confusion: offset, histogram: offset + 4 * T, members: offset + 4 * T + 2 * B, segments: -1 };
      offset += 4 * T + 2 * B + 1;
    } else {
      s = { confusion: -1, histogram: -1, segments: offset, members: offset + model.segments };
      offset += model.segments + 1;
    }
    return s;
  }));
  return {
    model,
    thresholds: [...policy.thresholds],
    histogramBins: B,
    parity: { metric: policy.memberParity.metric, bins: parityBins, offset: 1 },
    groupings,
    slots,
    length: offset,
    attributes: policy.attributes,
    control: policy.control,
  };
}

/** Group index of a raw value for an attribute, or -1 when the value is missing or not audited. */
export function groupIndex(attribute: AuditAttribute, raw: string | number | null | undefined): number {
  if (raw === null || raw === undefined || raw === '') return -1;
  if (attribute.kind === 'categorical') return attribute.groups.indexOf(String(raw));
  const x = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(x)) return -1;
  // Band i holds edges[i-1] ≤ x < edges[i].
  let i = 0;
  while (i < attribute.bands.length && x >= attribute.bands[i]) i++;
  return i;
}

/** Columns the audit reads that a member's data lacks (check before building the vector). */
export function missingAuditColumns(layout: AuditLayout, columns: string[]): string[] {
  const needed = [...layout.attributes.map((a) => a.column), ...(layout.control ? [layout.control.column] : [])];
  return [...new Set(needed)].filter((c) => !columns.includes(c));
}

/**
 * Refuses aggregates not made under this policy's layout (other thresholds, bins, groupings or
 * groups): metrics computed from them would be meaningless.
 */
export function checkAggregatesMatchPolicy(aggregates: AuditAggregates, policy: AuditPolicy): void {
  const layout = buildAuditLayout(policy, aggregates.model);
  const shape = (ids: string[], cells: string[][][]) => JSON.stringify([ids, cells]);
  const expected = shape(layout.groupings.map((g) => g.id), layout.groupings.map((g) => g.cells));
  const actual = shape(aggregates.groupings.map((g) => g.id), aggregates.groupings.map((g) => g.cells.map((c) => c.key)));
  const same = expected === actual
    && JSON.stringify(aggregates.thresholds) === JSON.stringify(layout.thresholds)
    && aggregates.histogramBins === layout.histogramBins
    && aggregates.parity.bins.length === layout.parity.bins
    && aggregates.parity.metric === layout.parity.metric;
  if (!same) reject('the aggregates were not made under this policy (groupings, groups, thresholds or bins differ)', {});
}

function checkRow(row: AuditRow, i: number, layout: AuditLayout): void {
  if (layout.model.kind === 'binary') {
    if (typeof row.score !== 'number' || !(row.score >= 0 && row.score <= 1)) {
      throw new ConsortError('DATA_INVALID', `audit row ${i}: score must be a number in [0, 1], got ${JSON.stringify(row.score)}`, { row: i, field: 'score' });
    }
    if (row.label !== 0 && row.label !== 1) throw new ConsortError('DATA_INVALID', `audit row ${i}: label must be 0 or 1, got ${JSON.stringify(row.label)}`, { row: i, field: 'label' });
  } else if (!(Number.isInteger(row.segment) && row.segment! >= 0 && row.segment! < layout.model.segments)) {
    throw new ConsortError('DATA_INVALID', `audit row ${i}: segment must be an integer in [0, ${layout.model.segments}), got ${JSON.stringify(row.segment)}`, { row: i, field: 'segment' });
  }
}

/**
 * What one member sends to the secure sum: non-negative integer counts over its held-out rows,
 * in the layout's order. A row with a missing or unlisted group value is left out of the
 * groupings that need that attribute (and counted in the others).
 */
export function memberAuditVector(rows: AuditRow[], layout: AuditLayout): number[] {
  const v = new Array<number>(layout.length).fill(0);
  const attrIndex = new Map(layout.attributes.map((a, i) => [a.name, i]));
  const touched = layout.slots.map((cells) => new Uint8Array(cells.length));
  const T = layout.thresholds.length;
  const B = layout.histogramBins;
  const scores: number[] = [];
  const labels: number[] = [];
  rows.forEach((row, i) => {
    checkRow(row, i, layout);
    const groups = layout.attributes.map((a) => groupIndex(a, row.values[a.column]));
    const control = layout.control ? layout.control.groups.indexOf(String(row.values[layout.control.column] ?? '')) : -1;
    if (layout.model.kind === 'binary') { scores.push(row.score!); labels.push(row.label!); }
    layout.groupings.forEach((g, gi) => {
      let cell = 0;
      for (const name of g.attributes) {
        const a = attrIndex.get(name)!;
        if (groups[a] < 0) return;
        cell = cell * layout.attributes[a].groups.length + groups[a];
      }
      if (g.controlled) {
        if (control < 0) return;
        cell = cell * layout.control!.groups.length + control;
      }
      const s = layout.slots[gi][cell];
      touched[gi][cell] = 1;
      if (layout.model.kind === 'binary') {
        const positive = row.label === 1;
        for (let t = 0; t < T; t++) {
          const predicted = row.score! >= layout.thresholds[t];
          v[s.confusion + 4 * t + (positive ? (predicted ? 0 : 3) : (predicted ? 1 : 2))]++;
        }
        v[s.histogram + (positive ? B : 0) + scoreBin(row.score!, B)]++;
      } else {
        v[s.segments + row.segment!]++;
      }
    });
  });
  v[0] = 1;
  layout.slots.forEach((cells, gi) => cells.forEach((s, ci) => { v[s.members] = touched[gi][ci]; }));
  // Member parity: this member's own AUC or accuracy lands in one anonymous bin.
  let parity = NaN;
  if (layout.model.kind === 'binary' && rows.length > 0) {
    if (layout.parity.metric === 'auc') parity = exactAuc(scores, labels);
    else parity = scores.reduce((acc, s, i) => acc + (((s >= layout.thresholds[0]) ? 1 : 0) === labels[i] ? 1 : 0), 0) / rows.length;
  }
  const bins = layout.parity.bins;
  v[layout.parity.offset + (Number.isFinite(parity) ? Math.min(bins - 1, Math.floor(parity * bins)) : bins)]++;
  return v;
}

function reject(message: string, details: Record<string, unknown>): never {
  throw new ConsortError('AGGREGATE_REJECTED', `audit aggregate: ${message}`, details);
}

/**
 * The summed vector decoded into named tensors, with consistency checks a malformed sum fails
 * (confusion totals equal to the histogram totals, members per cell ≤ members in the sum).
 * `exactConfusion: false` leaves out the first check, for noisy sums (dp-release.ts).
 */
export function decodeAuditAggregates(sum: ArrayLike<number>, layout: AuditLayout, o: { exactConfusion?: boolean } = {}): AuditAggregates {
  const exactConfusion = o.exactConfusion ?? true;
  if (sum.length !== layout.length) reject(`length ${sum.length}, the layout has ${layout.length}`, { length: sum.length });
  for (let i = 0; i < sum.length; i++) if (!(Number.isSafeInteger(sum[i]) && sum[i] >= 0)) reject(`element ${i} is ${sum[i]}, not a non-negative integer`, { index: i });
  const members = sum[0];
  const B = layout.histogramBins;
  const groupings = layout.groupings.map((g, gi) => ({
    id: g.id,
    attributes: g.attributes,
    controlled: g.controlled,
    cells: g.cells.map((key, ci): CellAggregate => {
      const s = layout.slots[gi][ci];
      const cellMembers = sum[s.members];
      if (cellMembers > members) reject(`cell ${g.id} ${key.join(',')} has ${cellMembers} members of ${members}`, { grouping: g.id });
      if (layout.model.kind === 'binary') {
        const histNeg = Array.from({ length: B }, (_, b) => sum[s.histogram + b]);
        const histPos = Array.from({ length: B }, (_, b) => sum[s.histogram + B + b]);
        const pos = histPos.reduce((a, b) => a + b, 0);
        const neg = histNeg.reduce((a, b) => a + b, 0);
        const confusion = layout.thresholds.map((threshold, t) => {
          const o = s.confusion + 4 * t;
          const c = { threshold, tp: sum[o], fp: sum[o + 1], tn: sum[o + 2], fn: sum[o + 3] };
          if (exactConfusion && (c.tp + c.fn !== pos || c.fp + c.tn !== neg)) reject(`cell ${g.id} ${key.join(',')}: confusion counts at ${threshold} do not match its histogram`, { grouping: g.id });
          return c;
        });
        return { key, members: cellMembers, n: pos + neg, confusion, histNeg, histPos, segments: null, suppressed: null };
      }
      const segments = Array.from({ length: layout.model.segments }, (_, k) => sum[s.segments + k]);
      return { key, members: cellMembers, n: segments.reduce((a, b) => a + b, 0), confusion: null, histNeg: null, histPos: null, segments, suppressed: null };
    }),
  }));
  const bins = Array.from({ length: layout.parity.bins }, (_, b) => sum[layout.parity.offset + b]);
  const undef = sum[layout.parity.offset + layout.parity.bins];
  if (bins.reduce((a, b) => a + b, undef) !== members) reject(`member-parity counts sum to ${bins.reduce((a, b) => a + b, undef)}, not ${members} members`, {});
  return { members, model: layout.model, thresholds: [...layout.thresholds], histogramBins: B, groupings, parity: { metric: layout.parity.metric, bins, undefined: undef } };
}

/**
 * The aggregates as released in a report. Primary suppression: a cell with rows but fewer than
 * minCellCount of them, or rows from fewer than minMembers members, loses its tensors and its n
 * (its members count stays). Empty cells hold nothing to protect and stay (n = 0).
 * Complementary suppression: a withheld cell must not be derivable by subtraction, so in every
 * additive relation between released cells (the cells of a grouping or control stratum add up to
 * its total; the cells of an intersection or a controlled grouping add up to a cell of a coarser
 * grouping) a lone withheld cell takes a second one with it: the smallest released child, the
 * reference group last. Repeated until no relation has exactly one withheld cell. Idempotent,
 * so metrics computed from the full sum and from the released form are identical.
 */
export function releaseAggregates(aggregates: AuditAggregates, policy: AuditPolicy): AuditAggregates {
  const cells = aggregates.groupings.map((g) => g.cells.map((c): CellAggregate => {
    if (c.suppressed || c.n === 0) return c;
    const reason = c.n! < policy.minCellCount ? 'below-min-cell-count' : c.members < policy.minMembers ? 'below-min-members' : null;
    return reason ? withhold(c, reason) : c;
  }));
  const relations = additiveRelations(aggregates);
  const references = aggregates.groupings.map((g) => g.attributes.map((n) => policy.attributes.find((a) => a.name === n)?.reference ?? null));
  const isReference = (gi: number, ci: number) => references[gi].every((r, k) => r !== null && cells[gi][ci].key[k] === r);
  for (let changed = true; changed;) {
    changed = false;
    for (const { children, parent } of relations) {
      const members = parent ? [...children, parent] : children;
      if (members.filter(([gi, ci]) => cells[gi][ci].suppressed !== null).length !== 1) continue;
      const open = children.filter(([gi, ci]) => cells[gi][ci].suppressed === null && cells[gi][ci].n! > 0);
      open.sort((a, b) => Number(isReference(...a)) - Number(isReference(...b)) || cells[a[0]][a[1]].n! - cells[b[0]][b[1]].n!);
      const pick = open[0] ?? (parent && cells[parent[0]][parent[1]].suppressed === null ? parent : undefined);
      if (!pick) continue;
      cells[pick[0]][pick[1]] = withhold(cells[pick[0]][pick[1]], 'complementary');
      changed = true;
    }
  }
  // With fewer than minMembers members the parity distribution would come close to naming them.
  const parity = aggregates.members >= policy.minMembers || aggregates.parity.withheld
    ? aggregates.parity
    : { metric: aggregates.parity.metric, bins: aggregates.parity.bins.map(() => 0), undefined: 0, withheld: true };
  return { ...aggregates, parity, groupings: aggregates.groupings.map((g, gi) => ({ ...g, cells: cells[gi] })) };
}

function withhold(c: CellAggregate, reason: SuppressionReason): CellAggregate {
  return { key: c.key, members: c.members, n: null, confusion: null, histNeg: null, histPos: null, segments: null, suppressed: reason };
}

type CellRef = [number, number];

/** Sets of cells whose tensors add up to a known total (no parent) or to a parent cell. */
function additiveRelations(aggregates: AuditAggregates): Array<{ children: CellRef[]; parent: CellRef | null }> {
  const relations: Array<{ children: CellRef[]; parent: CellRef | null }> = [];
  const index = new Map<string, CellRef>();
  const gkey = (attributes: string[], controlled: boolean) => `${attributes.join('\u0001')}|${controlled}`;
  const byShape = new Map<string, number>();
  aggregates.groupings.forEach((g, gi) => {
    byShape.set(gkey(g.attributes, g.controlled), gi);
    g.cells.forEach((c, ci) => index.set(`${gi}\u0000${c.key.join('\u0001')}`, [gi, ci]));
  });
  aggregates.groupings.forEach((g, gi) => {
    // Totals: the grouping's cells (per control stratum) add up to a total known from other groupings.
    const strata = new Map<string, CellRef[]>();
    g.cells.forEach((c, ci) => {
      const s = g.controlled ? c.key[c.key.length - 1] : '';
      if (!strata.has(s)) strata.set(s, []);
      strata.get(s)!.push([gi, ci]);
    });
    for (const children of strata.values()) relations.push({ children, parent: null });
    // Parents: drop one attribute (or the control) and find the coarser grouping's cell.
    const coarser: Array<{ keep: number[]; attributes: string[]; controlled: boolean }> = [];
    const n = g.attributes.length;
    if (g.controlled) coarser.push({ keep: Array.from({ length: n }, (_, k) => k), attributes: g.attributes, controlled: false });
    if (n > 1) {
      for (let drop = 0; drop < n; drop++) {
        const keep = Array.from({ length: n }, (_, k) => k).filter((k) => k !== drop);
        if (g.controlled) keep.push(n);
        coarser.push({ keep, attributes: g.attributes.filter((_, k) => k !== drop), controlled: g.controlled });
      }
    }
    for (const c of coarser) {
      const pgi = byShape.get(gkey(c.attributes, c.controlled));
      if (pgi === undefined) continue;
      const groups = new Map<string, CellRef[]>();
      g.cells.forEach((cell, ci) => {
        const pk = c.keep.map((k) => cell.key[k]).join('\u0001');
        if (!groups.has(pk)) groups.set(pk, []);
        groups.get(pk)!.push([gi, ci]);
      });
      for (const [pk, children] of groups) {
        const parent = index.get(`${pgi}\u0000${pk}`);
        if (parent) relations.push({ children, parent });
      }
    }
  });
  return relations;
}
