// Streaming CSV source: decodes any supported encoding, detects delimiter and header, yields only the requested columns.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { ConsortError } from '@consort/core';
import type { CsvEncoding } from '../mapping.ts';
import { detectDelimiter, firstLineOf, readHead } from '../../data/csv-head.ts';
import type { RecordSource, SourceRow } from './source.ts';

/** Options for openCsvSource. */
export interface CsvSourceOptions {
  path: string;
  encoding?: CsvEncoding;
  /** Default: detected from the first line (`,`, `;`, tab or `|`). */
  delimiter?: string;
  /** Default 'auto': a first row of distinct, non-numeric names is a header. */
  header?: boolean | 'auto';
  /** Called as bytes are read (for progress bars). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** True when a first row looks like column names: all present, distinct, none a number. */
export function looksLikeHeader(fields: string[]): boolean {
  const trimmed = fields.map((f) => f.trim());
  return trimmed.every((f) => f !== '' && !/^[+-]?(\d+[.,]?\d*|[.,]\d+)([eE][+-]?\d+)?$/.test(f) && !/^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}/.test(f))
    && new Set(trimmed).size === trimmed.length;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function encodingError(file: string, encoding: string, line: number, byte: number): ConsortError {
  return new ConsortError('DATA_INVALID',
    `${file}, line ${line} (byte ${byte}): not valid ${encoding} text; the export probably uses another encoding: set "source.encoding" in the mapping (e.g. windows-1252, latin1 or utf-16le)`,
    { file, line, byte, encoding });
}

/** Where the first undecodable byte of `chunk` is, found by decoding it leniently. */
function locateBadByte(chunk: Buffer, encoding: string): { lines: number; bytes: number } {
  const lenient = new TextDecoder(encoding).decode(chunk);
  const prefix = lenient.slice(0, Math.max(0, lenient.indexOf('\uFFFD')));
  return { lines: countLines(prefix), bytes: Buffer.byteLength(prefix) };
}

/** Bytes at the end of `buf` that start a UTF-8 character continued in the next chunk. */
function incompleteTail(buf: Buffer): number {
  for (let k = 1; k <= 3 && k <= buf.length; k++) {
    const b = buf[buf.length - k];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
}

/**
 * UTF-8: checks the bytes (natively, no string copy) and passes them through, so csv-parse
 * reads buffers as fast as it can; a file that is really windows-1252 fails loudly instead of
 * filling values with U+FFFD. Other encodings are decoded to text with TextDecoder.
 */
function decoderStream(encoding: CsvEncoding, file: string): Transform {
  let offset = 0;
  let lines = 0;
  if (encoding === 'utf-8') {
    let carry: Buffer = Buffer.alloc(0);
    return new Transform({
      transform(chunk: Buffer, _enc, cb) {
        const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        const cut = buf.length - incompleteTail(buf);
        const body = buf.subarray(0, cut);
        carry = Buffer.from(buf.subarray(cut));
        if (!isUtf8(body)) {
          const at = locateBadByte(body, encoding);
          cb(encodingError(file, encoding, lines + at.lines + 1, offset + at.bytes));
          return;
        }
        for (let i = body.indexOf(10); i >= 0; i = body.indexOf(10, i + 1)) lines++;
        offset += body.length;
        cb(null, body);
      },
      flush(cb: TransformCallback) {
        if (carry.length > 0) cb(encodingError(file, encoding, lines + 1, offset));
        else cb();
      },
    });
  }
  const decoder = new TextDecoder(encoding);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      offset += chunk.length;
      cb(null, decoder.decode(chunk, { stream: true }));
    },
    flush(cb: TransformCallback) {
      cb(null, decoder.decode());
    },
  });
}

async function headText(path: string, encoding: CsvEncoding): Promise<string> {
  const head = await readHead(path, 'check "source.path" in the mapping');
  try {
    // stream: a multi-byte character cut at the 64 KiB edge is not an error, a wrong encoding is.
    return new TextDecoder(encoding, { fatal: true }).decode(head, { stream: true }).replace(/^\uFEFF/, '');
  } catch {
    const at = locateBadByte(head, encoding);
    throw encodingError(path, encoding, at.lines + 1, at.bytes);
  }
}

