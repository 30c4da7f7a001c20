// Minimal RFC 4180 CSV writing and reading for the generated member exports.
/** A cell as the generator holds it; '' is a blank. */
export type Cell = string | number;

/** Quotes a field only when needed: it contains a comma, a double quote, CR or LF (RFC 4180 §2.6-2.7). */
export function formatCsvField(value: Cell): string {
  const text = typeof value === 'number' ? formatNumber(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV text with a header row; `\n` line endings, a final newline. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, Cell>[]): string {
  const lines = [columns.map(formatCsvField).join(',')];
  for (const row of rows) lines.push(columns.map((c) => formatCsvField(row[c] ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * Parses RFC 4180 CSV (quoted fields with embedded commas, quotes and newlines; LF or CRLF)
 * into string records keyed by the header. Every value stays a string: typing is the
 * reader's schema's business, not the parser's.
 */
export function parseCsv(text: string): { columns: string[]; rows: Record<string, string>[] } {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i += 1;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
    } else field += ch;
    i += 1;
  }
  if (quoted) throw new SyntaxError('CSV ends inside a quoted field');
  // A last line without its newline still counts.
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [columns = [], ...body] = records;
  const rows = body.map((cells, n) => {
    if (cells.length !== columns.length) throw new SyntaxError(`CSV record ${n + 2} has ${cells.length} fields, header has ${columns.length}`);
    return Object.fromEntries(columns.map((c, k) => [c, cells[k]]));
  });
  return { columns, rows };
}

// Shortest round-trip text; -0 prints as 0 and non-finite values never reach a CSV.
function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`cannot write ${n} to CSV`);
  return Object.is(n, -0) ? '0' : String(n);
}
