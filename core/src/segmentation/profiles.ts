// Segment profiles from secure sums only (size, share, per-feature mean and spread, churn and value), with suppression and automatic names.
import { ConsortError } from '../errors/consort-error.ts';
import { DEFAULT_MAX_EXAMPLES } from '../aggregate/round-vector.ts';
import type { ModVector } from '../secagg/mod-vector.ts';
import { packVector, planLayout, unpackVector, type SegmentSpec } from '../secagg/quantize.ts';
import { DEFAULT_MIN_CLUSTER_COUNT } from './init.ts';
import type { SegmentationFeatures } from './standardize.ts';

/**
 * Raw values enter the profile sums as u = (x − mean)/std clipped to ±100: the scale makes one
 * fixed-point layout fit money and day counts alike, while 100σ is wide enough that clipping
 * never bites on real exports (unlike the ±8 of the k-means space, which must bound centroids).
 */
export const PROFILE_U_CLIP = 100;
/** Label sums (churn flags, money) in original units: 2^-4 resolution, bound 2^39 per member. */
const LABEL_SCALE_BITS = 4;
const LABEL_CLIP = 2 ** 39;

/** Segments of the profile round for k segments, F features and L label columns. */
export function profileSegments(k: number, features: number, labels: number, maxExamples = DEFAULT_MAX_EXAMPLES): SegmentSpec[] {
  const sumClip = maxExamples * PROFILE_U_CLIP;
  const sqClip = maxExamples * PROFILE_U_CLIP * PROFILE_U_CLIP;
  const bits = (clip: number) => Math.max(0, Math.min(16, Math.floor(43 - Math.log2(clip))));
  return [
    { name: 'size', kind: 'integer', length: k, maxAbs: maxExamples },
    { name: 'present', kind: 'integer', length: k * features, maxAbs: maxExamples },
    { name: 'featureSums', kind: 'fixed', length: k * features, clip: sumClip, scaleBits: bits(sumClip) },
    { name: 'featureSquares', kind: 'fixed', length: k * features, clip: sqClip, scaleBits: bits(sqClip) },
    { name: 'labelPresent', kind: 'integer', length: k * labels, maxAbs: maxExamples },
    { name: 'labelSums', kind: 'fixed', length: k * labels, clip: LABEL_CLIP, scaleBits: LABEL_SCALE_BITS },
  ];
}

/** A member's (or the summed) profile statistics. */
export interface ProfileStats {
  size: Float64Array;
  present: Float64Array;
  featureSums: Float64Array;
  featureSquares: Float64Array;
  labelPresent: Float64Array;
  labelSums: Float64Array;
}

/**
 * The member's profile statistics: per assigned segment, counts and sums of the RAW features
 * (scaled by the federated mean/std; NaN = missing is skipped, not imputed, so means describe
 * observed values) and of the label columns (e.g. churned 0/1 and spend). `include` (from a
 * count-gate round on the released centroids) zeroes everything but the size of segments below
 * the minimum count, so suppressed segments are withheld from the coordinator, not just hidden.
 */
export function localProfileStats(raw: ReadonlyArray<ArrayLike<number>>, segments: ArrayLike<number>, labels: ReadonlyArray<ArrayLike<number>>, k: number, f: SegmentationFeatures,
  include?: ArrayLike<boolean>): ProfileStats {
  const F = f.names.length;
  const L = labels[0]?.length ?? 0;
  if (raw.length !== segments.length || (labels.length !== 0 && labels.length !== raw.length)) {
    throw new ConsortError('UPDATE_SHAPE_MISMATCH', `profile inputs disagree: ${raw.length} rows, ${segments.length} segment ids, ${labels.length} label rows`);
  }
  const s: ProfileStats = {
    size: new Float64Array(k), present: new Float64Array(k * F), featureSums: new Float64Array(k * F), featureSquares: new Float64Array(k * F),
    labelPresent: new Float64Array(k * L), labelSums: new Float64Array(k * L),
  };
  raw.forEach((row, i) => {
    const c = segments[i];
    if (!Number.isInteger(c) || c < 0 || c >= k) throw new ConsortError('INVALID_ARGUMENT', `row ${i} has segment ${c}, outside 0..${k - 1}; score with the same model version`);
    s.size[c] += 1;
    if (include && !include[c]) return;
    for (let j = 0; j < F; j++) {
      const x = row[j];
      if (Number.isNaN(x)) continue;
      const u = Math.max(-PROFILE_U_CLIP, Math.min(PROFILE_U_CLIP, (x - f.mean[j]) / f.std[j]));
      s.present[c * F + j] += 1;
      s.featureSums[c * F + j] += u;
      s.featureSquares[c * F + j] += u * u;
    }
    const lab = labels[i];
    for (let l = 0; l < L; l++) {
      if (Number.isNaN(lab[l])) continue;
      s.labelPresent[c * L + l] += 1;
      s.labelSums[c * L + l] += lab[l];
    }
  });
  return s;
}

