// Mapping applied to a source: streams customer-level records under the federation's column names (the one path prepare and validate share).
import { ConsortError, type TaskDefinition } from '@consort/core';
import { compileDateFormat, DAY_MS, parseConfigDate } from './dates.ts';
import type { ColumnSpec, OnboardingMapping } from './mapping.ts';
import { openCsvSource } from './sources/csv-source.ts';
import { openSqlSource } from './sources/sql-source.ts';
import type { RecordSource } from './sources/source.ts';
import { DERIVED_COLUMNS, TransactionAggregator, type DerivationStats } from './transactions.ts';

/** Column of the prepared file holding the member's customer id (never a model input). */
export const ID_COLUMN = 'customer_id';

/** One mapped customer row. `row` is the source row (customer shape) or the customer id (transactions). */
export interface MappedRow {
  values: Record<string, string>;
  row: number | string;
  id?: string;
}

/** A value the mapping could not convert (bad date, bad number in a transaction line). */
export interface MappingIssue {
  rule: 'type';
  column: string;
  row: number | string;
  value: string;
  message: string;
}

/** What was read and what was left out, and why. */
export interface MappingCounts {
  /** Rows (or invoice lines) read from the source. */
  read: number;
  /** Rows outside the member's slice (`filter`): not the member's data at all. */
  filteredOut: number;
  /** Rows without analytics consent: excluded from training, evaluation and audits. */
  noConsent: number;
  /** Transaction lines without a customer id. */
  noCustomer: number;
  /** Transaction lines skipped because a value could not be read (validate mode only). */
  unreadable: number;
  derivation?: DerivationStats;
}

/** A mapping opened against its source and the task. */
export interface MappedSource {
  source: RecordSource;
  /** Columns of the prepared file, in order: id (when mapped), features, label, protected attributes present. */
  outputColumns: string[];
  /** Member columns actually read (everything else in the export is never read). */
  sourceColumnsRead: string[];
  /** Federation columns whose member column does not exist: [federation column, member column]. */
  missing: { column: string; from: string; protected: boolean }[];
  /** Member columns the mapping does not use (reported, never read). */
  unused: string[];
  counts: MappingCounts;
  /** Where rows come from, for messages ("telco.csv" or "customer 12583 of retail.csv"). */
  rowLabel(row: number | string): string;
  rows(): AsyncIterable<MappedRow>;
}

/** Options for openMappedSource. */
export interface OpenMappedOptions {
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Collect conversion problems instead of throwing on the first (validate). */
  onIssue?: (issue: MappingIssue) => void;
}

function specFor(mapping: OnboardingMapping, task: TaskDefinition, column: string): ColumnSpec {
  return mapping.columns[column] ?? (column === task.label ? mapping.columns['@label'] : undefined) ?? { from: column };
}

/** Parses a number written with the mapping's decimal separator; NaN when it is not one. */
export function parseMemberNumber(raw: string, decimal: '.' | ','): number {
  const s = decimal === ',' ? raw.trim().replace(/\./g, '').replace(',', '.') : raw.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
}

function fmt(n: number): string {
  return String(Number(n.toFixed(6)));
}

/** Opens the mapping's source and checks its columns. */
export async function openSource(mapping: OnboardingMapping, onProgress?: OpenMappedOptions['onProgress']): Promise<RecordSource> {
  const s = mapping.source;
  return s.kind === 'csv'
    ? openCsvSource({ path: s.path, encoding: s.encoding, delimiter: s.delimiter, header: s.header, onProgress })
    : openSqlSource({ url: s.url, table: s.table, query: s.query });
}

/**
 * Applies a mapping to its source for a task. Only the columns the mapping and the task use are
 * read (data minimization); rows outside the filter or without consent are dropped and counted.
 * Without `onIssue`, the first unreadable value throws ConsortError(DATA_INVALID) naming the
 * file, row, column and value.
 */
