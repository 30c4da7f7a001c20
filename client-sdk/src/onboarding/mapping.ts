// A member's mapping file (YAML/JSON): where its export is, how its columns and values become the federation's schema.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConsortError } from '@consort/core';
import { compileDateFormat, parseConfigDate } from './dates.ts';

/** Text encodings a CSV export may use (decoded with Node's TextDecoder). */
export const CSV_ENCODINGS = ['utf-8', 'latin1', 'windows-1252', 'utf-16le', 'utf-16be'] as const;
/** One of CSV_ENCODINGS. */
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

/** A CSV export on the member's disk. */
export interface CsvSourceSpec {
  kind: 'csv';
  /** Absolute path (the file gives it relative to the mapping file). */
  path: string;
  delimiter?: string;
  encoding: CsvEncoding;
  /** true: first row names the columns; false: no header (columns are column_1...); auto: guessed. */
  header: boolean | 'auto';
}

/** A table or query in SQLite (file path or file: URL) or PostgreSQL (postgresql:// URL). */
export interface SqlSourceSpec {
  kind: 'sql';
  url: string;
  table?: string;
  query?: string;
}

/** How one federation column is produced from the member's columns. */
export interface ColumnSpec {
  /** The member's column; absent with `value`. */
  from?: string;
  /** A constant for every row (e.g. the member's region when the export has none). */
  value?: string;
  /** Member value -> federation value (categories, label values). Unlisted values pass through. */
  values?: Record<string, string>;
  /** Multiply numbers by this (units, currency: cents -> euros = 0.01). */
  scale?: number;
  /** Read the cell as a date in this format and output whole days from it to `daysUntil`. */
  date?: string;
  daysUntil?: string;
  /** Expected range after scaling: values outside are validation errors. */
  min?: number;
  max?: number;
}

/** Transaction-level exports (invoice lines) and how to turn them into customers. */
export interface TransactionSpec {
  customer: string;
  timestamp: string;
  dateFormat: string;
  invoice?: string;
  quantity?: string;
  unitPrice?: string;
  amount?: string;
  channel?: string;
  /** A line is a cancellation/return when this column starts with the prefix (e.g. InvoiceNo "C..."); negative quantities always are. */
  cancellation?: { column: string; startsWith: string };
  /** Features are computed from lines strictly before the cutoff; labels from [cutoff, cutoff + horizon). */
  cutoff: number;
  horizonDays: number;
  /** "Recent" window for the trend feature (default: horizonDays). */
  trendDays: number;
  /** Multiplies every amount (currency or unit conversion). */
  currencyScale: number;
  /** Customer-level columns carried from the customer's first line (e.g. Country). */
  attributes: string[];
}

/** A row filter selecting the member's own slice of a shared export. */
export interface RowFilter {
  column: string;
  equals?: string;
  in?: string[];
  notEquals?: string;
}

/** A validated mapping file. */
export interface OnboardingMapping {
  /** Where the mapping was read from (for messages). */
  file: string;
  source: CsvSourceSpec | SqlSourceSpec;
  shape: 'customer' | 'transactions';
  /** The member's customer id column (customer shape); written as customer_id, checked for duplicates. */
  id?: string;
  filter?: RowFilter;
  /** Rows whose consent column is not one of `values` are excluded from training, evaluation and audits (and counted). */
  consent?: { column: string; values: string[] };
  /** Federation column -> how to produce it. Columns not listed are read under their own name. */
  columns: Record<string, ColumnSpec>;
  /** Cell values meaning "missing" besides the empty cell (e.g. " ", "?"). */
  missing: string[];
  /** "," when the export writes 3,14 (European spreadsheets). */
  decimal: '.' | ',';
  transactions?: TransactionSpec;
}

function bad(file: string, field: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `${file}: mapping field "${field}": ${message}`, { file, field });
}

function str(v: unknown, file: string, field: string): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string' || v === '') bad(file, field, 'must be a non-empty text');
  return v;
}

function optStr(v: unknown, file: string, field: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, file, field);
}

function obj(v: unknown, file: string, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(file, field, 'must be a mapping (key: value lines)');
  return v as Record<string, unknown>;
}

function num(v: unknown, file: string, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(file, field, `must be a number (got ${JSON.stringify(v)})`);
  return v;
}

function checkKeys(o: Record<string, unknown>, allowed: string[], file: string, field: string): void {
  for (const k of Object.keys(o)) {
    // A typo ("scaled", "form") would otherwise be ignored silently and the data mapped wrongly.
    if (!allowed.includes(k)) bad(file, `${field}${field ? '.' : ''}${k}`, `unknown key; allowed: ${allowed.join(', ')}`);
  }
}

