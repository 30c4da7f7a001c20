// Audit metrics from the summed aggregates: per group, across groups (Fairlearn, AIF360, Aequitas), checks with verdicts.
import { aucFromHistograms } from '../metrics/auc.ts';
import { bootstrapIntervals, bootstrapSeed } from './bootstrap.ts';
import { holmAdjust, katzLogInterval, katzLogSe, moverSum, newcombeInterval, normalCdf, wilsonInterval, zFor, type Interval } from './intervals.ts';
import { checkAggregatesMatchPolicy, releaseAggregates } from './layout.ts';
import type {
  AuditAggregates, AuditPolicy, AuditResult, CalibrationRow, CellAggregate, CheckMetric, CheckResult, ConfusionCounts,
  DisparityResult, GroupResult, GroupThresholdMetrics, GroupingResult, MetricValue, Verdict,
} from './types.ts';

/** What every reported number means (the report carries this table). */
export const CONVENTIONS = {
  rate: 'proportion of the group\'s rows; predicted positive means score ≥ threshold',
  fairlearnDifference: 'Fairlearn: max − min over groups (unsigned, no reference group)',
  fairlearnRatio: 'Fairlearn: min ÷ max over groups (no reference group)',
  aif360: 'AIF360: signed, group (unprivileged) minus or divided by the reference (privileged) group',
  aequitas: 'Aequitas: group metric ÷ reference group metric, fair when inside the band',
  auc: 'area under the ROC curve from the score histograms (pairs in one bin count half); reported when the group has minCellCount rows of each label',
  calibration: 'per calibration bin: mean score (histogram bin centres) against the observed positive rate; ECE = Σ count·|observed − predicted| / n',
  representation: 'share of the group among a segment\'s rows ÷ the group\'s share of all rows (released cells of the stratum)',
  check: 'Aequitas ratio against the band; pass when the ratio is shown inside the band (two one-sided tests), fail when shown outside, Holm-adjusted across all checks at 1 − confidenceLevel; otherwise inconclusive',
} as const;

/**
 * What a segmentation audit's representation numbers mean (added to its report's conventions only,
 * so binary reports recompute exactly as before).
 */
export const SEGMENTATION_CONVENTIONS = {
  representationInterval: 'Katz-log interval of the ratio of the two proportions (group rows in the segment ÷ segment rows, group rows ÷ all rows) treated as independent binomials; as the segment\'s rows are part of all rows the two are positively correlated, so the interval is wider than exact (conservative)',
  representationCheck: 'per group × segment: pass when the representation ratio is shown inside the band, fail when shown outside (Katz-log tests, Holm-adjusted with every other check at 1 − confidenceLevel); inconclusive when the group\'s cell is withheld, the segment has fewer than minCellCount released rows, or the interval overlaps a band edge. Thresholds, histograms, calibration and member parity of the policy do not apply to a segmentation model',
} as const;

/** Numerator and denominator of each rate from confusion counts (textbook definitions). */
export const RATES: Record<CheckMetric | 'fdr' | 'for' | 'tnr', (c: ConfusionCounts) => [number, number]> = {
  selectionRate: (c) => [c.tp + c.fp, c.tp + c.fp + c.tn + c.fn],
  tpr: (c) => [c.tp, c.tp + c.fn],
  fpr: (c) => [c.fp, c.fp + c.tn],
  fnr: (c) => [c.fn, c.tp + c.fn],
  ppv: (c) => [c.tp, c.tp + c.fp],
  npv: (c) => [c.tn, c.tn + c.fn],
  accuracy: (c) => [c.tp + c.tn, c.tp + c.fp + c.tn + c.fn],
  fdr: (c) => [c.fp, c.tp + c.fp],
  for: (c) => [c.fn, c.tn + c.fn],
  tnr: (c) => [c.tn, c.fp + c.tn],
};

/** Aequitas disparity names and the rate each compares (ppr is handled apart: a share of all predicted positives). */
const AEQUITAS: Array<[string, keyof typeof RATES]> = [
  ['pprev_disparity', 'selectionRate'],
  ['precision_disparity', 'ppv'],
  ['fdr_disparity', 'fdr'],
  ['for_disparity', 'for'],
  ['fpr_disparity', 'fpr'],
  ['fnr_disparity', 'fnr'],
  ['tpr_disparity', 'tpr'],
  ['tnr_disparity', 'tnr'],
  ['npv_disparity', 'npv'],
];

const NONE: Omit<MetricValue, 'convention'> = { value: null, interval: null, method: 'none' };

