// Feature pipeline: schema, federated fitting from summed statistics, and row encoding (standardize + one-hot).
import { ConsortError } from '../errors/consort-error.ts';
import type { RoundWarning } from '../metrics/warnings.ts';
import { MAX_ABS_NUMERIC_VALUE, MOMENT_SLOTS, MomentSums, meanAndStd, readMoments } from './exact-moments.ts';

/** Which columns a task reads from a member's data. */
export interface FeatureSchema {
  numeric: string[];
  categorical: string[];
  label: string;
  /** Label values meaning 1 for binary tasks, e.g. ['1', 'yes']. Default: see DEFAULT_POSITIVE_LABELS. */
  positiveLabel?: string[];
  /** Protected attributes: read for fairness audits only, never model inputs. */
  protected?: string[];
}

/** A fitted pipeline: what every member applies before the model (and what ONNX export bakes in). */
export interface FeaturePipeline {
  numeric: { name: string; mean: number; std: number }[];
  /** `shares`: each value's pooled share of the column's present values (from the statistics round). */
  categorical: { name: string; vocabulary: string[]; shares?: number[] }[];
  label: string;
  task: 'binary' | 'regression';
  /** Binary tasks: label values meaning 1 (copied from the schema when fitted). */
  positiveLabel?: string[];
  /**
   * Regression tasks: the label's federated mean and std. Members train on (y − mean) / std and
   * the exported graph returns ŷ·std + mean. Absent (pipelines fitted before it): identity.
   */
  target?: { mean: number; std: number };
}

/** Where a row came from, for error messages. `row` is the spreadsheet row (header = row 1). */
export interface RowLocation {
  file: string;
  row: number;
}

/** Binary labels read as 1 / 0 when the schema lists no positiveLabel (compared case-insensitively). */
export const DEFAULT_POSITIVE_LABELS = ['1', 'true', 'yes', 'y'];
export const DEFAULT_NEGATIVE_LABELS = ['0', 'false', 'no', 'n'];

/** Cell values read as "missing" in a numeric column (case-insensitive), besides the empty cell. */
const MISSING_TOKENS = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '-']);

/** Width of the encoded vector: one per numeric column plus one per vocabulary value. */
export function pipelineInputDim(p: Pick<FeaturePipeline, 'numeric' | 'categorical'>): number {
  return p.numeric.length + p.categorical.reduce((n, c) => n + c.vocabulary.length, 0);
}

/** Names of the encoded inputs, in order ("tenure", "plan=basic", ...): for reason codes and ONNX. */
export function encodedFeatureNames(p: Pick<FeaturePipeline, 'numeric' | 'categorical'>): string[] {
  return [...p.numeric.map((n) => n.name), ...p.categorical.flatMap((c) => c.vocabulary.map((v) => `${c.name}=${v}`))];
}

function at(where: RowLocation, column: string): string {
  return `${where.file}, row ${where.row}, column "${column}"`;
}

function cellOf(record: Record<string, string>, column: string, where: RowLocation): string {
  const v = record[column];
  if (v === undefined) {
    throw new ConsortError('DATA_INVALID', `${at(where, column)}: the column is missing; add it to the file or map another column to it`, { ...where, column });
  }
  return v;
}

/**
 * Parses a numeric cell; null for a missing value. Throws DATA_INVALID naming file/row/column
 * and the value for anything that is not a finite number.
 */
export function parseNumericCell(raw: string, column: string, where: RowLocation): number | null {
  const s = raw.trim();
  if (MISSING_TOKENS.has(s.toLowerCase())) return null;
  // Number() accepts "0x1f" and " "; a plain decimal pattern keeps the check honest.
  const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v)) {
    const hint = /^[+-]?\d+,\d+$/.test(s) ? ' (use "." as the decimal separator)' : '';
    throw new ConsortError('DATA_INVALID', `${at(where, column)}: "${raw}" is not a number${hint}; fix the value or leave the cell empty for "missing"`, { ...where, column, value: raw });
  }
  return v;
}

function checkCategory(raw: string, column: string, vocabulary: string[], where: RowLocation): number {
  const s = raw.trim();
  if (s === '') return -1; // missing category: all-zero one-hot
  const idx = vocabulary.indexOf(s);
  if (idx < 0) {
    throw new ConsortError('DATA_INVALID',
      `${at(where, column)}: "${raw}" is not one of the federation's values (${vocabulary.join(', ')}); map it to one of them or leave it empty`,
      { ...where, column, value: raw, allowed: vocabulary });
  }
  return idx;
}

/**
 * Encodes one record: numeric columns standardized ((x - mean) / std, a missing value becomes
 * the mean, i.e. 0), then one-hot vocabularies in order (an empty cell is all zeros). An unknown
 * category or a non-numeric value throws ConsortError(DATA_INVALID) naming file, row and column.
 * Writes into `out` at `offset` when given (avoids one allocation per row).
 */