/** Packs profile statistics for secure aggregation. */
export function packProfileStats(s: ProfileStats, k: number, features: number, labels: number, members: number, maxExamples = DEFAULT_MAX_EXAMPLES): ModVector {
  const data = s as unknown as Record<string, ArrayLike<number>>;
  return packVector(profileSegments(k, features, labels, maxExamples).map((spec) => ({ ...spec, values: data[spec.name] })), { members }).vector;
}

/** Decodes the profile round's sum. */
export function unpackProfileStats(k: number, features: number, labels: number, members: number, sum: ModVector, maxExamples = DEFAULT_MAX_EXAMPLES): ProfileStats {
  const p = unpackVector(planLayout(profileSegments(k, features, labels, maxExamples), { members }), sum);
  return { size: p.size, present: p.present, featureSums: p.featureSums, featureSquares: p.featureSquares, labelPresent: p.labelPresent, labelSums: p.labelSums };
}

/** Mean and standard deviation of one feature, original units (NaN when nothing observed). */
export interface FeatureSummary {
  name: string;
  mean: number;
  std: number;
}

/** One segment as the operator sees it. */
export interface SegmentProfile {
  id: number;
  /** null when suppressed. */
  size: number | null;
  share: number | null;
  suppressed: boolean;
  features: FeatureSummary[];
  /** Mean of each label column (a 0/1 churn flag gives the churn rate). */
  labels: Record<string, number>;
  churnRate?: number;
  meanValue?: number;
  name: string;
  description: string;
}

/** The population over all segments (never suppressed: it is the federation's total). */
export interface OverallProfile {
  size: number;
  features: FeatureSummary[];
  labels: Record<string, number>;
  churnRate?: number;
  meanValue?: number;
}

/** Which feature plays which behavioural role, by column name; any may be missing. */
export interface FeatureRoles {
  recency?: string;
  frequency?: string;
  monetary?: string;
  tenure?: string;
}

/** Options of `segmentProfiles`. */
export interface ProfileOptions {
  labelNames?: string[];
  /** Label column holding churned 0/1. */
  churnLabel?: string;
  /** Label column holding a value (spend, CLV). */
  valueLabel?: string;
  /** Segments with fewer customers are suppressed (default 20). */
  minCount?: number;
  roles?: FeatureRoles;
}

function summarize(f: SegmentationFeatures, n: ArrayLike<number>, s: ArrayLike<number>, q: ArrayLike<number>, at: (j: number) => number): FeatureSummary[] {
  return f.names.map((name, j) => {
    const cnt = n[at(j)];
    if (!(cnt > 0)) return { name, mean: NaN, std: NaN };
    const mu = s[at(j)] / cnt;
    const v = Math.max(0, q[at(j)] / cnt - mu * mu);
    return { name, mean: f.mean[j] + f.std[j] * mu, std: f.std[j] * Math.sqrt(v) };
  });
}

/**
 * Profiles of every segment and of the whole population from the summed profile statistics,
 * with names and descriptions (nameSegment). Segments below minCount are suppressed: no size,
 * share or statistics, named "Small segment (suppressed)".
 */
