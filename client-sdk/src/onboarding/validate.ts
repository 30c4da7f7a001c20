// Member-side validation of mapped data against the federation's task: rules -> findings with severity, column and example rows.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  DEFAULT_NEGATIVE_LABELS, embedAuditPolicyFile, parseNumericCell, parseTaskText, resolveTaskDefinition,
  type TaskDefinition,
} from '@consort/core';
import { SeededRandom } from '@consort/core';
import type { OnboardingMapping } from './mapping.ts';
import { ID_COLUMN, openMappedSource, type MappedSource, type MappingCounts, type OpenMappedOptions } from './mapped-source.ts';

/** How bad a finding is: errors fail validation (exit code 1), warnings and notes do not. */
export type Severity = 'error' | 'warning' | 'info';

/** One result of a rule. `examples` are the first offending rows (spreadsheet row or customer id). */
export interface Finding {
  rule: string;
  severity: Severity;
  column?: string;
  message: string;
  examples: { row: number | string; value?: string }[];
  count?: number;
}

/** Per-column summary shown in the report. */
export interface ColumnSummary {
  name: string;
  role: 'numeric' | 'categorical' | 'label' | 'protected' | 'id';
  from: string;
  present: number;
  missing: number;
  min?: number;
  max?: number;
  mean?: number;
  distinct?: number;
  top?: [string, number][];
  /** Single-feature AUC against a binary label (max of AUC and 1 - AUC). */
  auc?: number;
}

/** The whole validation result: what prepare would produce and whether it is fit for rounds. */
export interface ValidationReport {
  task: string;
  mappingFile: string;
  source: string;
  shape: OnboardingMapping['shape'];
  rows: number;
  positives?: number;
  counts: MappingCounts;
  columns: ColumnSummary[];
  sourceColumnsRead: string[];
  unused: string[];
  findings: Finding[];
  errors: number;
  warnings: number;
}

/** Thresholds of the rules (defaults in DEFAULT_THRESHOLDS). */
export interface ValidationThresholds {
  minRows: number;
  minPositives: number;
  /** Missing-value rate of a feature above which validation warns / fails. */
  missingWarn: number;
  missingError: number;
  /** Single-feature AUC above which a feature is suspected of leaking the label. */
  leakageAuc: number;
}

/** Defaults: small members are welcome (50 rows, 10 positives), leakage at AUC 0.98. */
export const DEFAULT_THRESHOLDS: ValidationThresholds = { minRows: 50, minPositives: 10, missingWarn: 0.2, missingError: 0.5, leakageAuc: 0.98 };

/** A task file as read by the member: the task (resolved by core, as the coordinator does) and its protected inputs. */
export interface LoadedTask {
  task: TaskDefinition;
  /** Protected attributes the operator explicitly allowed as model inputs (`protectedInputs:`, checked by core). */
  protectedInputs: string[];
}

/**
 * Reads the federation's task file (YAML or JSON) through core's one task resolver, with the
 * same rules as the coordinator: a protected attribute is never a model input unless the task
 * lists it under `protectedInputs`, an explicit opt-in (it then stays an audit column too).
 */
export function loadTaskFile(path: string): LoadedTask {
  const source = `task file ${path}`;
  // audit.policyFile is read relative to the task file, as the coordinator's task-file commands do.
  const doc = embedAuditPolicyFile(parseTaskText(readFileSync(path, 'utf8'), source), source, { locate: (f) => resolve(dirname(path), f), read: (f) => readFileSync(f, 'utf8') });
  const task = resolveTaskDefinition(doc, source);
  return { task, protectedInputs: task.protectedInputs };
}

const SAMPLE = 50_000;

interface Acc {
  summary: ColumnSummary;
  nonNumeric: { row: number | string; value: string }[];
  nonNumericCount: number;
  outOfRange: { row: number | string; value: string }[];
  outOfRangeCount: number;
  unknown: Map<string, { count: number; rows: (number | string)[] }>;
  counts: Map<string, number>;
  /** Categorical: per value [positives, negatives]. */
  byLabel: Map<string, [number, number]>;
  sum: number;
  /** Numeric: reservoir sample of (value, label) pairs for the leakage AUC. */
  sample: [number, number][];
  seen: number;
  first: string | null;
  constant: boolean;
}

/** Rows that must share a value before the validation report names it. */
const MIN_ROWS_TO_SHOW_VALUE = 5;