function columnSpec(v: unknown, file: string, field: string): ColumnSpec {
  if (typeof v === 'string' || typeof v === 'number') return { from: String(v) };
  const o = obj(v, file, field);
  checkKeys(o, ['from', 'value', 'values', 'scale', 'date', 'daysUntil', 'min', 'max'], file, field);
  const spec: ColumnSpec = { from: optStr(o.from, file, `${field}.from`), value: optStr(o.value, file, `${field}.value`) };
  if ((spec.from === undefined) === (spec.value === undefined)) bad(file, field, 'give exactly one of "from" (a column of your export) or "value" (a constant)');
  if (o.values !== undefined) {
    const vals = obj(o.values, file, `${field}.values`);
    spec.values = Object.fromEntries(Object.entries(vals).map(([k, x]) => [k, x === null ? '' : str(x, file, `${field}.values.${k}`)]));
  }
  spec.scale = num(o.scale, file, `${field}.scale`);
  spec.min = num(o.min, file, `${field}.min`);
  spec.max = num(o.max, file, `${field}.max`);
  if (o.date !== undefined) {
    spec.date = str(o.date, file, `${field}.date`);
    try { compileDateFormat(spec.date); } catch (err) { bad(file, `${field}.date`, (err as Error).message); }
    if (o.daysUntil === undefined) bad(file, `${field}.daysUntil`, 'a date column needs "daysUntil: YYYY-MM-DD" (the reference date the days are counted to)');
    parseConfigDate(o.daysUntil, `${field}.daysUntil`, file);
    spec.daysUntil = o.daysUntil instanceof Date ? o.daysUntil.toISOString().slice(0, 10) : String(o.daysUntil);
  }
  return spec;
}

/**
 * Validates a parsed mapping document. `file` names it in messages; relative source paths are
 * resolved against `baseDir` (the mapping file's folder, so a mapping travels with its export).
 */