function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

function rateValue(x: number, n: number, z: number, convention: string): MetricValue {
  return n > 0 ? { value: x / n, interval: wilsonInterval(x, n, z), convention, method: 'wilson' } : { ...NONE, convention };
}

function usable(c: CellAggregate): boolean {
  return c.suppressed === null && c.n !== null && c.n > 0;
}

function groupLabel(key: string[]): string {
  return key.join(' × ');
}

function calibration(histPos: number[], histNeg: number[], bins: number): CalibrationRow[] {
  const B = histPos.length;
  const per = B / bins;
  return Array.from({ length: bins }, (_, k) => {
    let count = 0;
    let pos = 0;
    let scoreSum = 0;
    for (let i = k * per; i < (k + 1) * per; i++) {
      const n = histPos[i] + histNeg[i];
      count += n;
      pos += histPos[i];
      scoreSum += n * ((i + 0.5) / B);
    }
    return { lo: (k * per) / B, hi: ((k + 1) * per) / B, count, predicted: ratio(scoreSum, count), observed: ratio(pos, count) };
  });
}

function thresholdMetrics(c: ConfusionCounts, z: number): GroupThresholdMetrics {
  const m = (name: keyof typeof RATES) => { const [x, n] = RATES[name](c); return rateValue(x, n, z, CONVENTIONS.rate); };
  return { threshold: c.threshold, selectionRate: m('selectionRate'), tpr: m('tpr'), fpr: m('fpr'), fnr: m('fnr'), ppv: m('ppv'), npv: m('npv'), accuracy: m('accuracy') };
}

function aucOf(tables: Int32Array[]): number {
  const [t] = tables;
  const B = t.length / 2;
  return aucFromHistograms(t.subarray(B), t.subarray(0, B));
}

function groupResult(c: CellAggregate, gid: string, label: string, policy: AuditPolicy, z: number): GroupResult {
  const base: GroupResult = {
    key: c.key, label, n: c.n, members: c.members, suppressed: c.suppressed, positives: null,
    baseRate: { ...NONE, convention: CONVENTIONS.rate }, atThreshold: [], auc: { ...NONE, convention: CONVENTIONS.auc }, calibration: [], ece: null, segments: null,
  };
  if (c.suppressed || c.n === null) return base;
  if (c.histPos && c.histNeg && c.confusion) {
    const positives = c.histPos.reduce((a, b) => a + b, 0);
    base.positives = positives;
    base.baseRate = rateValue(positives, c.n, z, CONVENTIONS.rate);
    base.atThreshold = c.confusion.map((cc) => thresholdMetrics(cc, z));
    const negatives = c.n - positives;
    // AUC of a handful of positives or negatives is noise (one pair weighs more than the
    // histogram's resolution): it needs minCellCount rows of each label.
    const auc = positives >= policy.minCellCount && negatives >= policy.minCellCount ? aucFromHistograms(c.histPos, c.histNeg) : NaN;
    if (Number.isFinite(auc)) {
      const [interval] = bootstrapIntervals([[...c.histNeg, ...c.histPos]], (t) => [aucOf(t)], {
        resamples: policy.bootstrap.resamples, seed: bootstrapSeed(policy.bootstrap.seed, `auc|${gid}|${c.key.join('\u0000')}`), confidenceLevel: policy.confidenceLevel,
      });
      base.auc = { value: auc, interval, convention: CONVENTIONS.auc, method: 'bootstrap-percentile' };
    }
    base.calibration = calibration(c.histPos, c.histNeg, policy.calibrationBins);
    if (c.n > 0) base.ece = base.calibration.reduce((a, r) => a + (r.count > 0 ? r.count * Math.abs(r.observed! - r.predicted!) : 0), 0) / c.n;
  }
  return base;
}

/** Fairlearn's max − min and min ÷ max of the per-group rates (undefined rates left out). */
function spread(values: Array<number | null>): { diff: number; ratio: number } {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length < 2) return { diff: NaN, ratio: NaN };
  const max = Math.max(...v);
  const min = Math.min(...v);
  return { diff: max - min, ratio: max > 0 ? min / max : NaN };
}

function fairlearnStats(tables: ConfusionCounts[]): number[] {
  const rate = (name: keyof typeof RATES) => tables.map((c) => { const [x, n] = RATES[name](c); return ratio(x, n); });
  const sr = spread(rate('selectionRate'));
  const tpr = spread(rate('tpr'));
  const fpr = spread(rate('fpr'));
  return [sr.diff, sr.ratio, tpr.diff, tpr.ratio, Math.max(tpr.diff, fpr.diff), Math.min(tpr.ratio, fpr.ratio)];
}

