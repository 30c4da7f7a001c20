// CSV sources (encodings, header detection, malformed files) and prepare's all-or-nothing output.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { ConsortError, resolveTaskDefinition } from '@consort/core';
import { loadMapping, parseMapping } from './mapping.ts';
import { prepareFeatures } from './prepare.ts';
import { openCsvSource } from './sources/csv-source.ts';

const TASK = resolveTaskDefinition({ name: 't', label: 'churned', positiveLabel: ['1'], numeric: ['spend'], categorical: { city: ['köln', 'münchen'] }, minMembers: 3 });

function fixture(name: string, content: string | Buffer): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'consort-prep-'));
  const file = join(dir, name);
  writeFileSync(file, content);
  return { dir, file };
}

async function prepareError(content: string | Buffer, source: Record<string, unknown> = {}): Promise<{ err: ConsortError; dir: string; file: string }> {
  const { dir, file } = fixture('export.csv', content);
  const mapping = parseMapping({ source: { path: 'export.csv', ...source }, id: 'id', columns: { spend: 'Umsatz', city: 'Stadt', churned: 'gekündigt' } }, 'm.yaml', dir);
  const out = join(dir, 'features.csv');
  const err = await prepareFeatures(mapping, TASK, out).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConsortError);
  // Nothing half-written: neither the output nor its temporary file.
  expect(readdirSync(dir)).toEqual(['export.csv']);
  return { err: err as ConsortError, dir, file };
}

describe('csv source', () => {
  it('decodes windows-1252 and UTF-16 exports when told, and detects the header and ; delimiter', async () => {
    const text = 'id;Stadt;Umsatz\r\n1;Köln;12,5\r\n2;München;3\r\n';
    for (const [encoding, bytes] of [['windows-1252', Buffer.from(text, 'latin1')], ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])]] as const) {
      const { file } = fixture('e.csv', bytes);
      const src = await openCsvSource({ path: file, encoding });
      expect(src.columns).toEqual(['id', 'Stadt', 'Umsatz']);
      const got = [];
      for await (const r of src.rows(['Stadt', 'Umsatz'])) got.push(r);
      expect(got).toEqual([{ values: { Stadt: 'Köln', Umsatz: '12,5' }, row: 2 }, { values: { Stadt: 'München', Umsatz: '3' }, row: 3 }]);
    }
  });

  it('wrong encoding deep in a large file: names the line and byte found while streaming', async () => {
    const body = `a,b\n${Array.from({ length: 6000 }, (_, i) => `${i},abcdefghij\n`).join('')}`;
    const { file } = fixture('e.csv', Buffer.concat([Buffer.from(body), Buffer.from('6000,K\xf6ln\n', 'latin1')]));
    const src = await openCsvSource({ path: file });
    const err = await (async () => { for await (const r of src.rows(['a'])) void r; })().then(() => null, (e: unknown) => e);
    expect((err as Error).message).toBe(`${file}, line 6002 (byte ${Buffer.byteLength(body) + 6}): not valid utf-8 text; the export probably uses another encoding: set "source.encoding" in the mapping (e.g. windows-1252, latin1 or utf-16le)`);
  });

  it('reads a file without a header as column_1, column_2, ...', async () => {
    const { file } = fixture('e.csv', '1,42.5,2024-01-02\n2,3,2024-01-03\n');
    const src = await openCsvSource({ path: file });
    expect(src.columns).toEqual(['column_1', 'column_2', 'column_3']);
    const got = [];
    for await (const r of src.rows(['column_2'])) got.push(r);
    expect(got).toEqual([{ values: { column_2: '42.5' }, row: 1 }, { values: { column_2: '3' }, row: 2 }]);
  });
});