export function parseMapping(doc: unknown, file: string, baseDir: string): OnboardingMapping {
  const o = obj(doc, file, '(top level)');
  checkKeys(o, ['source', 'shape', 'id', 'filter', 'consent', 'columns', 'label', 'missing', 'decimal', 'transactions'], file, '');
  const s = obj(o.source, file, 'source');
  let source: CsvSourceSpec | SqlSourceSpec;
  const type = s.type ?? 'csv';
  if (type === 'csv') {
    checkKeys(s, ['type', 'path', 'delimiter', 'encoding', 'header'], file, 'source');
    const encoding = (s.encoding ?? 'utf-8') as CsvEncoding;
    if (!CSV_ENCODINGS.includes(encoding)) bad(file, 'source.encoding', `use one of ${CSV_ENCODINGS.join(', ')} (got "${String(s.encoding)}")`);
    const header = s.header ?? 'auto';
    if (header !== true && header !== false && header !== 'auto') bad(file, 'source.header', 'use true, false or auto');
    const delimiter = optStr(s.delimiter, file, 'source.delimiter');
    if (delimiter !== undefined && delimiter.length !== 1 && delimiter !== '\\t') bad(file, 'source.delimiter', 'must be one character (",", ";", "|" or "\\t" for tab)');
    source = { kind: 'csv', path: resolve(baseDir, str(s.path, file, 'source.path')), encoding, header, delimiter: delimiter === '\\t' ? '\t' : delimiter };
  } else if (type === 'sql' || type === 'sqlite' || type === 'postgres') {
    checkKeys(s, ['type', 'url', 'table', 'query'], file, 'source');
    const url = str(s.url, file, 'source.url');
    const table = optStr(s.table, file, 'source.table');
    const query = optStr(s.query, file, 'source.query');
    if ((table === undefined) === (query === undefined)) bad(file, 'source', 'give exactly one of "table" or "query"');
    // SQLite paths are relative to the mapping file like CSV paths.
    const isPg = /^postgres(ql)?:\/\//.test(url);
    const resolved = isPg || /^(libsql|https?|wss?):/.test(url) ? url : `file:${resolve(baseDir, url.replace(/^file:/, ''))}`;
    source = { kind: 'sql', url: resolved, table, query };
  } else {
    bad(file, 'source.type', `use csv, sqlite or postgres (got "${String(type)}")`);
  }
  const shape = o.shape ?? 'customer';
  if (shape !== 'customer' && shape !== 'transactions') bad(file, 'shape', 'use "customer" (one row per customer) or "transactions" (invoice lines)');
  const columns: Record<string, ColumnSpec> = {};
  if (o.columns !== undefined) {
    for (const [k, v] of Object.entries(obj(o.columns, file, 'columns'))) columns[k] = columnSpec(v, file, `columns.${k}`);
  }
  // `label:` is a shortcut for the task's label column; resolved against the task later.
  if (o.label !== undefined) columns['@label'] = columnSpec(o.label, file, 'label');
  let filter: RowFilter | undefined;
  if (o.filter !== undefined) {
    const f = obj(o.filter, file, 'filter');
    checkKeys(f, ['column', 'equals', 'in', 'notEquals'], file, 'filter');
    filter = { column: str(f.column, file, 'filter.column'), equals: optStr(f.equals, file, 'filter.equals'), notEquals: optStr(f.notEquals, file, 'filter.notEquals') };
    if (f.in !== undefined) {
      if (!Array.isArray(f.in)) bad(file, 'filter.in', 'must be a list of values');
      filter.in = f.in.map((x, i) => str(x, file, `filter.in[${i}]`));
    }
    if (filter.equals === undefined && filter.in === undefined && filter.notEquals === undefined) bad(file, 'filter', 'give "equals", "in" or "notEquals"');
  }
  let consent: OnboardingMapping['consent'];
  if (o.consent !== undefined) {
    const c = obj(o.consent, file, 'consent');
    checkKeys(c, ['column', 'values'], file, 'consent');
    const values = c.values ?? ['1', 'yes', 'true', 'y'];
    if (!Array.isArray(values) || values.length === 0) bad(file, 'consent.values', 'list the values meaning "consents to analytics"');
    consent = { column: str(c.column, file, 'consent.column'), values: values.map((x, i) => str(x, file, `consent.values[${i}]`)) };
  }
  const missing = o.missing === undefined ? [] : Array.isArray(o.missing) ? o.missing.map((x) => String(x)) : bad(file, 'missing', 'must be a list of values, e.g. [" ", "?"]');
  const decimal = o.decimal ?? '.';
  if (decimal !== '.' && decimal !== ',') bad(file, 'decimal', 'use "." or ","');
  let transactions: TransactionSpec | undefined;
  if (shape === 'transactions') {
    const t = obj(o.transactions, file, 'transactions');
    checkKeys(t, ['customer', 'timestamp', 'dateFormat', 'invoice', 'quantity', 'unitPrice', 'amount', 'channel', 'cancellation', 'cutoff', 'horizonDays', 'trendDays', 'currencyScale', 'attributes'], file, 'transactions');
    const dateFormat = optStr(t.dateFormat, file, 'transactions.dateFormat') ?? 'iso';
    try { compileDateFormat(dateFormat); } catch (err) { bad(file, 'transactions.dateFormat', (err as Error).message); }
    const horizonDays = num(t.horizonDays, file, 'transactions.horizonDays') ?? bad(file, 'transactions.horizonDays', 'give the churn horizon in days (e.g. 90)');
    if (!(horizonDays > 0)) bad(file, 'transactions.horizonDays', 'must be > 0');
    const amount = optStr(t.amount, file, 'transactions.amount');
    const unitPrice = optStr(t.unitPrice, file, 'transactions.unitPrice');
    if (amount === undefined && unitPrice === undefined) bad(file, 'transactions', 'give "amount" (line total) or "unitPrice" (with "quantity")');
    let cancellation: TransactionSpec['cancellation'];
    if (t.cancellation !== undefined) {
      const c = obj(t.cancellation, file, 'transactions.cancellation');
      cancellation = { column: str(c.column, file, 'transactions.cancellation.column'), startsWith: str(c.startsWith, file, 'transactions.cancellation.startsWith') };
    }
    const attributes = t.attributes === undefined ? [] : Array.isArray(t.attributes) ? t.attributes.map((x) => String(x)) : bad(file, 'transactions.attributes', 'must be a list of columns');
    transactions = {
      customer: str(t.customer, file, 'transactions.customer'),
      timestamp: str(t.timestamp, file, 'transactions.timestamp'),
      dateFormat,
      invoice: optStr(t.invoice, file, 'transactions.invoice'),
      quantity: optStr(t.quantity, file, 'transactions.quantity'),
      unitPrice, amount,
      channel: optStr(t.channel, file, 'transactions.channel'),
      cancellation,
      cutoff: parseConfigDate(t.cutoff, 'transactions.cutoff', file),
      horizonDays,
      trendDays: num(t.trendDays, file, 'transactions.trendDays') ?? horizonDays,
      currencyScale: num(t.currencyScale, file, 'transactions.currencyScale') ?? 1,
      attributes,
    };
    if (transactions.unitPrice !== undefined && transactions.quantity === undefined) bad(file, 'transactions.quantity', '"unitPrice" needs "quantity"');
  } else if (o.transactions !== undefined) {
    bad(file, 'transactions', 'only for shape: transactions');
  }
  return {
    file, source, shape: shape as OnboardingMapping['shape'], id: optStr(o.id, file, 'id'), filter, consent, columns, missing,
    decimal: decimal as '.' | ',', transactions,
  };
}

/** Reads and validates a mapping file (.yaml, .yml or .json). */
export function loadMapping(path: string): OnboardingMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `cannot read mapping file ${path}: ${(err as Error).message}`, { file: path });
  }
  let doc: unknown;
  try {
    doc = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, { file: path });
  }
  return parseMapping(doc, path, dirname(resolve(path)));
}