const FAIRLEARN_NAMES = [
  ['demographic_parity_difference', 'fairlearnDifference', 'selection rate'],
  ['demographic_parity_ratio', 'fairlearnRatio', 'selection rate'],
  ['equal_opportunity_difference', 'fairlearnDifference', 'true positive rate'],
  ['equal_opportunity_ratio', 'fairlearnRatio', 'true positive rate'],
  ['equalized_odds_difference', 'fairlearnDifference', 'the larger of the TPR and FPR differences'],
  ['equalized_odds_ratio', 'fairlearnRatio', 'the smaller of the TPR and FPR ratios'],
] as const;

function toCounts(t: ArrayLike<number>, threshold: number): ConfusionCounts {
  return { threshold, tp: t[0], fp: t[1], tn: t[2], fn: t[3] };
}

/** The reference cell of a stratum: the policy's reference groups when every attribute names one, else the largest usable cell. */
function referenceOf(cells: CellAggregate[], attributes: string[], policy: AuditPolicy): CellAggregate | null {
  const refs = attributes.map((n) => policy.attributes.find((a) => a.name === n)!.reference);
  if (refs.every((r) => r !== null)) {
    return cells.find((c) => refs.every((r, i) => c.key[i] === r)) ?? null;
  }
  let best: CellAggregate | null = null;
  for (const c of cells) if (usable(c) && (best === null || c.n! > best.n!)) best = c;
  return best;
}

/** Under DP, a check whose TP/FP/TN/FN or group n (either group) is below this many noise stds is inconclusive. */
export const DP_NOISE_FACTOR = 3;

interface PendingCheck extends Omit<CheckResult, 'pFail' | 'pPass' | 'verdict'> {
  rawFail: number | null;
  rawPass: number | null;
}

function checkOf(
  metric: CheckMetric, g: CellAggregate, ref: CellAggregate, t: number, ctx: { gid: string; stratum: string | null; label: string; refLabel: string; threshold: number },
  policy: AuditPolicy, z: number, noiseStd?: number,
): PendingCheck {
  const id = `${ctx.gid}|${ctx.stratum ?? ''}|${ctx.label}|${metric}|${ctx.threshold}`;
  const head = { id, grouping: ctx.gid, stratum: ctx.stratum, group: ctx.label, reference: ctx.refLabel, metric, threshold: ctx.threshold };
  const inconclusive = (reason: string): PendingCheck => ({ ...head, ratio: null, interval: null, rawFail: null, rawPass: null, reason });
  if (!usable(g)) return inconclusive(g.suppressed ? `group suppressed (${g.suppressed})` : 'group has no rows');
  if (!usable(ref)) return inconclusive(ref.suppressed ? `reference group suppressed (${ref.suppressed})` : 'reference group has no rows');
  const [x1, n1] = RATES[metric](g.confusion![t]);
  const [x2, n2] = RATES[metric](ref.confusion![t]);
  if (n1 === 0 || n2 === 0) return inconclusive(`no rows in the ${metric} denominator of the ${n1 === 0 ? 'group' : 'reference'}`);
  if (x2 === 0 && x1 === 0) return inconclusive(`${metric} is 0 in both groups: the ratio is undefined`);
  if (noiseStd !== undefined && noiseStd > 0) {
    const counts = [g, ref].flatMap((c) => { const k = c.confusion![t]; return [k.tp, k.fp, k.tn, k.fn, c.n!]; });
    const least = Math.min(...counts);
    if (least < DP_NOISE_FACTOR * noiseStd) {
      return inconclusive(`a count it rests on (${least}) is below ${DP_NOISE_FACTOR} × the differential-privacy noise std per count (${(DP_NOISE_FACTOR * noiseStd).toFixed(1)}): the noise could decide it`);
    }
  }
  return { ...head, ...bandTest(x1, n1, x2, n2, policy, z) };
}

/**
 * The ratio (x1/n1) ÷ (x2/n2) tested against the band: Katz-log interval and the two one-sided
 * p-values (outside the band, inside it) that Holm adjusts across all checks. Needs n1, n2 > 0
 * and x1 + x2 > 0.
 */