function rowsText(ex: { row: number | string; value?: string }[]): string {
  const numbered = typeof ex[0]?.row === 'number';
  return `${numbered ? 'rows' : 'customers'} ${ex.map((e) => (e.value === undefined ? `${e.row}` : `${e.row} ("${e.value}")`)).join(', ')}`;
}

/** AUC of a numeric score against 0/1 labels (ties get half credit); NaN without both classes. */
export function aucOf(pairs: [number, number][]): number {
  const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j][0] === sorted[i][0]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (sorted[k][1] === 1) { pos++; rankSum += avgRank; }
    i = j;
  }
  const neg = sorted.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

function categoricalAuc(byLabel: Map<string, [number, number]>): number {
  // Scoring each category by its positive rate is the best one feature can do: its AUC.
  const cats = [...byLabel.values()].sort((a, b) => a[0] / (a[0] + a[1]) - b[0] / (b[0] + b[1]));
  const P = cats.reduce((s, c) => s + c[0], 0);
  const N = cats.reduce((s, c) => s + c[1], 0);
  if (P === 0 || N === 0) return NaN;
  let negBelow = 0;
  let acc = 0;
  for (const [p, n] of cats) { acc += p * negBelow + 0.5 * p * n; negBelow += n; }
  return acc / (P * N);
}

/**
 * Streams the mapped data once and applies every rule: missing/extra columns, types, ranges,
 * missing-value rates, unknown categories, duplicate ids, constant columns, label leakage
 * (single-feature AUC), too few rows or positives, unreadable values. Memory: per-column
 * counters, a 50k-row sample per numeric column for the AUC, and the set of ids.
 */
