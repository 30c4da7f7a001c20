// Which column identifies a customer in a scored file: the user's --id, the mapping's id, or customer_id; never a guess among the features.
import { ConsortError } from '@consort/core';

/** The column `prepare` writes a mapping's `id:` (or a transaction export's customer) to. */
export const PREPARED_ID_COLUMN = 'customer_id';

/** `--id row`: number the rows instead of copying a column. */
export const ROW_ID = 'row';

/** How a scored row is identified. */
export type ScoreId =
  /** Copy column `index` (named `name`) of the input. */
  | { kind: 'column'; name: string; index: number; from: 'option' | 'mapping' | 'prepared' }
  /** Write the spreadsheet row number (header = row 1), under the output column `row`. */
  | { kind: 'row'; name: typeof ROW_ID };

/** What the user said about ids, and what a file's header must be checked against. */
export interface ScoreIdRequest {
  file: string;
  header: string[];
  /** Model inputs and the label: never offered as an id, never chosen by default. */
  features: string[];
  label?: string;
  /** --id: a column name, or `row`. */
  id?: string;
  /** The `id:` of the member's mapping file (--mapping). */
  mappingId?: string;
}

const ID_LIKE = /(^|[^a-z])(id|ids|key|nr|no|num|number|code)([^a-z]|$)|id$/i;

/** Columns that could identify a customer: not model inputs, not the label; id-like names first. */
export function idCandidates(header: string[], features: string[], label?: string): string[] {
  const inputs = new Set([...features, ...(label ? [label] : [])]);
  const rest = header.filter((c) => c !== '' && !inputs.has(c));
  return [...rest.filter((c) => ID_LIKE.test(c)), ...rest.filter((c) => !ID_LIKE.test(c))];
}

function listed(columns: string[]): string {
  const shown = columns.slice(0, 8).map((c) => `"${c}"`).join(', ');
  return columns.length > 8 ? `${shown} and ${columns.length - 8} more` : shown;
}

function candidatesHint(r: ScoreIdRequest): string {
  const c = idCandidates(r.header, r.features, r.label);
  if (c.length === 0) return 'every column of the file is a model input or the label; pass --id row to number the rows';
  // Without an id-like name the other columns are usually attributes (age, marital status), not identifiers.
  if (!ID_LIKE.test(c[0])) return `no column's name looks like a customer identifier: pass --id row to number the rows, or --id with the column that identifies customers (not a model input: ${listed(c)})`;
  return `pass --id with one of ${listed(c)} (columns that are not model inputs), or --id row to number the rows`;
}

/**
 * Resolves the id of scored rows, in this order: `--id` (a column, or `row` when the file has
 * no column of that name), the mapping's id (as exported, or `customer_id` in a prepared file),
 * then `customer_id`. Anything else throws: the first column of an export is often a model
 * input, and an output keyed by tenure or a monthly charge cannot be joined back to customers.
 * Throws INVALID_ARGUMENT listing the candidate columns.
 */
export function resolveScoreId(r: ScoreIdRequest): ScoreId {
  const where = `${r.file}, row 1 (header)`;
  const column = (name: string, from: 'option' | 'mapping' | 'prepared'): ScoreId => ({ kind: 'column', name, index: r.header.indexOf(name), from });
  if (r.id !== undefined) {
    const id = r.id.trim();
    if (r.header.includes(id)) return column(id, 'option');
    if (id === ROW_ID) return { kind: 'row', name: ROW_ID };
    throw new ConsortError('INVALID_ARGUMENT', `${where}: id column "${id}" not found; ${candidatesHint(r)}`, { file: r.file, row: 1, option: '--id', column: id });
  }
  const isInput = (c: string) => r.features.includes(c) || c === r.label;
  if (r.mappingId !== undefined) {
    if (r.header.includes(r.mappingId) && !isInput(r.mappingId)) return column(r.mappingId, 'mapping');
    if (r.header.includes(PREPARED_ID_COLUMN) && !isInput(PREPARED_ID_COLUMN)) return column(PREPARED_ID_COLUMN, 'prepared');
    throw new ConsortError('INVALID_ARGUMENT', `${where}: the mapping's id column "${r.mappingId}" is not in the file, nor is "${PREPARED_ID_COLUMN}" (what prepare writes it as); ${candidatesHint(r)}`,
      { file: r.file, row: 1, option: '--mapping', column: r.mappingId });
  }
  if (r.header.includes(PREPARED_ID_COLUMN) && !isInput(PREPARED_ID_COLUMN)) return column(PREPARED_ID_COLUMN, 'prepared');
  throw new ConsortError('INVALID_ARGUMENT',
    `${where}: no "${PREPARED_ID_COLUMN}" column, and score does not guess which column identifies a customer; ${candidatesHint(r)}`,
    { file: r.file, row: 1, option: '--id', candidates: idCandidates(r.header, r.features, r.label) });
}
