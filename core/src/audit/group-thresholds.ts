// Applying a per-group thresholds plan: a member finds each row's group and threshold, and the next audit measures the plan on its own released histograms.
import { ConsortError } from '../errors/consort-error.ts';
import { scoreBin } from '../metrics/auc.ts';
import { groupIndex } from './layout.ts';
import { operatingPoint, type GroupThresholdPlan, type OperatingPoint } from './mitigation.ts';
import type { AuditAggregates, AuditAttribute, SuppressionReason } from './types.ts';

/** What a member and the next audit read of a per-group thresholds plan (the record `consort-audit mitigate` writes). */
export interface ThresholdPlanRecord {
  kind: 'per-group-thresholds';
  fromModelVersionId: string;
  grouping: string;
  /** The grouping's attributes as the audit policy resolved them: columns, bands and groups place a row. */
  attributes: AuditAttribute[];
  plan: GroupThresholdPlan;
  caveat: string;
}

/** Why a row gets the plan's common threshold: a blank group value, a value outside the audited groups, or a group the plan has no threshold for (withheld in the report). */
export type GroupMiss = 'missing' | 'unknown' | 'suppressed';

/** A row's threshold under a plan: its group's, or the common one (then `miss` says why). */
export interface RowThreshold {
  /** Bin edge k: the row is selected when its score falls in bin k or above (score ≥ k / bins, as the audit histograms count it). */
  edge: number;
  threshold: number;
  group: string[] | null;
  miss: GroupMiss | null;
}

function bad(source: string, field: string, what: string): ConsortError {
  return new ConsortError('INVALID_ARGUMENT', `${source}: field "${field}" ${what}; write the plan again with consort-audit mitigate --out <file>`, { file: source, field });
}

/** The bin edge k of a threshold on `bins` bins, or -1 when the threshold is not one (k / bins within 1e-9). */
export function thresholdEdge(threshold: number, bins: number): number {
  const k = Math.round(threshold * bins);
  return Number.isFinite(threshold) && k >= 0 && k <= bins && Math.abs(threshold * bins - k) < 1e-9 ? k : -1;
}

function checkAttribute(a: unknown, i: number, source: string): AuditAttribute {
  const f = `attributes[${i}]`;
  const x = a as Partial<AuditAttribute> | null;
  if (typeof x !== 'object' || x === null) throw bad(source, f, 'must be an attribute object');
  for (const k of ['name', 'column'] as const) if (typeof x[k] !== 'string' || x[k] === '') throw bad(source, `${f}.${k}`, 'must be a non-empty string');
  if (x.kind !== 'categorical' && x.kind !== 'banded') throw bad(source, `${f}.kind`, 'must be "categorical" or "banded"');
  if (!Array.isArray(x.groups) || x.groups.length === 0 || !x.groups.every((g) => typeof g === 'string')) throw bad(source, `${f}.groups`, 'must be a non-empty list of group names');
  if (!Array.isArray(x.bands) || !x.bands.every((b) => typeof b === 'number' && Number.isFinite(b))) throw bad(source, `${f}.bands`, 'must be a list of numbers');
  if (x.kind === 'banded' && (x.bands.length + 1 !== x.groups.length || x.bands.some((b, j) => j > 0 && !(b > x.bands![j - 1])))) {
    throw bad(source, `${f}.bands`, 'must be ascending edges, one fewer than the groups');
  }
  return { name: x.name!, column: x.column!, kind: x.kind, bands: x.bands, groups: x.groups, reference: typeof x.reference === 'string' ? x.reference : null };
}

/**
 * Checks a per-group thresholds plan read from a file, naming the first malformed field
 * (INVALID_ARGUMENT). A plan written before plans carried their attributes' columns and bands is
 * refused with what to do: it cannot place a row.
 */
