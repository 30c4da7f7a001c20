// Mitigation a member can apply: reweighing weights (Kamiran & Calders 2012) and per-group thresholds from the histograms.
import { ConsortError } from '../errors/consort-error.ts';
import { groupIndex } from './layout.ts';
import type { AuditAggregates, AuditAttribute, AuditPolicy, AuditRow } from './types.ts';

/** Rows of one group by true label: what one secure round of group × label counts reveals. */
export interface GroupLabelCounts {
  key: string[];
  negatives: number;
  positives: number;
}

/** Group × label counts of a grouping, read from the audit aggregates' histograms (cells without tensors are left out). */
export function groupLabelCounts(aggregates: AuditAggregates, groupingId: string): GroupLabelCounts[] {
  const g = aggregates.groupings.find((x) => x.id === groupingId);
  if (!g) throw new ConsortError('INVALID_ARGUMENT', `mitigation: no grouping "${groupingId}" (have ${aggregates.groupings.map((x) => x.id).join(', ')})`, { field: 'grouping' });
  return g.cells
    .filter((c) => c.histPos !== null && c.histNeg !== null)
    .map((c) => ({ key: c.key, negatives: c.histNeg!.reduce((a, b) => a + b, 0), positives: c.histPos!.reduce((a, b) => a + b, 0) }));
}

/**
 * The reweighing round's vector layout: for each cell of the chosen attributes (an attribute or
 * an intersection) its negatives, positives and a contributing-member indicator. Much smaller
 * than the audit vector when only reweighing is run.
 */
export interface ReweighingLayout {
  attributes: AuditAttribute[];
  cells: string[][];
  length: number;
}

export function buildReweighingLayout(policy: AuditPolicy, attributeNames: string[]): ReweighingLayout {
  const attributes = attributeNames.map((n) => {
    const a = policy.attributes.find((x) => x.name === n);
    if (!a) throw new ConsortError('INVALID_ARGUMENT', `reweighing: "${n}" is not a policy attribute (${policy.attributes.map((x) => x.name).join(', ')})`, { field: 'attributes' });
    return a;
  });
  let cells: string[][] = [[]];
  for (const a of attributes) cells = cells.flatMap((prefix) => a.groups.map((g) => [...prefix, g]));
  return { attributes, cells, length: 3 * cells.length };
}

/** Cell index of a row in the reweighing layout, or -1 when a group value is missing or not audited. */
export function reweighingCell(layout: ReweighingLayout, row: Pick<AuditRow, 'values'>): number {
  let cell = 0;
  for (const a of layout.attributes) {
    const g = groupIndex(a, row.values[a.column]);
    if (g < 0) return -1;
    cell = cell * a.groups.length + g;
  }
  return cell;
}

/** A member's group × label counts (and contributing indicators) for the reweighing round's secure sum. */
export function memberGroupLabelVector(rows: Array<Pick<AuditRow, 'values' | 'label'>>, layout: ReweighingLayout): number[] {
  const v = new Array<number>(layout.length).fill(0);
  rows.forEach((row, i) => {
    if (row.label !== 0 && row.label !== 1) throw new ConsortError('DATA_INVALID', `reweighing row ${i}: label must be 0 or 1, got ${JSON.stringify(row.label)}`, { row: i, field: 'label' });
    const c = reweighingCell(layout, row);
    if (c < 0) return;
    v[3 * c + row.label]++;
    v[3 * c + 2] = 1;
  });
  return v;
}

/** The summed reweighing vector as group × label counts (with contributing members per cell). */
export function decodeGroupLabelCounts(sum: ArrayLike<number>, layout: ReweighingLayout): Array<GroupLabelCounts & { members: number }> {
  if (sum.length !== layout.length) throw new ConsortError('AGGREGATE_REJECTED', `reweighing sum: length ${sum.length}, the layout has ${layout.length}`, {});
  return layout.cells.map((key, c) => ({ key, negatives: sum[3 * c], positives: sum[3 * c + 1], members: sum[3 * c + 2] }));
}