describe('prepare', () => {
  it('writes the federation\'s columns only, mapping values, decimal commas and categories', async () => {
    const { dir } = fixture('export.csv', 'id;Stadt;Umsatz;gekündigt;Notiz\n1;Köln;12,5;ja;x\n2;München;3;nein;y\n');
    const mapping = parseMapping({
      source: { path: 'export.csv' }, id: 'id', decimal: ',',
      columns: { spend: { from: 'Umsatz', scale: 2 }, city: { from: 'Stadt', values: { 'Köln': 'köln', 'München': 'münchen' } } },
      label: { from: 'gekündigt', values: { ja: '1', nein: '0' } },
    }, 'm.yaml', dir);
    const r = await prepareFeatures(mapping, TASK, join(dir, 'out', 'features.csv'));
    expect(readFileSync(join(dir, 'out', 'features.csv'), 'utf8')).toBe('customer_id,spend,city,churned\n1,25,köln,1\n2,6,münchen,0\n');
    expect(r.sourceColumnsRead.sort()).toEqual(['Stadt', 'Umsatz', 'gekündigt', 'id']);
    // Customer rows: owner-only file in an owner-only folder.
    expect(statSync(join(dir, 'out', 'features.csv')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'out')).mode & 0o777).toBe(0o700);
  });

  it('ragged row: names the line, leaves no output', async () => {
    const { err, file } = await prepareError('id,Stadt,Umsatz,gekündigt\n1,köln,3,1\n2,köln,3\n');
    expect(err.message).toBe(`${file}, line 3: the row has 3 fields but the header has 4; look for a missing or extra "," (quote values that contain it)`);
  });

  it('bad quotes: names the line, leaves no output', async () => {
    const { err, file } = await prepareError('id,Stadt,Umsatz,gekündigt\n1,"köln,3,1\n2,köln,3,0\n');
    expect(err.message).toBe(`${file}, line 3: a quote opened on or before this line is never closed; close it, or double quotes inside values ("")`);
  });

  it('wrong encoding: a windows-1252 file read as UTF-8 says which setting to change', async () => {
    const { err, file } = await prepareError(Buffer.from('id,Stadt,Umsatz,gekündigt\n1,köln,3,1\n', 'latin1'));
    expect(err.message).toBe(`${file}, line 1 (byte 19): not valid utf-8 text; the export probably uses another encoding: set "source.encoding" in the mapping (e.g. windows-1252, latin1 or utf-16le)`);
  });

  it('bad value late in the file: names row and column, leaves no output', async () => {
    const { err, file } = await prepareError('id,Stadt,Umsatz,gekündigt\n1,köln,3,1\n2,köln,drei,0\n');
    expect(err.message).toBe(`${file}, row 3, column "spend": "drei" is not a number; fix the value or leave the cell empty for "missing"`);
  });

  it('unmapped label value: refuses to write it as a silent negative', async () => {
    const { err, file } = await prepareError('id,Stadt,Umsatz,gekündigt\n1,köln,3,1\n2,köln,4,Churned\n');
    expect(err.message).toBe(`${file}, row 3, column "churned": "Churned" is neither a positive label (1) nor 0/no/false; map it under "label.values" in m.yaml`);
  });

  it('reads a SQLite table through a mapping', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consort-sql-'));
    const db = createClient({ url: `file:${join(dir, 'shop.db')}` });
    await db.execute('CREATE TABLE customers (id TEXT, spend REAL, city TEXT, churned INTEGER, secret TEXT)');
    await db.execute("INSERT INTO customers VALUES ('a', 1.5, 'köln', 1, 's'), ('b', NULL, 'münchen', 0, 't')");
    db.close();
    writeFileSync(join(dir, 'm.yaml'), 'source: { type: sqlite, url: shop.db, table: customers }\nid: id\n');
    const r = await prepareFeatures(loadMapping(join(dir, 'm.yaml')), TASK, join(dir, 'f.csv'));
    expect(readFileSync(join(dir, 'f.csv'), 'utf8')).toBe('customer_id,spend,city,churned\na,1.5,köln,1\nb,,münchen,0\n');
    expect(r.sourceColumnsRead).not.toContain('secret');
    expect(existsSync(join(dir, 'f.csv'))).toBe(true);
  });
});

describe('mapping file', () => {
  it('rejects unknown keys and bad fields with the field\'s name', () => {
    expect(() => parseMapping({ source: { path: 'x.csv' }, columns: { spend: { form: 'Umsatz' } } }, 'm.yaml', '/tmp'))
      .toThrow('m.yaml: mapping field "columns.spend.form": unknown key; allowed: from, value, values, scale, date, daysUntil, min, max');
    expect(() => parseMapping({ source: { path: 'x.csv', encoding: 'ebcdic' } }, 'm.yaml', '/tmp'))
      .toThrow('m.yaml: mapping field "source.encoding": use one of utf-8, latin1, windows-1252, utf-16le, utf-16be (got "ebcdic")');
    expect(() => parseMapping({ source: { path: 'x.csv' }, shape: 'transactions', transactions: { customer: 'c', timestamp: 't', amount: 'a', cutoff: '2024-13-01', horizonDays: 90 } }, 'm.yaml', '/tmp'))
      .toThrow('m.yaml: "transactions.cutoff" must be a date written YYYY-MM-DD (got "2024-13-01")');
  });
});
