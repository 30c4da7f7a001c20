// Tests for reading member CSVs (delimiters, BOM, CRLF, minimization, clear errors), encoding and splitting.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsortError, localFeatureStats, pipelineFromStats, type FeatureSchema } from '@consort/core';
import { readMemberCsv, rowOf, stratifiedSplit, toMatrix } from './csv-table.ts';
import { detectDelimiter } from './csv-head.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'consort-csv-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}
const schema: FeatureSchema = { numeric: ['tenure', 'spend'], categorical: ['plan'], label: 'churned', protected: ['gender'] };
const vocab = { plan: ['basic', 'pro'] };

async function rejection(p: Promise<unknown>): Promise<ConsortError> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConsortError);
  expect((err as ConsortError).code).toBe('DATA_INVALID');
  return err as ConsortError;
}

describe('readMemberCsv', () => {
  it('reads a comma file, keeping only the schema columns (plus protected ones present)', async () => {
    const f = file('a.csv', 'id,email,tenure,spend,plan,gender,churned\n1,a@x.io,3,10.5,basic,f,1\n2,b@x.io,,20,pro,m,0\n\n');
    const t = await readMemberCsv(f, schema);
    expect(t.rowCount).toBe(2);
    expect(t.delimiter).toBe(',');
    expect(t.columns).toEqual(['id', 'email', 'tenure', 'spend', 'plan', 'gender', 'churned']);
    expect(t.records[0]).toEqual({ tenure: '3', spend: '10.5', plan: 'basic', churned: '1', gender: 'f' });
    expect(Object.keys(t.records[1])).not.toContain('email');
    expect(rowOf(t.records[1])).toBe(3);
  });

  it('detects ";" and handles a BOM, CRLF and quoted delimiters', async () => {
    const f = file('b.csv', '\uFEFFtenure;spend;plan;churned\r\n3;"1;5";basic;1\r\n4;2;"pro";0\r\n');
    const t = await readMemberCsv(f, schema);
    expect(t.delimiter).toBe(';');
    expect(t.records).toEqual([{ tenure: '3', spend: '1;5', plan: 'basic', churned: '1' }, { tenure: '4', spend: '2', plan: 'pro', churned: '0' }]);
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(detectDelimiter('single')).toBe(',');
  });

  it('names the file, the missing column and the columns found', async () => {
    const f = file('c.csv', 'tenure,spend,churn\n1,2,0\n');
    const err = await rejection(readMemberCsv(f, schema));
    expect(err.message).toContain(`${f}: missing columns "plan", "churned"`);
    expect(err.message).toContain('the file has "tenure", "spend", "churn"');
  });

  it('names the line of a ragged row and of bad quoting', async () => {
    const ragged = file('d.csv', 'tenure,spend,plan,churned\n1,2,basic,0\n1,2,basic\n');
    const e1 = await rejection(readMemberCsv(ragged, schema));
    expect(e1.message).toMatch(/d\.csv, line 3: the row has 3 fields but the header has 4/);
    const quoting = file('e.csv', 'tenure,spend,plan,churned\n1,2,basic,0\n1,"2,basic,0\n');
    const e2 = await rejection(readMemberCsv(quoting, schema));
    expect(e2.message).toMatch(/e\.csv, line \d+: bad quoting/);
    const quoting2 = file('e2.csv', 'tenure,spend,plan,churned\n1,"2"x,basic,0\n');
    expect((await rejection(readMemberCsv(quoting2, schema))).message).toMatch(/e2\.csv, line 2: bad quoting/);
    const quoting3 = file('e3.csv', 'tenure,spend,plan,churned\n1,2,ba"sic",0\n');
    expect((await rejection(readMemberCsv(quoting3, schema))).message).toMatch(/e3\.csv, line 2: bad quoting \(Invalid Opening Quote\)/);
  });

  it('rejects an empty file and an unreadable path clearly', async () => {
    expect((await rejection(readMemberCsv(file('f.csv', ''), schema))).message).toContain('f.csv is empty');
    expect((await rejection(readMemberCsv(file('g.csv', '\n\n'), schema))).message).toContain('g.csv is empty');
    const missing = await readMemberCsv(path.join(dir, 'nope.csv'), schema).catch((e: ConsortError) => e);
    expect((missing as ConsortError).code).toBe('FILE_UNREADABLE');
    expect((missing as ConsortError).message).toContain('nope.csv');
  });
});

describe('toMatrix', () => {
  it('encodes rows and names file, row, column and value for a non-numeric cell', async () => {
    const f = file('h.csv', 'tenure,spend,plan,churned\n1,10,basic,1\n3,30,pro,0\n2,abc,pro,0\n');
    const t = await readMemberCsv(f, schema);
    const p = pipelineFromStats(schema, vocab, localFeatureStats(schema, vocab, t.records.slice(0, 2)), 'binary');
    const m = toMatrix(p, t.records.slice(0, 2), f);
    expect(m.rows).toBe(2);
    expect(Array.from(m.x)).toEqual([-1, -1, 1, 0, 1, 1, 0, 1]);
    expect(Array.from(m.y)).toEqual([1, 0]);
    // the bad row is reported at its spreadsheet row even after reordering
    let err: unknown;
    try { toMatrix(p, [t.records[2], t.records[0]], f); } catch (e) { err = e; }
    expect((err as ConsortError).code).toBe('DATA_INVALID');
    expect((err as ConsortError).message).toContain(`${f}, row 4, column "spend": "abc" is not a number`);
  });
});

describe('stratifiedSplit', () => {
  it('is deterministic, stratified and keeps file order', () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({ i, y: i % 10 === 0 ? 1 : 0 }));
    const a = stratifiedSplit(records, (r) => r.y, 0.2, 42);
    const b = stratifiedSplit(records, (r) => r.y, 0.2, 42);
    const c = stratifiedSplit(records, (r) => r.y, 0.2, 43);
    expect(a).toEqual(b);
    expect(a.test).not.toEqual(c.test);
    expect(a.test.length).toBe(200);
    expect(a.test.filter((r) => r.y === 1).length).toBe(20);
    expect(a.train.length + a.test.length).toBe(1000);
    expect(new Set([...a.train, ...a.test].map((r) => r.i)).size).toBe(1000);
    expect(a.test.map((r) => r.i)).toEqual([...a.test.map((r) => r.i)].sort((x, y) => x - y));
    expect(stratifiedSplit(records, (r) => r.y, 0, 1).test).toEqual([]);
    expect(() => stratifiedSplit(records, (r) => r.y, 1, 1)).toThrow(/testFraction/);
  });
});