export function segmentProfiles(sum: ProfileStats, f: SegmentationFeatures, opts: ProfileOptions = {}): { overall: OverallProfile; segments: SegmentProfile[] } {
  const k = sum.size.length;
  const F = f.names.length;
  const labelNames = opts.labelNames ?? [];
  const L = labelNames.length;
  if (sum.present.length !== k * F || sum.labelSums.length !== k * L) {
    throw new ConsortError('UPDATE_SHAPE_MISMATCH', `profile sums do not match ${k} segments × ${F} features × ${L} labels; give the same feature and label lists as the round`);
  }
  const minCount = opts.minCount ?? DEFAULT_MIN_CLUSTER_COUNT;
  const total = sum.size.reduce((a, b) => a + b, 0);
  const col = (arr: Float64Array, width: number) => Array.from({ length: width }, (_, j) => { let t = 0; for (let c = 0; c < k; c++) t += arr[c * width + j]; return t; });
  const labelMeans = (present: ArrayLike<number>, sums: ArrayLike<number>) => Object.fromEntries(labelNames.map((name, l) => [name, present[l] > 0 ? sums[l] / present[l] : NaN]));
  const overallLabels = labelMeans(col(sum.labelPresent, L), col(sum.labelSums, L));
  const overall: OverallProfile = {
    size: total,
    features: summarize(f, col(sum.present, F), col(sum.featureSums, F), col(sum.featureSquares, F), (j) => j),
    labels: overallLabels,
    churnRate: opts.churnLabel ? overallLabels[opts.churnLabel] : undefined,
    meanValue: opts.valueLabel ? overallLabels[opts.valueLabel] : undefined,
  };
  const segments: SegmentProfile[] = [];
  for (let c = 0; c < k; c++) {
    const size = sum.size[c];
    if (size < minCount) {
      segments.push({ id: c, size: null, share: null, suppressed: true, features: [], labels: {}, name: 'Small segment (suppressed)', description: `Fewer than ${minCount} customers: details withheld.` });
      continue;
    }
    const labels = labelMeans(labelNames.map((_, l) => sum.labelPresent[c * L + l]), labelNames.map((_, l) => sum.labelSums[c * L + l]));
    const p: SegmentProfile = {
      id: c, size, share: total > 0 ? size / total : 0, suppressed: false,
      features: summarize(f, sum.present, sum.featureSums, sum.featureSquares, (j) => c * F + j),
      labels, name: '', description: '',
    };
    if (opts.churnLabel) p.churnRate = labels[opts.churnLabel];
    if (opts.valueLabel) p.meanValue = labels[opts.valueLabel];
    segments.push(p);
  }
  const named = segments.map((p) => (p.suppressed ? p : { ...p, ...nameSegment(p, overall, opts.roles ?? {}) }));
  return { overall, segments: uniqueNames(named, overall) };
}

/** Deviation of a segment's mean from the population mean, in population standard deviations. */
export function standardizedDeviation(p: Pick<SegmentProfile, 'features'>, overall: Pick<OverallProfile, 'features'>, name: string): number | undefined {
  const s = p.features.find((x) => x.name === name);
  const o = overall.features.find((x) => x.name === name);
  if (!s || !o || !Number.isFinite(s.mean) || !(o.std > 0)) return undefined;
  return (s.mean - o.mean) / o.std;
}

const STRONG = 0.5;
const MILD = 0.25;
/** Deviations (population std) from which a column is "very" high/low, and from which it is named at all. */
const VERY = 1.5;
const NOTABLE = 0.3;

/**
 * A column name as words: "Total_Trans_Amt" → "total trans amt", "EstimatedSalary" →
 * "estimated salary", "NPS" stays "NPS". The name stays recognisable as the federation's column.
 */
export function columnWords(column: string): string {
  return column
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_\-.]+/)
    .filter(Boolean)
    .map((w) => (w.length > 1 && w === w.toUpperCase() && /[A-Z]/.test(w) ? w : w.toLowerCase()))
    .join(' ');
}

// Columns measuring how long something lasts read "long"/"short" rather than "high"/"low".
const SPAN = /\b(tenure|duration|seniority|lifetime|on book|membership|relationship length)\b/;

/** How a deviation of `d` population standard deviations reads for a column: "high balance", "short tenure". */
function level(column: string, d: number): string {
  const words = columnWords(column);
  const span = SPAN.test(words.toLowerCase());
  const word = d > 0 ? (span ? 'long' : 'high') : (span ? 'short' : 'low');
  return `${Math.abs(d) >= VERY ? 'very ' : ''}${word} ${words}`;
}

/** The segment's features that stand out (|deviation| ≥ 0.3 population std), largest first. */
function standouts(p: SegmentProfile, overall: OverallProfile): { name: string; d: number }[] {
  return p.features
    .map((f) => ({ name: f.name, d: standardizedDeviation(p, overall, f.name) }))
    .filter((x): x is { name: string; d: number } => x.d !== undefined && Math.abs(x.d) >= NOTABLE)
    .sort((a, b) => Math.abs(b.d) - Math.abs(a.d));
}

/**
 * A name made of the federation's own columns: the two that stand out most, in words, e.g.
 * "High balance, short tenure", "Very low total trans ct, low credit limit"; "Close to average"
 * when none deviates by 0.3 population standard deviations. `count` columns (default 2).
 */