export function parseThresholdPlan(json: unknown, source: string): ThresholdPlanRecord {
  const r = json as Partial<ThresholdPlanRecord> | null;
  if (typeof r !== 'object' || r === null) throw bad(source, '(top level)', 'must be a JSON object');
  if (r.kind !== 'per-group-thresholds') throw bad(source, 'kind', `is ${JSON.stringify(r.kind)}, not "per-group-thresholds" (reweighing plans are for training, not scoring)`);
  if (typeof r.fromModelVersionId !== 'string' || r.fromModelVersionId === '') throw bad(source, 'fromModelVersionId', 'must name the model version the plan was made for');
  if (typeof r.grouping !== 'string') throw bad(source, 'grouping', 'must be the grouping id');
  if (r.attributes === undefined) {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: field "attributes" is missing: the plan was written by an older consort-audit and does not say which columns and bands place a row in a group; plan again with consort-audit mitigate`, { file: source, field: 'attributes' });
  }
  if (!Array.isArray(r.attributes) || r.attributes.length === 0) throw bad(source, 'attributes', 'must be a non-empty list');
  const attributes = r.attributes.map((a, i) => checkAttribute(a, i, source));
  const p = r.plan as Partial<GroupThresholdPlan> | undefined;
  if (typeof p !== 'object' || p === null) throw bad(source, 'plan', 'must be an object');
  const bins = p.histogramBins;
  if (!(typeof bins === 'number' && Number.isInteger(bins) && bins >= 1)) {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: field "plan.histogramBins" is ${p.histogramBins === undefined ? 'missing (a plan written by an older consort-audit)' : 'not a whole number ≥ 1'}; plan again with consort-audit mitigate`, { file: source, field: 'plan.histogramBins' });
  }
  if (typeof p.commonThreshold !== 'number' || thresholdEdge(p.commonThreshold, bins) < 0) throw bad(source, 'plan.commonThreshold', `must be a bin edge k/${bins} in [0, 1]`);
  if (typeof p.target !== 'object' || p.target === null || (p.target.metric !== 'tpr' && p.target.metric !== 'selectionRate')) throw bad(source, 'plan.target.metric', 'must be "tpr" or "selectionRate"');
  if (!Array.isArray(p.groups)) throw bad(source, 'plan.groups', 'must be a list');
  p.groups.forEach((g, i) => {
    const f = `plan.groups[${i}]`;
    if (typeof g !== 'object' || g === null) throw bad(source, f, 'must be an object');
    if (!Array.isArray(g.key) || g.key.length !== attributes.length || !g.key.every((v, j) => attributes[j].groups.includes(v))) {
      throw bad(source, `${f}.key`, `must name one group of each attribute (${attributes.map((a) => a.name).join(', ')})`);
    }
    if (typeof g.threshold !== 'number' || thresholdEdge(g.threshold, bins) < 0) throw bad(source, `${f}.threshold`, `must be a bin edge k/${bins} in [0, 1]`);
  });
  if (typeof r.caveat !== 'string') throw bad(source, 'caveat', 'must be the plan\'s caveat text');
  return { kind: r.kind, fromModelVersionId: r.fromModelVersionId, grouping: r.grouping, attributes, plan: p as GroupThresholdPlan, caveat: r.caveat };
}

/** A function giving each row's threshold under a (checked) plan; group lookup is the audit's own (groupIndex). */
export function thresholdLookup(record: ThresholdPlanRecord): (values: Record<string, string | number | null | undefined>) => RowThreshold {
  const bins = record.plan.histogramBins;
  const byKey = new Map(record.plan.groups.map((g) => [JSON.stringify(g.key), g.threshold]));
  const common = record.plan.commonThreshold;
  const fallback = (miss: GroupMiss, group: string[] | null): RowThreshold => ({ edge: thresholdEdge(common, bins), threshold: common, group, miss });
  return (values) => {
    const key: string[] = [];
    for (const a of record.attributes) {
      const raw = values[a.column];
      const g = groupIndex(a, typeof raw === 'string' ? raw.trim() : raw);
      if (g < 0) return fallback(raw === null || raw === undefined || String(raw).trim() === '' ? 'missing' : 'unknown', null);
      key.push(a.groups[g]);
    }
    const t = byKey.get(JSON.stringify(key));
    return t === undefined ? fallback('suppressed', key) : { edge: thresholdEdge(t, bins), threshold: t, group: key, miss: null };
  };
}

/** 1 when a score is selected at bin edge `edge` of `bins` bins (its histogram bin is `edge` or above), else 0: the audit's own rule, so measured rates apply exactly. */
export function thresholdDecision(score: number, edge: number, bins: number): 0 | 1 {
  return scoreBin(score, bins) >= edge ? 1 : 0;
}