export function encodeRow(p: FeaturePipeline, record: Record<string, string>, where: RowLocation,
  out?: Float32Array, offset = 0): Float32Array {
  const dst = out ?? new Float32Array(pipelineInputDim(p));
  let k = offset;
  for (const n of p.numeric) {
    const v = parseNumericCell(cellOf(record, n.name, where), n.name, where);
    dst[k++] = v === null ? 0 : (v - n.mean) / n.std;
  }
  for (const c of p.categorical) {
    const idx = checkCategory(cellOf(record, c.name, where), c.name, c.vocabulary, where);
    for (let j = 0; j < c.vocabulary.length; j++) dst[k + j] = j === idx ? 1 : 0;
    k += c.vocabulary.length;
  }
  return dst;
}

/**
 * Encodes the label: regression → the number; binary → 1 for a positive value, 0 otherwise.
 * Without an explicit positiveLabel only 1/true/yes/y and 0/false/no/n are accepted, so a typo
 * is not silently read as a negative. An empty label throws DATA_INVALID.
 */
export function encodeLabel(p: Pick<FeaturePipeline, 'label' | 'task' | 'positiveLabel'>, record: Record<string, string>, where: RowLocation): number {
  const raw = cellOf(record, p.label, where);
  const s = raw.trim();
  if (s === '') {
    throw new ConsortError('DATA_INVALID', `${at(where, p.label)}: the label is empty; fill it in or drop the row`, { ...where, column: p.label });
  }
  if (p.task === 'regression') {
    const v = parseNumericCell(raw, p.label, where);
    if (v === null) throw new ConsortError('DATA_INVALID', `${at(where, p.label)}: the label "${raw}" is missing; fill it in or drop the row`, { ...where, column: p.label });
    return v;
  }
  if (p.positiveLabel && p.positiveLabel.length > 0) return p.positiveLabel.includes(s) ? 1 : 0;
  const lower = s.toLowerCase();
  if (DEFAULT_POSITIVE_LABELS.includes(lower)) return 1;
  if (DEFAULT_NEGATIVE_LABELS.includes(lower)) return 0;
  throw new ConsortError('DATA_INVALID',
    `${at(where, p.label)}: "${raw}" is not a binary label; use 1/0, yes/no or true/false, or list the positive values in the task's positiveLabel`,
    { ...where, column: p.label, value: raw });
}

/** The label's scale for training: the fitted target of a regression pipeline, else identity. */
export function targetScaleOf(p: Pick<FeaturePipeline, 'task' | 'target'>): { mean: number; std: number } {
  return p.task === 'regression' && p.target ? p.target : { mean: 0, std: 1 };
}

/**
 * The label as the model is trained on it: binary → 0/1; regression → (y − mean) / std with the
 * federated target statistics, so a dollar-scale target trains like a standardized one.
 */
export function encodeTarget(p: Pick<FeaturePipeline, 'label' | 'task' | 'positiveLabel' | 'target'>, record: Record<string, string>, where: RowLocation): number {
  const y = encodeLabel(p, record, where);
  const { mean, std } = targetScaleOf(p);
  return (y - mean) / std;
}

function vocabularyOf(vocabularies: Record<string, string[]>, column: string): string[] {
  const v = vocabularies[column];
  if (!Array.isArray(v) || v.length === 0) {
    throw new ConsortError('INVALID_ARGUMENT', `categorical column "${column}" has no vocabulary; list its allowed values in the task definition`, { column });
  }
  return v;
}

/**
 * Length of the statistics vector: MOMENT_SLOTS per numeric column (exact moments, see
 * exact-moments.ts), one count per vocabulary value, and MOMENT_SLOTS for a regression label.
 */
export function featureStatsLength(schema: FeatureSchema, vocabularies: Record<string, string[]>, task: 'binary' | 'regression' = 'binary'): number {
  return MOMENT_SLOTS * schema.numeric.length + schema.categorical.reduce((n, c) => n + vocabularyOf(vocabularies, c).length, 0)
    + (task === 'regression' ? MOMENT_SLOTS : 0);
}

function checkMagnitude(v: number, column: string, where: RowLocation): void {
  if (Math.abs(v) > MAX_ABS_NUMERIC_VALUE) {
    throw new ConsortError('DATA_INVALID',
      `${at(where, column)}: ${v} is outside ±1e12, the range federated statistics sum exactly; rescale the column in the mapping (e.g. thousands instead of units) or fix the value`,
      { ...where, column, value: v, bound: MAX_ABS_NUMERIC_VALUE });
  }
}

/**
 * A member's additive feature statistics, to be securely summed: per numeric column its exact
 * moments (count of present values, Σx, Σx² as 32-bit limbs of big-integer sums), then per
 * categorical value its count, then (regression) the label's moments. Every entry is an integer
 * below 2^32. Only the sum over members is ever revealed; fitPipeline fits the pipeline from it.
 * A value beyond ±1e12 throws DATA_INVALID (never clipped). `file` names the data in error
 * messages; row i of `records` is reported as row i + 2.
 */
