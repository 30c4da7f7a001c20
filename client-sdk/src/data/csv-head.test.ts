// The one reader of a CSV's start: header line, delimiter, and the error for a file that cannot be opened.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEAD_BYTES, detectDelimiter, firstLineOf, readHead, readHeaderLine } from './csv-head.ts';

const dir = mkdtempSync(join(tmpdir(), 'consort-csv-head-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('csv head', () => {
  it('picks the most frequent of , ; tab |, and , on a tie or none', () => {
    expect(detectDelimiter('a;b;c')).toBe(';');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(detectDelimiter('a|b|c')).toBe('|');
    expect(detectDelimiter('a,b;c')).toBe(',');
    expect(detectDelimiter('"x,y";b;c')).toBe(';');
    expect(detectDelimiter('single')).toBe(',');
  });

  it('reads the header line without BOM or CRLF, and only the first HEAD_BYTES', async () => {
    const f = join(dir, 'a.csv');
    writeFileSync(f, '\uFEFFid;spend\r\n1;2\r\n');
    expect(await readHeaderLine(f, 'fix it')).toBe('id;spend');
    expect(firstLineOf('')).toBe('');
    const big = join(dir, 'big.csv');
    writeFileSync(big, 'x'.repeat(HEAD_BYTES + 10));
    expect((await readHead(big, 'fix it')).byteLength).toBe(HEAD_BYTES);
  });

  it('says which file cannot be opened and what to check', async () => {
    await expect(readHead(join(dir, 'nope.csv'), 'check the --data path')).rejects.toMatchObject({
      code: 'FILE_UNREADABLE', message: expect.stringMatching(/^cannot open .*nope\.csv: .*ENOENT.*; check the --data path$/),
    });
  });
});