function bandTest(x1: number, n1: number, x2: number, n2: number, policy: AuditPolicy, z: number): Pick<PendingCheck, 'ratio' | 'interval' | 'rawFail' | 'rawPass' | 'reason'> {
  const r = x1 / n1 / (x2 / n2);
  let reason = 'Katz-log test of the ratio against the band';
  if (x1 === 0 || x2 === 0) {
    // Haldane–Anscombe: half a row added to each cell so the log ratio has a finite standard error.
    x1 += 0.5; n1 += 1; x2 += 0.5; n2 += 1;
    reason += ' (a zero count: 0.5 added to each cell for the test)';
  }
  const se = katzLogSe(x1, n1, x2, n2)!;
  const L = Math.log(x1 / n1 / (x2 / n2));
  const a = Math.log(policy.band.lo);
  const b = Math.log(policy.band.hi);
  const pAbove = 1 - normalCdf((L - b) / se);
  const pBelow = normalCdf((L - a) / se);
  const rawFail = Math.min(1, 2 * Math.min(pAbove, pBelow));
  const rawPass = Math.max(1 - normalCdf((L - a) / se), 1 - normalCdf((b - L) / se));
  const interval = katzLogInterval(x1, n1, x2, n2, z);
  return { ratio: Number.isFinite(r) ? r : null, interval, rawFail, rawPass, reason };
}

/**
 * Representation of each group of a stratum in each segment: (count in the segment ÷ segment rows)
 * ÷ (group rows ÷ all rows), over the released cells of the stratum. Every group × segment is a
 * check against the band; a withheld group or a segment with fewer than minCellCount released
 * rows is inconclusive.
 */
function representation(
  cells: CellAggregate[], results: GroupResult[], k: number, ctx: { gid: string; stratum: string | null }, policy: AuditPolicy, z: number, pending: PendingCheck[],
): void {
  const live = cells.filter(usable);
  const N = live.reduce((a, c) => a + c.n!, 0);
  const perSegment = Array.from({ length: k }, (_, s) => live.reduce((a, c) => a + c.segments![s], 0));
  cells.forEach((c, i) => {
    const label = results[i].label;
    const rows: NonNullable<GroupResult['segments']> = [];
    for (let s = 0; s < k; s++) {
      const id = `${ctx.gid}|${ctx.stratum ?? ''}|${label}|representation|${s}`;
      const head = { id, grouping: ctx.gid, stratum: ctx.stratum, group: label, reference: 'all rows', metric: 'representation' as const, threshold: null, segment: s };
      const inconclusive = (reason: string): PendingCheck => ({ ...head, ratio: null, interval: null, rawFail: null, rawPass: null, reason });
      if (!usable(c)) {
        pending.push(inconclusive(c.suppressed ? `group suppressed (${c.suppressed})` : 'group has no rows'));
        continue;
      }
      const count = c.segments![s];
      const test = perSegment[s] > 0 ? bandTest(count, perSegment[s], c.n!, N, policy, z) : null;
      rows.push({ segment: s, count, representationRatio: test
        ? { value: test.ratio, interval: test.interval, convention: CONVENTIONS.representation, method: 'katz-log' }
        : { ...NONE, convention: CONVENTIONS.representation } });
      if (!test || perSegment[s] < policy.minCellCount) {
        pending.push(inconclusive(`segment ${s} has ${perSegment[s]} released rows here, fewer than minCellCount (${policy.minCellCount})`));
      } else {
        pending.push({ ...head, ...test });
      }
    }
    if (usable(c)) results[i].segments = rows;
  });
}

function strataOf(g: AuditAggregates['groupings'][number]): Array<{ stratum: string | null; cells: CellAggregate[] }> {
  if (!g.controlled) return [{ stratum: null, cells: g.cells }];
  const order: string[] = [];
  const by = new Map<string, CellAggregate[]>();
  for (const c of g.cells) {
    const s = c.key[c.key.length - 1];
    if (!by.has(s)) { by.set(s, []); order.push(s); }
    by.get(s)!.push(c);
  }
  return order.map((s) => ({ stratum: s, cells: by.get(s)! }));
}