export function localFeatureStats(schema: FeatureSchema, vocabularies: Record<string, string[]>,
  records: Record<string, string>[], file = 'member data', task: 'binary' | 'regression' = 'binary'): Float64Array {
  const out = new Float64Array(featureStatsLength(schema, vocabularies, task));
  const vocabs = schema.categorical.map((c) => vocabularyOf(vocabularies, c));
  const moments = schema.numeric.map(() => new MomentSums());
  const label = new MomentSums();
  const catOffset = MOMENT_SLOTS * schema.numeric.length;
  records.forEach((record, i) => {
    const where = { file, row: i + 2 };
    schema.numeric.forEach((name, j) => {
      const v = parseNumericCell(cellOf(record, name, where), name, where);
      if (v === null) return;
      checkMagnitude(v, name, where);
      moments[j].add(v);
    });
    let k = catOffset;
    schema.categorical.forEach((name, ci) => {
      const idx = checkCategory(cellOf(record, name, where), name, vocabs[ci], where);
      if (idx >= 0) out[k + idx] += 1;
      k += vocabs[ci].length;
    });
    if (task === 'regression') {
      const y = encodeLabel({ label: schema.label, task }, record, where);
      checkMagnitude(y, schema.label, where);
      label.add(y);
    }
  });
  moments.forEach((m, j) => m.writeTo(out, MOMENT_SLOTS * j));
  if (task === 'regression') label.writeTo(out, out.length - MOMENT_SLOTS);
  return out;
}

/** A fitted pipeline and what the fitting noticed (columns that cannot inform the model). */
export interface FittedPipeline {
  pipeline: FeaturePipeline;
  warnings: RoundWarning[];
}

/**
 * Fits the pipeline from the SUM of members' localFeatureStats: exact mean and std per numeric
 * column (and of a regression label). A column with no values or no spread gets std 1 (and
 * mean 0 when empty) so encoding never divides by zero, and a ZERO_VARIANCE_COLUMN warning.
 */
export function fitPipeline(schema: FeatureSchema, vocabularies: Record<string, string[]>,
  summed: ArrayLike<number>, task: 'binary' | 'regression'): FittedPipeline {
  const expected = featureStatsLength(schema, vocabularies, task);
  if (summed.length !== expected) {
    throw new ConsortError('INVALID_ARGUMENT', `feature statistics have ${summed.length} entries but the schema needs ${expected}`, { expected, got: summed.length });
  }
  const warnings: RoundWarning[] = [];
  const scaleOf: ColumnScale = (name, offset, role) => {
    const m = meanAndStd(readMoments(summed, offset, `${role} "${name}"`));
    if (m === null) {
      warnings.push({ code: 'ZERO_VARIANCE_COLUMN', column: name, message: `${role} "${name}" has no values in any member's data: it cannot inform the model; check the mapping or drop it from the task` });
      return { mean: 0, std: 1 };
    }
    if (!(m.std > 0) || !Number.isFinite(m.std)) {
      warnings.push({ code: 'ZERO_VARIANCE_COLUMN', column: name, message: `${role} "${name}" has the same value (${m.mean}) in every row of the federation: it cannot inform the model; check the mapping or drop it from the task` });
      return { mean: m.mean, std: 1 };
    }
    return { mean: m.mean, std: m.std };
  };
  return { pipeline: assemblePipeline(schema, vocabularies, summed, task, scaleOf), warnings };
}

/** How a fit reads one numeric column (or a regression label) at `offset` of the statistics vector. */
export type ColumnScale = (name: string, offset: number, role: string) => { mean: number; std: number };

/**
 * The pipeline from a statistics vector in featureStatsLength's layout: numeric columns scaled by
 * `scaleOf`, category shares from the counts (`countAt` reads one; default the summed value), the
 * regression target last. The exact and the noisy fit differ only in how they read a column.
 */
export function assemblePipeline(schema: FeatureSchema, vocabularies: Record<string, string[]>, summed: ArrayLike<number>,
  task: 'binary' | 'regression', scaleOf: ColumnScale, countAt: (index: number) => number = (i) => Number(summed[i])): FeaturePipeline {
  const numeric = schema.numeric.map((name, i) => ({ name, ...scaleOf(name, MOMENT_SLOTS * i, 'numeric column') }));
  let offset = MOMENT_SLOTS * schema.numeric.length;
  const categorical = schema.categorical.map((name) => {
    const vocabulary = [...vocabularyOf(vocabularies, name)];
    const counts = Array.from({ length: vocabulary.length }, (_, j) => countAt(offset + j));
    offset += vocabulary.length;
    const present = counts.reduce((a, b) => a + b, 0);
    // Pooled shares give scoring a federation-wide reference value for each category column.
    return present > 0 ? { name, vocabulary, shares: counts.map((c) => c / present) } : { name, vocabulary };
  });
  const p: FeaturePipeline = { numeric, categorical, label: schema.label, task };
  if (schema.positiveLabel && schema.positiveLabel.length > 0) p.positiveLabel = [...schema.positiveLabel];
  if (task === 'regression') p.target = scaleOf(schema.label, offset, 'regression label');
  return p;
}

/** fitPipeline without its warnings (callers that only need the pipeline). */
export function pipelineFromStats(schema: FeatureSchema, vocabularies: Record<string, string[]>,
  summed: ArrayLike<number>, task: 'binary' | 'regression'): FeaturePipeline {
  return fitPipeline(schema, vocabularies, summed, task).pipeline;
}
