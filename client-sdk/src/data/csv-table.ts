// Member CSV exports: streaming read with validation, encoding into matrices, deterministic stratified split.
import { createReadStream } from 'node:fs';
import { parse, type Info } from 'csv-parse';
import {
  ConsortError, SeededRandom, encodeRow, encodeTarget, pipelineInputDim, type FeaturePipeline, type FeatureSchema,
} from '@consort/core';
import { detectDelimiter, readHeaderLine } from './csv-head.ts';

/** Options for readMemberCsv. */
export interface ReadCsvOptions {
  /** Columns to keep besides the schema's (e.g. a customer id for scoring). Default none. */
  keep?: string[];
  /** Field delimiter; default: detected from the header line (`,`, `;` or tab). */
  delimiter?: string;
  /** Stop after this many data rows (previews, validation of huge files). Default: all. */
  maxRows?: number;
}

/** A member table reduced to the columns the task needs. */
export interface MemberTable {
  records: Record<string, string>[];
  /** All columns of the file's header, in order (for messages and mapping UIs). */
  columns: string[];
  rowCount: number;
  delimiter: string;
}

// Spreadsheet row (header = row 1) of each record, for error messages after splits and shuffles.
const rowNumbers = new WeakMap<object, number>();

/** The spreadsheet row a record was read from (header = row 1), if it came from readMemberCsv. */
export function rowOf(record: Record<string, string>): number | undefined {
  return rowNumbers.get(record);
}

function delimiterName(ch: string): string {
  return ch === '\t' ? 'tab' : `"${ch}"`;
}

function translateParseError(err: unknown, file: string, delimiter: string, headerLength: number): Error {
  const e = err as Error & { code?: string; lines?: number; record?: unknown[] };
  const line = e.lines ?? '?';
  switch (e.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS': {
      const got = Array.isArray(e.record) ? e.record.length : '?';
      return new ConsortError('DATA_INVALID',
        `${file}, line ${line}: the row has ${got} fields but the header has ${headerLength}; look for a missing or extra ${delimiterName(delimiter)} (quote values that contain it)`,
        { file, line, fields: got, expected: headerLength });
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      // csv-parse reports where the file ended, not where the quote opened.
      return new ConsortError('DATA_INVALID',
        `${file}, line ${line}: bad quoting: a quote opened on or before this line is never closed; close it or double quotes inside values ("")`,
        { file, line, cause: e.code });
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE': // csv-parse 6 names this one without the CSV_ prefix
    case 'CSV_INVALID_OPENING_QUOTE':
      return new ConsortError('DATA_INVALID',
        `${file}, line ${line}: bad quoting (${e.message.split(':')[0]}); a quoted value must end with a quote and quotes inside it must be doubled ("")`,
        { file, line, cause: e.code });
    default:
      return e.code?.startsWith('CSV_') || e.name === 'CsvError'
        ? new ConsortError('DATA_INVALID', `${file}, line ${line}: ${e.message}`, { file, line, cause: e.code })
        : e;
  }
}

/**
 * Streams a member's CSV export (header row; `,`/`;`/tab detected from the header; UTF-8 BOM
 * and CRLF handled) and keeps only the schema's columns plus `opts.keep`: data minimization,
 * nothing else stays in memory. Protected columns are kept when present. Throws
 * ConsortError(DATA_INVALID) for an empty file, a missing column (listing those found),
 * a ragged row or bad quoting (naming the line).
 */