function groupingResult(g: AuditAggregates['groupings'][number], agg: AuditAggregates, policy: AuditPolicy, z: number, pending: PendingCheck[], noiseStd?: number): GroupingResult {
  const nAttr = g.attributes.length;
  const groups: GroupResult[] = [];
  const disparities: DisparityResult[] = [];
  for (const { stratum, cells } of strataOf(g)) {
    const label = (c: CellAggregate) => groupLabel(c.key.slice(0, nAttr));
    const full = (c: CellAggregate) => (stratum === null ? label(c) : `${label(c)} | ${stratum}`);
    const results = cells.map((c) => groupResult(c, g.id, full(c), policy, z));
    // Segmentation: representation ratio of each group in each segment, with its interval and check.
    if (agg.model.kind === 'segmentation') representation(cells, results, agg.model.segments, { gid: g.id, stratum }, policy, z, pending);
    groups.push(...results);
    if (agg.model.kind !== 'binary') continue;
    const live = cells.filter(usable);
    const ref = referenceOf(cells, g.attributes, policy);
    agg.thresholds.forEach((threshold, t) => {
      const seed = bootstrapSeed(policy.bootstrap.seed, `fairlearn|${g.id}|${stratum ?? ''}|${threshold}`);
      const point = fairlearnStats(live.map((c) => c.confusion![t]));
      const tables = live.map((c) => { const cc = c.confusion![t]; return [cc.tp, cc.fp, cc.tn, cc.fn]; });
      const intervals = live.length >= 2
        ? bootstrapIntervals(tables, (drawn) => fairlearnStats(drawn.map((d) => toCounts(d, threshold))), { resamples: policy.bootstrap.resamples, seed, confidenceLevel: policy.confidenceLevel })
        : FAIRLEARN_NAMES.map(() => null);
      const fairlearn: Record<string, MetricValue> = {};
      FAIRLEARN_NAMES.forEach(([name, conv, of], i) => {
        fairlearn[name] = Number.isFinite(point[i])
          ? { value: point[i], interval: intervals[i], convention: `${CONVENTIONS[conv]}, of ${of}`, method: intervals[i] ? 'bootstrap-percentile' : 'none' }
          : { ...NONE, convention: `${CONVENTIONS[conv]}, of ${of}` };
      });
      const refLabel = ref ? label(ref) : '';
      const aif360: Record<string, Record<string, MetricValue>> = {};
      const aequitas: Record<string, Record<string, MetricValue>> = {};
      const refUsable = ref !== null && usable(ref);
      const totalPredicted = live.reduce((a, c) => a + c.confusion![t].tp + c.confusion![t].fp, 0);
      for (const c of cells) {
        if (c === ref) continue;
        const gl = label(c);
        for (const metric of policy.checks) {
          pending.push(ref
            ? checkOf(metric, c, ref, t, { gid: g.id, stratum, label: gl, refLabel, threshold }, policy, z, noiseStd)
            : { id: `${g.id}|${stratum ?? ''}|${gl}|${metric}|${threshold}`, grouping: g.id, stratum, group: gl, reference: '', metric, threshold, ratio: null, interval: null, rawFail: null, rawPass: null, reason: 'no reference group with rows' });
        }
        if (!refUsable || !usable(c)) continue;
        const cg = c.confusion![t];
        const cr = ref.confusion![t];
        const diff = (name: keyof typeof RATES): { value: number | null; interval: Interval | null } => {
          const [x1, n1] = RATES[name](cg);
          const [x2, n2] = RATES[name](cr);
          return n1 > 0 && n2 > 0 ? { value: x1 / n1 - x2 / n2, interval: newcombeInterval(x1, n1, x2, n2, z) } : { value: null, interval: null };
        };
        const rat = (name: keyof typeof RATES): MetricValue => {
          const [x1, n1] = RATES[name](cg);
          const [x2, n2] = RATES[name](cr);
          const value = n1 > 0 && n2 > 0 && x2 > 0 ? (x1 / n1) / (x2 / n2) : null;
          const interval = value === null ? null : katzLogInterval(x1, n1, x2, n2, z);
          return { value, interval, convention: '', method: interval ? 'katz-log' : 'none' };
        };
        const spd = diff('selectionRate');
        const eod = diff('tpr');
        const fprd = diff('fpr');
        const aod = eod.value !== null && fprd.value !== null
          ? { value: (eod.value + fprd.value) / 2, interval: eod.interval && fprd.interval ? moverSum([eod.value, fprd.value], [eod.interval, fprd.interval]).map((v) => v / 2) as Interval : null }
          : { value: null, interval: null };
        const di = rat('selectionRate');
        aif360[gl] = {
          statistical_parity_difference: { ...spd, convention: `${CONVENTIONS.aif360}: selection rate difference`, method: spd.interval ? 'newcombe-hybrid-score' : 'none' },
          disparate_impact: { ...di, convention: `${CONVENTIONS.aif360}: selection rate ratio`, method: di.method },
          equal_opportunity_difference: { ...eod, convention: `${CONVENTIONS.aif360}: true positive rate difference`, method: eod.interval ? 'newcombe-hybrid-score' : 'none' },
          average_odds_difference: { ...aod, convention: `${CONVENTIONS.aif360}: mean of the FPR and TPR differences`, method: aod.interval ? 'mover-newcombe' : 'none' },
        };
        const aq: Record<string, MetricValue> = {};
        const pprG = cg.tp + cg.fp;
        const pprR = cr.tp + cr.fp;
        aq.ppr_disparity = { value: totalPredicted > 0 && pprR > 0 ? pprG / pprR : null, interval: null, convention: `${CONVENTIONS.aequitas}: share of all predicted positives`, method: 'none' };
        for (const [name, rate] of AEQUITAS) aq[name] = { ...rat(rate), convention: `${CONVENTIONS.aequitas}: ${rate}` };
        aequitas[gl] = aq;
      }
      disparities.push({ threshold, stratum, reference: refLabel, fairlearn, aif360, aequitas });
    });
  }
  return { id: g.id, attributes: g.attributes, controlled: g.controlled, groups, disparities };
}