/** The weight of one training row under a plan (1 for a row outside every audited group). */
export function rowWeight(plan: Pick<ReweighingPlan, 'weights'>, layout: ReweighingLayout, row: Pick<AuditRow, 'values' | 'label'>): number {
  const c = reweighingCell(layout, row);
  if (c < 0) return 1;
  const w = plan.weights[c];
  return row.label === 1 ? w.positive : w.negative;
}

export interface ReweighingPlan {
  /** Weight of a training row by its group and label. */
  weights: Array<{ key: string[]; negative: number; positive: number }>;
  /** Base rate every group has once weighted (the overall base rate). */
  weightedBaseRate: number;
  /** Trade-offs: Kish effective sample size (Σw)²/Σw² against the row count, and the largest weight. */
  rows: number;
  effectiveRows: number;
  maxWeight: number;
  convention: string;
}

/**
 * Reweighing (Kamiran & Calders 2012, "Data preprocessing techniques for classification
 * without discrimination"): w(g, y) = n_g · n_y / (N · n_{g,y}), so that group and label are
 * independent in the weighted data. A group × label cell with no rows gets weight 0.
 */
export function reweighingWeights(counts: GroupLabelCounts[]): ReweighingPlan {
  const N = counts.reduce((a, c) => a + c.negatives + c.positives, 0);
  if (N === 0) throw new ConsortError('DATA_INVALID', 'reweighing: the group × label counts are all zero', {});
  const pos = counts.reduce((a, c) => a + c.positives, 0);
  const neg = N - pos;
  let sumW = 0;
  let sumW2 = 0;
  let maxWeight = 0;
  const weights = counts.map((c) => {
    const ng = c.negatives + c.positives;
    const positive = c.positives > 0 ? (ng * pos) / (N * c.positives) : 0;
    const negative = c.negatives > 0 ? (ng * neg) / (N * c.negatives) : 0;
    sumW += positive * c.positives + negative * c.negatives;
    sumW2 += positive * positive * c.positives + negative * negative * c.negatives;
    maxWeight = Math.max(maxWeight, positive, negative);
    return { key: c.key, negative, positive };
  });
  return {
    weights,
    weightedBaseRate: pos / N,
    rows: N,
    effectiveRows: sumW2 > 0 ? (sumW * sumW) / sumW2 : 0,
    maxWeight,
    convention: 'Kamiran & Calders reweighing: w(g, y) = n_g·n_y / (N·n_gy); members train with these row weights',
  };
}

/** Rates of one group when rows scoring at or above bin edge k/B are selected. */
export interface OperatingPoint {
  threshold: number;
  selectionRate: number | null;
  tpr: number | null;
  fpr: number | null;
  accuracy: number | null;
}

/** Rates (and raw counts) of one group's histograms when rows in bin k and above are selected: exact, thresholds being bin edges. */
export function operatingPoint(histPos: number[], histNeg: number[], k: number): OperatingPoint & { tp: number; fp: number; n: number; pos: number } {
  const B = histPos.length;
  let tp = 0;
  let fp = 0;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < B; i++) {
    pos += histPos[i];
    neg += histNeg[i];
    if (i >= k) { tp += histPos[i]; fp += histNeg[i]; }
  }
  const n = pos + neg;
  const r = (a: number, b: number) => (b > 0 ? a / b : null);
  return { threshold: k / B, selectionRate: r(tp + fp, n), tpr: r(tp, pos), fpr: r(fp, neg), accuracy: r(tp + (neg - fp), n), tp, fp, n, pos };
}

export interface GroupThresholdPlan {
  /** The common threshold every group had before (a bin edge), and the histograms' bin count (thresholds are k / histogramBins). */
  commonThreshold: number;
  histogramBins: number;
  target: { metric: 'tpr' | 'selectionRate'; value: number };
  groups: Array<{ key: string[]; threshold: number; before: OperatingPoint; after: OperatingPoint }>;
  /** Trade-offs over all rows of the grouping: accuracy and selection rate before and after, and the targeted metric's max − min. */
  overall: { accuracyBefore: number; accuracyAfter: number; selectionRateBefore: number; selectionRateAfter: number; spreadBefore: number; spreadAfter: number };
  caveat: string;
}