export async function readMemberCsv(file: string, schema: FeatureSchema, opts: ReadCsvOptions = {}): Promise<MemberTable> {
  const header = await readHeaderLine(file, "check the path in the agent's configuration");
  if (header.trim() === '') {
    throw new ConsortError('DATA_INVALID', `${file} is empty; export the customer table with a header row (column names) first`, { file });
  }
  const delimiter = opts.delimiter ?? detectDelimiter(header);
  const required = [...new Set([...schema.numeric, ...schema.categorical, schema.label, ...(opts.keep ?? [])])];
  const optional = (schema.protected ?? []).filter((c) => !required.includes(c));
  const parser = createReadStream(file).pipe(parse({
    bom: true, delimiter, info: true, skip_empty_lines: true, relax_column_count: false,
  }));
  let columns: string[] | null = null;
  let picks: [string, number][] = [];
  const records: Record<string, string>[] = [];
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      if (columns === null) {
        columns = item.record.map((c) => c.trim());
        const missing = required.filter((c) => !columns!.includes(c));
        if (missing.length > 0) {
          throw new ConsortError('DATA_INVALID',
            `${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}; the file has ${columns.map((c) => `"${c}"`).join(', ')} (delimiter ${delimiterName(delimiter)}). Rename or map a column to each missing name`,
            { file, missing, found: columns });
        }
        const dupes = required.filter((c) => columns!.indexOf(c) !== columns!.lastIndexOf(c));
        if (dupes.length > 0) {
          throw new ConsortError('DATA_INVALID', `${file}: column${dupes.length > 1 ? 's' : ''} ${dupes.map((d) => `"${d}"`).join(', ')} appear more than once in the header; keep one of each`, { file, duplicates: dupes });
        }
        picks = [...required, ...optional.filter((c) => columns!.includes(c))].map((c) => [c, columns!.indexOf(c)]);
        continue;
      }
      if (opts.maxRows !== undefined && records.length >= opts.maxRows) break;
      const record: Record<string, string> = {};
      for (const [name, idx] of picks) record[name] = item.record[idx];
      // info.records counts the header too: it is the spreadsheet row number.
      rowNumbers.set(record, item.info.records);
      records.push(record);
    }
  } catch (err) {
    parser.destroy();
    if (err instanceof ConsortError) throw err;
    throw translateParseError(err, file, delimiter, columns?.length ?? 0);
  }
  if (columns === null) {
    throw new ConsortError('DATA_INVALID', `${file} is empty; export the customer table with a header row (column names) first`, { file });
  }
  return { records, columns, rowCount: records.length, delimiter };
}

/**
 * Encodes records with a fitted pipeline into a row-major matrix and label vector (a regression
 * label standardized with the pipeline's federated target mean/std). Errors
 * (non-numeric value, unknown category, bad label) name the file, the spreadsheet row, the
 * column and the value.
 */
export function toMatrix(pipeline: FeaturePipeline, records: Record<string, string>[], file: string): { x: Float32Array; y: Float32Array; rows: number } {
  const d = pipelineInputDim(pipeline);
  const x = new Float32Array(records.length * d);
  const y = new Float32Array(records.length);
  records.forEach((record, i) => {
    const where = { file, row: rowOf(record) ?? i + 2 };
    encodeRow(pipeline, record, where, x, i * d);
    y[i] = encodeTarget(pipeline, record, where);
  });
  return { x, y, rows: records.length };
}

/**
 * Deterministic stratified split: within each label class, a seeded shuffle sends
 * round(n · testFraction) rows to test. Both halves keep the file's order. Same records and
 * seed → same split, so every round of a task evaluates on the same held-out rows.
 */
export function stratifiedSplit<T>(records: T[], labelOf: (record: T) => number | string, testFraction: number, seed: number): { train: T[]; test: T[] } {
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new ConsortError('INVALID_ARGUMENT', `testFraction must be in [0, 1) (got ${testFraction})`);
  }
  const groups = new Map<number | string, number[]>();
  records.forEach((r, i) => {
    const key = labelOf(r);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const rng = new SeededRandom(seed);
  const isTest = new Uint8Array(records.length);
  // Classes in a fixed order so the stream of random draws does not depend on Map insertion quirks.
  const keys = [...groups.keys()].sort((a, b) => String(a).localeCompare(String(b)));
  for (const key of keys) {
    const idx = rng.shuffle(groups.get(key)!);
    const nTest = Math.round(idx.length * testFraction);
    for (let k = 0; k < nTest; k++) isTest[idx[k]] = 1;
  }
  const train: T[] = [];
  const test: T[] = [];
  records.forEach((r, i) => (isTest[i] ? test : train).push(r));
  return { train, test };
}