const pText = (p: number): string => p.toPrecision(2);

/**
 * Why a tested check is inconclusive, in words that match the unadjusted interval the page shows:
 * a check clear of (or inside) the band on its own but not after the Holm adjustment says so with
 * both p-values; otherwise the interval really overlaps a band edge (text unchanged since v1).
 */
function inconclusiveWhy(p: PendingCheck, adjFail: number, adjPass: number | null, alpha: number, tested: number): string {
  const level = `${Math.round((1 - alpha) * 1000) / 10} %`;
  const holm = `Holm adjustment over ${tested} checks`;
  if (p.rawFail !== null && p.rawFail <= alpha) {
    return `: outside the band at ${level} on its own (p = ${pText(p.rawFail)}), but not after the ${holm} (adjusted p = ${pText(adjFail)})`;
  }
  if (p.rawPass !== null && p.rawPass <= alpha && adjPass !== null) {
    return `: inside the band at ${level} on its own (p = ${pText(p.rawPass)}), but not after the ${holm} (adjusted p = ${pText(adjPass)})`;
  }
  return ': the interval overlaps the band edge';
}

/**
 * Every metric of the audit from the summed aggregates (full or as released: suppression is
 * applied first and is idempotent). Aggregates made under another policy's layout are refused
 * (AGGREGATE_REJECTED). Deterministic: bootstrap streams are seeded from the policy
 * seed and each interval's own label, so `verify` recomputes it bit for bit. `noiseStdPerCount`
 * (the report's DP section, when its counts are noised) makes checks resting on counts below
 * DP_NOISE_FACTOR noise stds inconclusive.
 */
export function computeAudit(aggregates: AuditAggregates, policy: AuditPolicy, noiseStdPerCount?: number): AuditResult {
  checkAggregatesMatchPolicy(aggregates, policy);
  const agg = releaseAggregates(aggregates, policy);
  const z = zFor(policy.confidenceLevel);
  const pending: PendingCheck[] = [];
  const groupings = agg.groupings.map((g) => groupingResult(g, agg, policy, z, pending, noiseStdPerCount));
  const alpha = 1 - policy.confidenceLevel;
  const adjFail = holmAdjust(pending.map((p) => p.rawFail));
  const adjPass = holmAdjust(pending.map((p) => p.rawPass));
  const tested = adjFail.filter((p) => p !== null).length;
  const checks: CheckResult[] = pending.map(({ rawFail: _f, rawPass: _p, ...p }, i) => {
    let verdict: Verdict = 'inconclusive';
    let reason = p.reason;
    if (adjFail[i] !== null && adjFail[i]! <= alpha) verdict = 'fail';
    else if (adjPass[i] !== null && adjPass[i]! <= alpha) verdict = 'pass';
    else if (adjFail[i] !== null) reason += inconclusiveWhy(pending[i], adjFail[i]!, adjPass[i], alpha, tested);
    return { ...p, pFail: adjFail[i], pPass: adjPass[i], verdict, reason };
  });
  const verdict: Verdict = checks.some((c) => c.verdict === 'fail') ? 'fail' : checks.length > 0 && checks.every((c) => c.verdict === 'pass') ? 'pass' : 'inconclusive';
  const conventions = agg.model.kind === 'segmentation' ? { ...CONVENTIONS, ...SEGMENTATION_CONVENTIONS } : { ...CONVENTIONS };
  return { members: agg.members, groupings, checks, verdict, parity: agg.parity, conventions };
}