/**
 * Per-group thresholds from the summed histograms: for each group the bin edge whose TPR (equal
 * opportunity) or selection rate (demographic parity) is closest to the target — by default the
 * rate of all rows at the common threshold. Ties go to the higher threshold.
 */
export function groupThresholds(
  aggregates: AuditAggregates,
  groupingId: string,
  options: { metric: 'tpr' | 'selectionRate'; threshold?: number; target?: number },
): GroupThresholdPlan {
  const g = aggregates.groupings.find((x) => x.id === groupingId);
  if (!g) throw new ConsortError('INVALID_ARGUMENT', `mitigation: no grouping "${groupingId}"`, { field: 'grouping' });
  if (g.controlled) throw new ConsortError('INVALID_ARGUMENT', 'mitigation: per-group thresholds are set on an uncontrolled grouping', { field: 'grouping' });
  const cells = g.cells.filter((c) => c.histPos !== null && c.histNeg !== null && c.n! > 0);
  if (cells.length === 0) throw new ConsortError('DATA_INVALID', `mitigation: grouping "${groupingId}" has no released cells`, {});
  const B = aggregates.histogramBins;
  const base = Math.round((options.threshold ?? aggregates.thresholds[0]) * B);
  const totalPos = Array.from({ length: B }, (_, i) => cells.reduce((a, c) => a + c.histPos![i], 0));
  const totalNeg = Array.from({ length: B }, (_, i) => cells.reduce((a, c) => a + c.histNeg![i], 0));
  const all = operatingPoint(totalPos, totalNeg, base);
  const target = options.target ?? all[options.metric];
  if (target === null || !Number.isFinite(target)) throw new ConsortError('DATA_INVALID', `mitigation: the ${options.metric} of all rows is undefined; give a target`, {});
  let tpA = 0; let fpA = 0; let nA = 0; let posA = 0; let tpB = 0; let fpB = 0;
  const groups = cells.map((c) => {
    const before = operatingPoint(c.histPos!, c.histNeg!, base);
    let best = before;
    let bestGap = Infinity;
    for (let k = 0; k <= B; k++) {
      const p = operatingPoint(c.histPos!, c.histNeg!, k);
      const v = p[options.metric];
      if (v === null) continue;
      const gap = Math.abs(v - target);
      if (gap <= bestGap) { best = p; bestGap = gap; }
    }
    tpB += before.tp; fpB += before.fp; tpA += best.tp; fpA += best.fp; nA += c.n!; posA += before.pos;
    const strip = ({ threshold, selectionRate, tpr, fpr, accuracy }: OperatingPoint): OperatingPoint => ({ threshold, selectionRate, tpr, fpr, accuracy });
    return { key: c.key, threshold: best.threshold, before: strip(before), after: strip(best) };
  });
  const spread = (xs: Array<number | null>) => { const v = xs.filter((x): x is number => x !== null); return v.length ? Math.max(...v) - Math.min(...v) : 0; };
  const negA = nA - posA;
  return {
    commonThreshold: base / B,
    histogramBins: B,
    target: { metric: options.metric, value: target },
    groups,
    overall: {
      accuracyBefore: (tpB + negA - fpB) / nA,
      accuracyAfter: (tpA + negA - fpA) / nA,
      selectionRateBefore: (tpB + fpB) / nA,
      selectionRateAfter: (tpA + fpA) / nA,
      spreadBefore: spread(groups.map((x) => x.before[options.metric])),
      spreadAfter: spread(groups.map((x) => x.after[options.metric])),
    },
    caveat: 'per-group thresholds use the protected attribute at decision time (disparate treatment); thresholds are histogram bin edges',
  };
}
