// The start of a CSV file, read one way by every reader: its first bytes, header line and delimiter.
import { open } from 'node:fs/promises';
import { ConsortError } from '@consort/core';

/** Bytes read to find the header line (a header longer than this is not a customer table). */
export const HEAD_BYTES = 64 * 1024;

/** Delimiters recognised in a header line, in order of preference on a tie. */
const DELIMITERS = [',', ';', '\t', '|'];

/**
 * The file's first HEAD_BYTES bytes (fewer for a shorter file). Throws FILE_UNREADABLE naming the
 * file, the system's reason and `fix` (what the user should check, e.g. "check the --data path").
 */
export async function readHead(file: string, fix: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new ConsortError('FILE_UNREADABLE', `cannot open ${file}: ${(err as Error).message}; ${fix}`, { file });
  }
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } catch (err) {
    throw new ConsortError('FILE_UNREADABLE', `cannot read ${file}: ${(err as Error).message}; ${fix}`, { file });
  } finally {
    await handle.close();
  }
}

/** The first line of decoded text, without a UTF-8 byte-order mark or line ending. */
export function firstLineOf(text: string): string {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
}

/** The header line of a UTF-8 CSV file ('' for an empty file); see readHead for errors. */
export async function readHeaderLine(file: string, fix: string): Promise<string> {
  return firstLineOf((await readHead(file, fix)).toString('utf8'));
}

/**
 * The delimiter of a CSV from its header line: whichever of `,` `;` tab `|` occurs most
 * (European Excel exports use `;`), `,` on a tie or when there is none.
 */
export function detectDelimiter(headerLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const ch of DELIMITERS) {
    const n = headerLine.split(ch).length - 1;
    if (n > bestCount) {
      best = ch;
      bestCount = n;
    }
  }
  return best;
}