export async function openMappedSource(mapping: OnboardingMapping, task: TaskDefinition, opts: OpenMappedOptions = {}): Promise<MappedSource> {
  const source = await openSource(mapping, opts.onProgress);
  const tx = mapping.transactions;
  const file = source.describe;
  const fedColumns = [...task.numeric, ...task.categorical, task.label];
  const numericOut = new Set([...task.numeric, ...(task.model.task === 'regression' ? [task.label] : [])]);
  // The columns a mapped row can draw from: the export's, or the per-customer columns derived from lines.
  const available = tx ? [...DERIVED_COLUMNS, ...tx.attributes] : source.columns;
  const missing: MappedSource['missing'] = [];
  const present: string[] = [];
  for (const c of [...fedColumns, ...task.protected]) {
    const spec = specFor(mapping, task, c);
    if (spec.from !== undefined && !available.includes(spec.from)) missing.push({ column: c, from: spec.from, protected: task.protected.includes(c) });
    else present.push(c);
  }
  const idFrom = tx ? tx.customer : mapping.id;
  const outputColumns = [...(idFrom ? [ID_COLUMN] : []), ...present];
  const txColumns = tx ? [tx.customer, tx.timestamp, tx.invoice, tx.quantity, tx.unitPrice, tx.amount, tx.channel, tx.cancellation?.column, ...tx.attributes] : [];
  const wanted = [
    ...(tx ? txColumns : present.map((c) => specFor(mapping, task, c).from)),
    mapping.id, mapping.consent?.column, mapping.filter?.column,
  ].filter((c): c is string => c !== undefined);
  for (const c of [mapping.id, mapping.consent?.column, mapping.filter?.column, ...txColumns]) {
    if (c !== undefined && !source.columns.includes(c) && !missing.some((m) => m.from === c)) missing.push({ column: c, from: c, protected: false });
  }
  const sourceColumnsRead = [...new Set(wanted)].filter((c) => source.columns.includes(c));
  const unused = source.columns.filter((c) => !sourceColumnsRead.includes(c));
  const counts: MappingCounts = { read: 0, filteredOut: 0, noConsent: 0, noCustomer: 0, unreadable: 0 };
  const missingTokens = new Set(mapping.missing.map((m) => m.trim()));
  const consentValues = mapping.consent ? new Set(mapping.consent.values.map((v) => v.trim().toLowerCase())) : null;
  const where = (row: number | string) => (typeof row === 'number' ? `${file}, row ${row}` : `${file}, customer ${row}`);

  const issue = (i: MappingIssue) => {
    if (!opts.onIssue) throw new ConsortError('DATA_INVALID', `${where(i.row)}, column "${i.column}": ${i.message}`, { file, row: i.row, column: i.column, value: i.value });
    opts.onIssue(i);
  };
  const dateParsers = new Map<string, ReturnType<typeof compileDateFormat>>();
  const convert = (column: string, spec: ColumnSpec, record: Record<string, string>, row: number | string): string => {
    if (spec.value !== undefined) return spec.value;
    const raw = (record[spec.from!] ?? '').trim();
    if (raw === '' || missingTokens.has(raw)) return '';
    let v = spec.values && Object.hasOwn(spec.values, raw) ? spec.values[raw] : raw;
    if (spec.date) {
      let parser = dateParsers.get(spec.date);
      if (!parser) { parser = compileDateFormat(spec.date); dateParsers.set(spec.date, parser); }
      const t = parser(v);
      if (t === null) { issue({ rule: 'type', column, row, value: raw, message: `"${raw}" is not a date in the format "${spec.date}" (column "${spec.from}"); fix the value or the "date" format in the mapping` }); return raw; }
      return fmt((parseConfigDate(spec.daysUntil, 'daysUntil', mapping.file) - t) / DAY_MS);
    }
    if (numericOut.has(column) && (spec.scale !== undefined || mapping.decimal === ',')) {
      const n = parseMemberNumber(v, mapping.decimal);
      // Unreadable numbers pass through unchanged: validate reports them with their row.
      if (Number.isFinite(n)) v = fmt(n * (spec.scale ?? 1));
    }
    return v;
  };
  const selects = (values: Record<string, string>): boolean => {
    const f = mapping.filter;
    if (!f) return true;
    const v = (values[f.column] ?? '').trim();
    return (f.equals === undefined || v === f.equals) && (f.in === undefined || f.in.includes(v)) && (f.notEquals === undefined || v !== f.notEquals);
  };
  const consents = (values: Record<string, string>) => consentValues === null || consentValues.has((values[mapping.consent!.column] ?? '').trim().toLowerCase());
  const mapRecord = (record: Record<string, string>, row: number | string, id: string | undefined): MappedRow => {
    const values: Record<string, string> = {};
    if (idFrom) values[ID_COLUMN] = id ?? '';
    for (const c of present) values[c] = convert(c, specFor(mapping, task, c), record, row);
    return { values, row, id };
  };

  async function* customerRows(): AsyncGenerator<MappedRow> {
    for await (const r of source.rows(sourceColumnsRead)) {
      counts.read += 1;
      if (!selects(r.values)) { counts.filteredOut += 1; continue; }
      if (!consents(r.values)) { counts.noConsent += 1; continue; }
      yield mapRecord(r.values, r.row, mapping.id ? (r.values[mapping.id] ?? '').trim() : undefined);
    }
  }

  async function* transactionRows(): AsyncGenerator<MappedRow> {
    const t = tx!;
    const agg = new TransactionAggregator({ cutoff: t.cutoff, horizonDays: t.horizonDays, trendDays: t.trendDays });
    const parseTime = compileDateFormat(t.dateFormat);
    const noConsentCustomers = new Set<string>();
    let lastRawTime: string | null = null;
    let lastTime: number | null = null;
    const numberAt = (values: Record<string, string>, column: string, row: number): number | null => {
      const raw = values[column] ?? '';
      const n = parseMemberNumber(raw, mapping.decimal);
      if (Number.isFinite(n)) return n;
      issue({ rule: 'type', column, row, value: raw, message: `"${raw}" is not a number; fix the line or drop it from the export` });
      return null;
    };
    for await (const r of source.rows(sourceColumnsRead)) {
      counts.read += 1;
      const v = r.values;
      if (!selects(v)) { counts.filteredOut += 1; continue; }
      const customer = (v[t.customer] ?? '').trim();
      if (customer === '' || missingTokens.has(customer)) { counts.noCustomer += 1; continue; }
      if (!consents(v)) { counts.noConsent += 1; noConsentCustomers.add(customer); continue; }
      const rawTime = v[t.timestamp] ?? '';
      // Lines of one invoice share their timestamp: parse each distinct text once.
      const time: number | null = rawTime === lastRawTime ? lastTime : parseTime(rawTime);
      lastRawTime = rawTime;
      lastTime = time;
      if (time === null) {
        issue({ rule: 'type', column: t.timestamp, row: r.row, value: v[t.timestamp] ?? '', message: `"${v[t.timestamp] ?? ''}" is not a date in the format "${t.dateFormat}"; fix the value or "transactions.dateFormat" in the mapping` });
        counts.unreadable += 1;
        continue;
      }
      let amount: number | null;
      let quantity: number | null = null;
      if (t.amount !== undefined) amount = numberAt(v, t.amount, r.row);
      else {
        quantity = numberAt(v, t.quantity!, r.row);
        const price = quantity === null ? null : numberAt(v, t.unitPrice!, r.row);
        amount = quantity === null || price === null ? null : quantity * price;
      }
      if (amount === null) { counts.unreadable += 1; continue; }
      const cancelled = (quantity !== null && quantity < 0) || amount < 0
        || (t.cancellation !== undefined && (v[t.cancellation.column] ?? '').trim().startsWith(t.cancellation.startsWith));
      let attributes: Record<string, string> | undefined;
      if (t.attributes.length > 0) {
        attributes = {};
        for (const a of t.attributes) attributes[a] = (v[a] ?? '').trim();
      }
      agg.add({
        customer, time, order: t.invoice ? (v[t.invoice] ?? '') : String(time), cancelled,
        // A cancellation always takes money back, whatever sign the export gives it.
        amount: (cancelled ? -Math.abs(amount) : amount) * t.currencyScale,
        channel: t.channel ? (v[t.channel] ?? '').trim() : undefined, attributes,
      });
    }
    counts.derivation = agg.stats;
    for (const c of agg.records()) {
      // A customer who withdrew consent on any line is excluded entirely.
      if (noConsentCustomers.has(c.id)) continue;
      yield mapRecord(c.values, c.id, c.id);
    }
  }

  return {
    source, outputColumns, sourceColumnsRead, missing, unused, counts,
    rowLabel: where,
    rows: () => (tx ? transactionRows() : customerRows()),
  };
}
