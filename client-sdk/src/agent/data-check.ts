// Fail fast on a member's data: the file at start, each round's columns and rows before any work,
// and the reason a member gives the coordinator when it declines a round (never a cell value).
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  ConsortError, describeError, encodeLabel, encodeRow, pipelineInputDim, type FeaturePipeline, type FeatureSchema,
} from '@consort/core';
import { rowOf } from '../data/csv-table.ts';
import { HEAD_BYTES, detectDelimiter, firstLineOf, readHead } from '../data/csv-head.ts';

/**
 * Checks that the member's data file exists, is a readable file and starts with a CSV header
 * (column names). Throws FILE_UNREADABLE or DATA_INVALID naming the file and what to do.
 */
export async function checkDataFile(file: string): Promise<{ columns: string[] }> {
  const fix = 'pass the prepared customer CSV with --data (see docs/onboarding.md)';
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConsortError('FILE_UNREADABLE', code === 'ENOENT' ? `data file ${file} does not exist; ${fix}` : `cannot read data file ${file} (${code}); check its permissions`, { file });
  }
  if (!info.isFile()) throw new ConsortError('FILE_UNREADABLE', `data file ${file} is not a file (a folder?); ${fix}`, { file });
  const head = await readHead(file, 'check its permissions');
  if (head.includes(0)) throw new ConsortError('DATA_INVALID', `data file ${file} is not a text CSV (it contains binary data); ${fix}`, { file });
  const text = head.toString('utf8');
  if (text.trim() === '') throw new ConsortError('DATA_INVALID', `data file ${file} is empty; export the customer table with a header row (column names) first`, { file });
  if (!/\r?\n/.test(text) && head.byteLength === HEAD_BYTES) {
    throw new ConsortError('DATA_INVALID', `data file ${file} has no line break in its first ${HEAD_BYTES / 1024} KiB: not a CSV with a header row`, { file });
  }
  const line = firstLineOf(text);
  let columns: string[];
  try {
    columns = (parse(line, { delimiter: detectDelimiter(line), relax_quotes: false }) as string[][])[0]?.map((c) => c.trim()) ?? [];
  } catch {
    throw new ConsortError('DATA_INVALID', `data file ${file}: the first line is not a CSV header (bad quoting); ${fix}`, { file, line: 1 });
  }
  if (columns.length === 0 || columns.every((c) => c === '')) {
    throw new ConsortError('DATA_INVALID', `data file ${file} has no column names in its first line; export it with a header row`, { file, line: 1 });
  }
  return { columns };
}

/**
 * The pipeline a round's rows are checked with: the fitted one, or before the statistics round
 * fitted it, one made of the task's columns and vocabularies (the values do not matter to a check).
 */
export function checkPipeline(schema: FeatureSchema, vocabularies: Record<string, string[]>, task: 'binary' | 'regression', fitted?: FeaturePipeline): FeaturePipeline {
  return fitted ?? {
    numeric: schema.numeric.map((name) => ({ name, mean: 0, std: 1 })),
    categorical: schema.categorical.map((name) => ({ name, vocabulary: vocabularies[name] ?? [] })),
    label: schema.label, task, positiveLabel: schema.positiveLabel,
  };
}

/** Parses every row as the round will (numbers, categories, label); throws DATA_INVALID at the first bad cell. */
export function checkRows(pipeline: FeaturePipeline, records: Record<string, string>[], file: string): void {
  const out = new Float32Array(pipelineInputDim(pipeline));
  records.forEach((record, i) => {
    const where = { file, row: rowOf(record) ?? i + 2 };
    encodeRow(pipeline, record, where, out, 0);
    encodeLabel(pipeline, record, where);
  });
}

/** Why a member declines a round, as the coordinator may see it. */
export interface DeclineReason {
  code: string;
  reason: string;
}

const quoted = (names: unknown): string => (Array.isArray(names) ? names.map((n) => `"${String(n)}"`).join(', ') : '');
const count = (v: unknown): string | undefined => (typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);

/**
 * The decline reason of an error: built only from the error's structured details (file name,
 * row, line, column names, counts), never from its message, which may quote a cell value.
 * `label`: the task's label column (its bad values are named as labels).
 */
export function declineReasonOf(err: unknown, label?: string): DeclineReason {
  const { code, message } = describeError(err);
  const tail = 'the member\'s log has the details';
  // A refusal of the round's terms (e.g. reweighing counts a pinned task never asked for) is about the
  // coordinator's request, never about this member's data: the operator reads it in full, as with admission refusals.
  if (code === 'ROUND_POLICY_REFUSED') return { code, reason: message };
  if (code !== 'DATA_INVALID' && code !== 'FILE_UNREADABLE') return { code, reason: `the agent could not prepare its part of the round; ${tail}` };
  const d: Record<string, unknown> = err instanceof ConsortError ? err.details : {};
  const where = [
    typeof d.file === 'string' ? basename(d.file) : 'the data file',
    count(d.row) && `row ${count(d.row)}`,
    count(d.line) && `line ${count(d.line)}`,
    typeof d.column === 'string' && `column "${d.column}"`,
  ].filter(Boolean).join(', ');
  let what: string;
  if (code === 'FILE_UNREADABLE') what = 'the file is missing or cannot be read';
  else if (Array.isArray(d.missing)) what = `missing column${d.missing.length > 1 ? 's' : ''} ${quoted(d.missing)}`;
  else if (Array.isArray(d.duplicates)) what = `column${d.duplicates.length > 1 ? 's' : ''} ${quoted(d.duplicates)} appear more than once in the header`;
  else if (count(d.fields) && count(d.expected)) what = `the row has ${count(d.fields)} fields but the header has ${count(d.expected)}`;
  else if (typeof d.cause === 'string') what = 'bad CSV quoting';
  else if (Array.isArray(d.allowed)) what = 'a value is not one of the federation\'s categories';
  else if ('value' in d) what = d.column === label ? 'a label is not one the task accepts' : 'a value is not a number';
  else if (typeof d.column === 'string') what = 'the cell is empty or the column is missing';
  else if (count(d.rows) && count(d.minRows)) what = `only ${count(d.rows)} training rows; the task's customer-level privacy needs privacy.minRows = ${count(d.minRows)}`;
  else if (count(d.rows)) what = `only ${count(d.rows)} usable rows; a member needs at least 2`;
  else what = 'the data does not fit the task';
  return { code, reason: `${where}: ${what}; ${tail}` };
}