export async function validateMapping(mapping: OnboardingMapping, loaded: LoadedTask,
  opts: { thresholds?: Partial<ValidationThresholds>; onProgress?: OpenMappedOptions['onProgress'] } = {}): Promise<ValidationReport> {
  const { task, protectedInputs } = loaded;
  const th = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
  const findings: Finding[] = [];
  const issues = new Map<string, Finding>();
  const mapped: MappedSource = await openMappedSource(mapping, task, {
    onProgress: opts.onProgress,
    onIssue: (i) => {
      const key = `${i.rule}:${i.column}`;
      let f = issues.get(key);
      if (!f) { f = { rule: 'type', severity: 'error', column: i.column, message: i.message, examples: [], count: 0 }; issues.set(key, f); }
      f.count! += 1;
      if (f.examples.length < 5) f.examples.push({ row: i.row, value: i.value });
    },
  });
  const file = mapped.source.describe;
  const binary = task.model.task === 'binary';
  const roleOf = (c: string): ColumnSummary['role'] => (c === ID_COLUMN ? 'id' : c === task.label ? 'label'
    : task.numeric.includes(c) ? 'numeric' : task.categorical.includes(c) ? 'categorical' : 'protected');
  const fromOf = (c: string) => {
    if (c === ID_COLUMN) return mapping.transactions?.customer ?? mapping.id ?? '';
    const s = mapping.columns[c] ?? (c === task.label ? mapping.columns['@label'] : undefined);
    return s?.from ?? (s?.value !== undefined ? `= "${s.value}"` : c);
  };

  for (const m of mapped.missing) {
    const role = m.protected ? 'protected attribute' : m.column === task.label ? 'label' : 'column';
    findings.push({
      rule: 'missing-column', severity: m.protected ? 'warning' : 'error', column: m.column,
      message: `${file}: ${role} "${m.column}" is mapped from "${m.from}", which the ${mapping.transactions ? 'derived customer table' : 'export'} does not have (it has ${(mapping.transactions ? ['recency_days', '...', ...mapping.transactions.attributes] : mapped.source.columns).map((c) => `"${c}"`).join(', ')}); fix "columns.${m.column}" in ${mapping.file}${m.protected ? ' (without it, fairness audits cannot cover this attribute)' : ''}`,
      examples: [],
    });
  }
  if (mapped.unused.length > 0) {
    findings.push({
      rule: 'extra-columns', severity: 'info',
      message: `${file}: ${mapped.unused.length} column(s) not used by the task are never read: ${mapped.unused.map((c) => `"${c}"`).join(', ')}`,
      examples: [],
    });
  }
  // A feature drawn from the same member column as a protected attribute is that attribute under another name.
  for (const c of [...task.numeric, ...task.categorical]) {
    const from = fromOf(c);
    const p = task.protected.find((q) => q !== c && fromOf(q) === from);
    if (p && !protectedInputs.includes(p)) {
      findings.push({ rule: 'protected-input', severity: 'error', column: c, message: `${mapping.file}: feature "${c}" is mapped from "${from}", the member column of protected attribute "${p}"; protected attributes are for audits only (the operator may opt in with protectedInputs: [${p}] in the task)`, examples: [] });
    }
  }
  for (const p of protectedInputs) {
    findings.push({ rule: 'protected-input', severity: 'info', column: p, message: `protected attribute "${p}" is a model input by the operator's explicit opt-in (task protectedInputs)`, examples: [] });
  }

  const cols = mapped.outputColumns;
  const acc = new Map<string, Acc>(cols.map((c) => [c, {
    summary: { name: c, role: roleOf(c), from: fromOf(c), present: 0, missing: 0 },
    nonNumeric: [], nonNumericCount: 0, outOfRange: [], outOfRangeCount: 0, unknown: new Map(), counts: new Map(), byLabel: new Map(),
    sum: 0, sample: [], seen: 0, first: null, constant: true,
  }]));
  const ids = new Set<string>();
  const dupes: { row: number | string; value: string }[] = [];
  let dupeCount = 0;
  const badLabels: { row: number | string; value: string }[] = [];
  let badLabelCount = 0;
  let rows = 0;
  let positives = 0;
  // Reservoir sampling with a fixed seed: the same file gives the same report.
  const reservoir = new SeededRandom(12345);
  const negatives = new Set(DEFAULT_NEGATIVE_LABELS);
  const isNumeric = (c: string) => task.numeric.includes(c) || (c === task.label && !binary);
  const where = { file, row: 0 };

  for await (const r of mapped.rows()) {
    rows += 1;
    const v = r.values;
    const rawLabel = (v[task.label] ?? '').trim();
    let y = -1;
    if (binary && rawLabel !== '') {
      if (task.positiveLabel.includes(rawLabel)) y = 1;
      else if (negatives.has(rawLabel.toLowerCase())) y = 0;
      else { badLabelCount += 1; if (badLabels.length < 5) badLabels.push({ row: r.row, value: rawLabel }); }
      if (y === 1) positives += 1;
    }
    if (r.id !== undefined && r.id !== '') {
      if (ids.has(r.id)) { dupeCount += 1; if (dupes.length < 5) dupes.push({ row: r.row, value: r.id }); } else ids.add(r.id);
    }
    for (const c of cols) {
      if (c === ID_COLUMN) continue;
      const a = acc.get(c)!;
      const raw = (v[c] ?? '').trim();
      if (raw === '') { a.summary.missing += 1; continue; }
      a.summary.present += 1;
      if (a.first === null) a.first = raw; else if (raw !== a.first) a.constant = false;
      if (isNumeric(c)) {
        let x: number | null;
        try { where.row = typeof r.row === 'number' ? r.row : 0; x = parseNumericCell(raw, c, where); } catch { x = null; }
        if (x === null) { a.nonNumericCount += 1; if (a.nonNumeric.length < 5) a.nonNumeric.push({ row: r.row, value: raw }); continue; }
        const spec = mapping.columns[c];
        if ((spec?.min !== undefined && x < spec.min) || (spec?.max !== undefined && x > spec.max)) {
          a.outOfRangeCount += 1; if (a.outOfRange.length < 5) a.outOfRange.push({ row: r.row, value: raw });
        }
        a.summary.min = Math.min(a.summary.min ?? Infinity, x);
        a.summary.max = Math.max(a.summary.max ?? -Infinity, x);
        a.sum += x;
        if (y >= 0 && c !== task.label) {
          a.seen += 1;
          if (a.sample.length < SAMPLE) a.sample.push([x, y]);
          else { const k = reservoir.int(a.seen); if (k < SAMPLE) a.sample[k] = [x, y]; }
        }
      } else {
        if (a.counts.size < 1000 || a.counts.has(raw)) a.counts.set(raw, (a.counts.get(raw) ?? 0) + 1);
        const vocab = task.vocabularies[c];
        if (vocab && !vocab.includes(raw)) {
          let u = a.unknown.get(raw);
          if (!u) { u = { count: 0, rows: [] }; a.unknown.set(raw, u); }
          u.count += 1; if (u.rows.length < 3) u.rows.push(r.row);
        }
        if (y >= 0 && task.categorical.includes(c)) {
          const b = a.byLabel.get(raw) ?? [0, 0];
          b[y === 1 ? 0 : 1] += 1;
          a.byLabel.set(raw, b);
        }
      }
    }
  }

  const total = rows;
  for (const c of cols) {
    if (c === ID_COLUMN) continue;
    const a = acc.get(c)!;
    const s = a.summary;
    const spec = mapping.columns[c];
    if (a.nonNumericCount > 0) {
      findings.push({ rule: 'type', severity: 'error', column: c, count: a.nonNumericCount, examples: a.nonNumeric,
        message: `${file}: column "${c}" (from "${s.from}"): ${a.nonNumericCount} value(s) are not numbers, first at ${rowsText(a.nonNumeric)}; fix them, map them with "values", or list the token under "missing"` });
    }
    if (a.outOfRangeCount > 0) {
      findings.push({ rule: 'range', severity: 'error', column: c, count: a.outOfRangeCount, examples: a.outOfRange,
        message: `${file}: column "${c}" (from "${s.from}"): ${a.outOfRangeCount} value(s) outside [${spec?.min ?? '-∞'}, ${spec?.max ?? '∞'}], first at ${rowsText(a.outOfRange)}; check the unit ("scale") or the data` });
    }
    for (const [value, u] of a.unknown) {
      findings.push({ rule: 'unknown-category', severity: 'error', column: c, count: u.count, examples: u.rows.map((row) => ({ row, value })),
        message: `${file}: column "${c}" (from "${s.from}"): "${value}" (${u.count} row(s), first at ${rowsText(u.rows.map((row) => ({ row })))}) is not one of the federation's values (${task.vocabularies[c].join(', ')}); map it under "columns.${c}.values" in ${mapping.file}` });
    }
    if (total > 0) {
      const rate = s.missing / total;
      if (c === task.label && s.missing > 0) {
        findings.push({ rule: 'missing-values', severity: 'error', column: c, count: s.missing, examples: [],
          message: `${file}: label "${c}" is empty in ${s.missing} of ${total} rows; every training row needs a label: fill them in or filter those rows out` });
      } else if (c !== task.label && rate > th.missingWarn && !task.protected.includes(c)) {
        findings.push({ rule: 'missing-values', severity: rate > th.missingError ? 'error' : 'warning', column: c, count: s.missing, examples: [],
          message: `${file}: column "${c}" (from "${s.from}") is missing in ${(100 * rate).toFixed(1)} % of rows (${s.missing} of ${total}; limit ${(100 * (rate > th.missingError ? th.missingError : th.missingWarn)).toFixed(0)} %); check the mapping or fill the gaps` });
      }
    }
    if (a.constant && s.present > 1 && c !== task.label && total > 1) {
      findings.push({ rule: 'constant-column', severity: 'warning', column: c, examples: [],
        message: `${file}: column "${c}" (from "${s.from}") has the same value "${a.first}" in every row; it carries no information for this member (fine if other members differ)` });
    }
    s.distinct = a.counts.size || undefined;
    if (a.counts.size > 0) {
      // The report may be sent to the operator: a value shows only if the federation agreed on it
      // or at least 5 rows share it; rarer ones (a typo, a free-text cell) are only counted.
      const agreed = new Set(task.vocabularies[c] ?? []);
      const shown = [...a.counts].filter(([v, n]) => agreed.has(v) || n >= MIN_ROWS_TO_SHOW_VALUE);
      const hidden = [...a.counts].reduce((sum, [v, n]) => sum + (agreed.has(v) || n >= MIN_ROWS_TO_SHOW_VALUE ? 0 : n), 0);
      s.top = [...shown.sort((x, y) => y[1] - x[1]).slice(0, 5), ...(hidden > 0 ? [['(rarer values)', hidden] as [string, number]] : [])];
    }
    if (s.present > 0 && isNumeric(c)) s.mean = a.sum / Math.max(1, s.present - a.nonNumericCount);
    if (binary && c !== task.label && (task.numeric.includes(c) || task.categorical.includes(c))) {
      const auc = task.numeric.includes(c) ? aucOf(a.sample) : categoricalAuc(a.byLabel);
      if (Number.isFinite(auc)) {
        s.auc = Math.max(auc, 1 - auc);
        if (s.auc > th.leakageAuc) {
          findings.push({ rule: 'label-leakage', severity: 'error', column: c, examples: [],
            message: `${file}: column "${c}" (from "${s.from}") alone predicts the label "${task.label}" almost perfectly (AUC ${s.auc.toFixed(3)} > ${th.leakageAuc}); it is probably known only after the outcome: drop it from the task or map another column` });
        }
      }
    }
  }
  if (dupeCount > 0) {
    findings.push({ rule: 'duplicate-id', severity: 'error', column: ID_COLUMN, count: dupeCount, examples: dupes,
      message: `${file}: ${dupeCount} duplicate customer id(s) in "${fromOf(ID_COLUMN)}", first at ${rowsText(dupes)}; one row per customer: remove or merge the duplicates` });
  }
  if (badLabelCount > 0) {
    findings.push({ rule: 'label-values', severity: 'error', column: task.label, count: badLabelCount, examples: badLabels,
      message: `${file}: label "${task.label}": ${badLabelCount} value(s) are neither positive (${task.positiveLabel.join(', ')}) nor negative (0/no/false), first at ${rowsText(badLabels)}; map them under "label.values" in ${mapping.file}` });
  }
  if (total < th.minRows) {
    findings.push({ rule: 'too-few-rows', severity: 'error', count: total, examples: [],
      message: `${file}: only ${total} usable row(s) after filter and consent (at least ${th.minRows} needed); too few rows to train on and they would be easy to single out` });
  }
  if (binary && total > 0 && positives < th.minPositives) {
    findings.push({ rule: 'too-few-positives', severity: 'error', column: task.label, count: positives, examples: [],
      message: `${file}: only ${positives} positive label(s) ("${task.label}" in ${task.positiveLabel.join(', ')}) of ${total} rows (at least ${th.minPositives} needed); check "label.values" or the cutoff/horizon` });
  }
  if (mapped.counts.noConsent > 0) {
    findings.push({ rule: 'consent', severity: 'info', count: mapped.counts.noConsent, examples: [],
      message: `${mapped.counts.noConsent} ${mapping.transactions ? 'line(s)' : 'row(s)'} without analytics consent excluded from training, evaluation and audits` });
  }
  const d = mapped.counts.derivation;
  if (mapping.transactions && d && d.lastTime < mapping.transactions.cutoff + mapping.transactions.horizonDays * 86_400_000) {
    findings.push({ rule: 'censored-labels', severity: 'warning', examples: [],
      message: `${file}: the last line is dated ${new Date(d.lastTime).toISOString().slice(0, 10)}, before the end of the label horizon; churn labels are overstated: move the cutoff earlier` });
  }
  findings.push(...issues.values());
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  findings.sort((x, y) => order[x.severity] - order[y.severity]);
  return {
    task: task.name, mappingFile: mapping.file, source: file, shape: mapping.shape, rows: total, positives: binary ? positives : undefined,
    counts: mapped.counts, columns: cols.map((c) => acc.get(c)!.summary), sourceColumnsRead: mapped.sourceColumnsRead, unused: mapped.unused,
    findings, errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}

/** Plain-text rendering of a report for the terminal. */
export function formatReport(r: ValidationReport): string {
  const lines = [
    `Validation of ${r.source} (mapping ${r.mappingFile}) for task "${r.task}"`,
    `  ${r.counts.read} ${r.shape === 'transactions' ? 'lines' : 'rows'} read; ${r.rows} customer rows usable${r.positives !== undefined ? `, ${r.positives} positive` : ''}; `
      + `${r.counts.filteredOut} outside the member's filter, ${r.counts.noConsent} without consent${r.shape === 'transactions' ? `, ${r.counts.noCustomer} lines without customer id` : ''}`,
    `  columns read: ${r.sourceColumnsRead.join(', ')}`,
  ];
  for (const f of r.findings) lines.push(`${f.severity.toUpperCase().padEnd(7)} [${f.rule}] ${f.message}`);
  lines.push(r.errors > 0 ? `FAILED: ${r.errors} error(s), ${r.warnings} warning(s)` : `OK: no errors, ${r.warnings} warning(s)`);
  return lines.join('\n');
}