export function columnName(p: SegmentProfile, overall: OverallProfile, count = 2): string {
  const top = standouts(p, overall).slice(0, count);
  if (top.length === 0) return 'Close to average';
  const text = top.map((x) => level(x.name, x.d)).join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Formats x with the precision that `ref` (default x) calls for, so pairs read alike. */
function fmt(x: number, ref = x): string {
  const a = Math.max(Math.abs(x), Math.abs(ref));
  return a >= 100 ? Math.round(x).toLocaleString('en-US') : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/**
 * A human-readable name and one-sentence description from the segment's deviations (in
 * population standard deviations). When the task maps columns to the recency / frequency /
 * monetary / tenure roles, RFM names marketers already use ("Lapsed", "High-value loyal"; high
 * recency means long since the last purchase), each claiming only what those columns show.
 * Otherwise, or when no rule fits, the name is built from the task's own columns that stand out
 * most ("High balance, short tenure"): a card portfolio or a bank's accounts are not shoppers,
 * and a name must not say more than the data. A churn rate 1.5× the population's adds "at risk".
 */
export function nameSegment(p: SegmentProfile, overall: OverallProfile, roles: FeatureRoles = {}): { name: string; description: string } {
  const dev = (col?: string) => (col ? standardizedDeviation(p, overall, col) : undefined);
  const R = dev(roles.recency);
  const F = dev(roles.frequency);
  const M = dev(roles.monetary);
  const T = dev(roles.tenure);
  const known = [R, F, M, T].some((d) => d !== undefined);
  let name: string | undefined;
  if (known) {
    const recent = R === undefined || R <= MILD;
    if (R !== undefined && R > STRONG && (F === undefined || F < 0)) name = M !== undefined && M > STRONG ? 'Lapsed big spenders' : 'Lapsed';
    else if (M !== undefined && M > STRONG && (F === undefined || F >= 0) && recent) name = T !== undefined && T < -STRONG ? 'High-value newcomers' : 'High-value loyal';
    else if (T !== undefined && T < -STRONG && recent && (F === undefined || F >= -MILD)) name = 'New and engaged';
    else if (T !== undefined && T < -STRONG) name = 'New, slow to start';
    else if (F !== undefined && F < -MILD && M !== undefined && M < -MILD) name = 'Occasional low spenders';
    else if (F !== undefined && F < 0 && M !== undefined && M > STRONG && recent) name = 'Big-basket occasional buyers';
    else if (F !== undefined && F > STRONG && (M === undefined || M <= 0)) name = 'Frequent small-basket buyers';
    else if (T !== undefined && T > STRONG && recent) name = 'Long-standing regulars';
    // "Typical" only when no column at all stands out, not just the roles.
    else if (p.features.every((f) => Math.abs(standardizedDeviation(p, overall, f.name) ?? 0) < STRONG)) name = 'Typical customers';
  }
  const fromColumns = name === undefined;
  name ??= columnName(p, overall);
  const atRisk = p.churnRate !== undefined && overall.churnRate !== undefined && overall.churnRate > 0 && p.churnRate >= 1.5 * overall.churnRate;
  if (atRisk && !name.startsWith('Lapsed')) name += fromColumns ? ', at risk' : ' at risk';
  return { name, description: describe(p, overall) };
}

function describe(p: SegmentProfile, overall: OverallProfile): string {
  const devs = p.features
    .map((f) => ({ f, d: standardizedDeviation(p, overall, f.name) }))
    .filter((x): x is { f: FeatureSummary; d: number } => x.d !== undefined && Math.abs(x.d) >= 0.3)
    .sort((a, b) => Math.abs(b.d) - Math.abs(a.d))
    .slice(0, 3)
    .map(({ f }) => { const o = overall.features.find((x) => x.name === f.name)!.mean; return `${f.name} ${fmt(f.mean, o)} vs ${fmt(o, f.mean)}`; });
  const parts = [`${(p.size ?? 0).toLocaleString('en-US')} customers (${((p.share ?? 0) * 100).toFixed(1)}%)`];
  parts.push(devs.length ? `average ${devs.join(', ')} overall` : 'close to the overall average on every feature');
  if (p.churnRate !== undefined && overall.churnRate !== undefined) parts.push(`churn ${(p.churnRate * 100).toFixed(0)}% vs ${(overall.churnRate * 100).toFixed(0)}%`);
  if (p.meanValue !== undefined && overall.meanValue !== undefined) parts.push(`mean value ${fmt(p.meanValue, overall.meanValue)} vs ${fmt(overall.meanValue, p.meanValue)}`);
  return `${parts.join('; ')}.`;
}

function uniqueNames(segments: SegmentProfile[], overall: OverallProfile): SegmentProfile[] {
  const seen = new Map<string, number>();
  for (const s of segments) seen.set(s.name, (seen.get(s.name) ?? 0) + 1);
  const used = new Set<string>();
  return segments.map((s) => {
    if (s.suppressed || (seen.get(s.name) ?? 0) < 2) return s;
    // The next column that stands out and is not in the name yet tells two alike segments apart.
    const extra = standouts(s, overall).map((x) => level(x.name, x.d)).find((t) => !s.name.toLowerCase().includes(t.toLowerCase()));
    let name = `${s.name} (${extra ?? `#${s.id + 1}`})`;
    if (used.has(name)) name = `${s.name} (#${s.id + 1})`;
    used.add(name);
    return { ...s, name };
  });
}