function firstRows(text: string, delimiter: string): string[][] {
  const lines = text.split(/\r?\n/).slice(0, 3).filter((l) => l.trim() !== '');
  try {
    return parseSync(lines.join('\n'), { delimiter, relax_column_count: true, relax_quotes: true }) as string[][];
  } catch {
    return lines.map((l) => l.split(delimiter));
  }
}

function translate(err: unknown, file: string, delimiter: string, width: number): Error {
  const e = err as Error & { code?: string; lines?: number; record?: unknown[] };
  if (e instanceof ConsortError) return e;
  const line = e.lines ?? '?';
  const d = delimiter === '\t' ? 'tab' : `"${delimiter}"`;
  switch (e.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
      return new ConsortError('DATA_INVALID',
        `${file}, line ${line}: the row has ${Array.isArray(e.record) ? e.record.length : '?'} fields but the header has ${width}; look for a missing or extra ${d} (quote values that contain it)`,
        { file, line });
    case 'CSV_QUOTE_NOT_CLOSED':
      return new ConsortError('DATA_INVALID', `${file}, line ${line}: a quote opened on or before this line is never closed; close it, or double quotes inside values ("")`, { file, line });
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_OPENING_QUOTE':
      return new ConsortError('DATA_INVALID', `${file}, line ${line}: bad quoting; a quoted value must end with a quote and quotes inside it must be doubled ("")`, { file, line });
    default:
      return e.code?.startsWith('CSV_') ? new ConsortError('DATA_INVALID', `${file}, line ${line}: ${e.message}`, { file, line }) : e;
  }
}

/**
 * Opens a CSV export as a RecordSource. Memory stays bounded: the file is streamed, decoded
 * chunk by chunk, and each record keeps only the columns asked for in `rows(keep)`.
 * Errors (wrong encoding, ragged rows, bad quotes) are ConsortError(DATA_INVALID) naming the line.
 */
export async function openCsvSource(opts: CsvSourceOptions): Promise<RecordSource> {
  const encoding = opts.encoding ?? 'utf-8';
  const file = opts.path;
  const head = await headText(file, encoding);
  if (head.trim() === '') throw new ConsortError('DATA_INVALID', `${file} is empty; export the table with a header row first`, { file });
  const delimiter = opts.delimiter ?? detectDelimiter(firstLineOf(head));
  const sample = firstRows(head, delimiter);
  const hasHeader = opts.header === 'auto' || opts.header === undefined ? looksLikeHeader(sample[0] ?? []) : opts.header;
  const columns = hasHeader ? sample[0].map((c) => c.trim()) : sample[0].map((_, i) => `column_${i + 1}`);
  const dupes = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (dupes.length > 0) {
    throw new ConsortError('DATA_INVALID', `${file}: column${dupes.length > 1 ? 's' : ''} ${dupes.map((c) => `"${c}"`).join(', ')} appear more than once in the header; rename one of each`, { file, duplicates: dupes });
  }
  const { size } = await stat(file);
  return {
    describe: file,
    columns,
    async *rows(keep: string[]): AsyncGenerator<SourceRow> {
      const picks = keep.filter((c) => columns.includes(c)).map((c) => [c, columns.indexOf(c)] as const);
      let bytes = 0;
      const raw = createReadStream(file, { highWaterMark: 1 << 20 });
      if (opts.onProgress) raw.on('data', (b) => { bytes += (b as Buffer).length; opts.onProgress!(bytes, size); });
      // No `info` (it costs ~20 % of the parse): csv-parse checks every record's width against the
      // first one (the header) itself and its errors carry the line number.
      const parser = parse({ delimiter, skip_empty_lines: true, bom: true });
      const pipeline = raw.pipe(decoderStream(encoding, file));
      pipeline.on('error', (err) => parser.destroy(err));
      raw.on('error', (err) => parser.destroy(err));
      pipeline.pipe(parser);
      let records = 0;
      try {
        for await (const record of parser as AsyncIterable<string[]>) {
          records += 1;
          if (hasHeader && records === 1) continue;
          const values: Record<string, string> = {};
          for (const [name, idx] of picks) values[name] = record[idx];
          // Spreadsheet row: the header is row 1 when there is one.
          yield { values, row: records };
        }
      } catch (err) {
        raw.destroy();
        throw translate(err, file, delimiter, columns.length);
      }
    },
  };
}