/** One group's rates in this audit's released histograms, at the common threshold and at the plan's. */
export interface MeasuredGroup {
  key: string[];
  /** The plan's threshold for the group, or the common one when the plan has none (as members apply it). */
  threshold: number;
  inPlan: boolean;
  n: number | null;
  before: OperatingPoint | null;
  after: OperatingPoint | null;
  /** Why this audit withholds the cell (no rates then). */
  withheld: SuppressionReason | null;
}

/** The effect of a thresholds plan measured on this version's released histograms (exact: thresholds are bin edges). */
export interface MeasuredThresholdEffect {
  grouping: string;
  metric: 'tpr' | 'selectionRate';
  commonThreshold: number;
  groups: MeasuredGroup[];
  /** Over the released cells: accuracy and selection rate before/after, and the targeted metric's max − min before/after. */
  overall: { n: number; accuracyBefore: number; accuracyAfter: number; selectionRateBefore: number; selectionRateAfter: number; spreadBefore: number; spreadAfter: number } | null;
  /** Why nothing could be measured (the grouping is not in this audit, or the thresholds are not its bin edges); null when measured. */
  unavailable: string | null;
}

const strip = ({ threshold, selectionRate, tpr, fpr, accuracy }: OperatingPoint): OperatingPoint => ({ threshold, selectionRate, tpr, fpr, accuracy });

/**
 * Measures a per-group thresholds plan on an audit's released aggregates: per cell of the plan's
 * grouping, the rates at the plan's common threshold and at the group's own (the common one for a
 * group the plan has none for), from the score histograms. Pure and deterministic: the verifier
 * recomputes it bit for bit. Never throws on a plan that does not fit: says why in `unavailable`.
 */
export function measureThresholdPlan(aggregates: AuditAggregates, record: Pick<ThresholdPlanRecord, 'grouping' | 'plan'>): MeasuredThresholdEffect {
  const { plan } = record;
  const metric = plan.target.metric;
  const empty = (why: string): MeasuredThresholdEffect => ({ grouping: record.grouping, metric, commonThreshold: plan.commonThreshold, groups: [], overall: null, unavailable: why });
  const g = aggregates.groupings.find((x) => x.id === record.grouping && !x.controlled);
  if (!g) return empty(`this audit has no grouping "${record.grouping}"`);
  if (aggregates.model.kind !== 'binary') return empty('this audit is of a segmentation model');
  const B = aggregates.histogramBins;
  const common = thresholdEdge(plan.commonThreshold, B);
  const edges = new Map(plan.groups.map((x) => [JSON.stringify(x.key), { t: x.threshold, k: thresholdEdge(x.threshold, B) }]));
  if (common < 0 || [...edges.values()].some((e) => e.k < 0)) return empty(`the plan's thresholds are not bin edges of this audit's ${B} histogram bins`);
  let n = 0; let tpB = 0; let fpB = 0; let tpA = 0; let fpA = 0; let pos = 0;
  const groups: MeasuredGroup[] = g.cells.map((c) => {
    const own = edges.get(JSON.stringify(c.key));
    const threshold = own ? own.t : plan.commonThreshold;
    if (c.histPos === null || c.histNeg === null || !c.n) {
      return { key: c.key, threshold, inPlan: own !== undefined, n: c.n, before: null, after: null, withheld: c.suppressed };
    }
    const before = operatingPoint(c.histPos, c.histNeg, common);
    const after = operatingPoint(c.histPos, c.histNeg, own ? own.k : common);
    n += before.n; pos += before.pos; tpB += before.tp; fpB += before.fp; tpA += after.tp; fpA += after.fp;
    return { key: c.key, threshold, inPlan: own !== undefined, n: c.n, before: strip(before), after: strip(after), withheld: null };
  });
  if (n === 0) return { ...empty('every cell of the grouping is withheld or empty in this audit'), groups };
  const spread = (side: 'before' | 'after') => {
    const v = groups.map((x) => x[side]?.[metric] ?? null).filter((x): x is number => x !== null);
    return v.length ? Math.max(...v) - Math.min(...v) : 0;
  };
  const neg = n - pos;
  return {
    grouping: record.grouping, metric, commonThreshold: plan.commonThreshold, groups,
    overall: {
      n,
      accuracyBefore: (tpB + neg - fpB) / n, accuracyAfter: (tpA + neg - fpA) / n,
      selectionRateBefore: (tpB + fpB) / n, selectionRateAfter: (tpA + fpA) / n,
      spreadBefore: spread('before'), spreadAfter: spread('after'),
    },
    unavailable: null,
  };
}
