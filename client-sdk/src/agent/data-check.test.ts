// Tests of the agent's fail-fast data checks and of the decline reason the coordinator sees.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsortError } from '@consort/core';
import { checkDataFile, checkPipeline, checkRows, declineReasonOf } from './data-check.ts';
import { readMemberCsv } from '../data/csv-table.ts';

const dir = mkdtempSync(join(tmpdir(), 'consort-data-check-'));
const file = (name: string, text: string | Buffer) => { const p = join(dir, name); writeFileSync(p, text); return p; };

async function errorOf(p: Promise<unknown>): Promise<ConsortError> {
  try { await p; } catch (err) { if (err instanceof ConsortError) return err; throw err; }
  throw new Error('expected a ConsortError');
}

describe('checkDataFile', () => {
  it('accepts a CSV with a header (any of the usual delimiters, with a BOM)', async () => {
    expect((await checkDataFile(file('ok.csv', '\uFEFFtenure;plan;churned\n3;basic;0\n'))).columns).toEqual(['tenure', 'plan', 'churned']);
  });

  it('refuses a missing file, a folder, an empty file and a binary file, naming the file', async () => {
    const missing = await errorOf(checkDataFile(join(dir, 'nope.csv')));
    expect([missing.code, missing.message]).toEqual(['FILE_UNREADABLE', `data file ${join(dir, 'nope.csv')} does not exist; pass the prepared customer CSV with --data (see docs/onboarding.md)`]);
    mkdirSync(join(dir, 'folder.csv'));
    expect(await errorOf(checkDataFile(join(dir, 'folder.csv')))).toMatchObject({ code: 'FILE_UNREADABLE', message: expect.stringContaining('is not a file') });
    expect(await errorOf(checkDataFile(file('empty.csv', '')))).toMatchObject({ code: 'DATA_INVALID', message: expect.stringContaining('is empty') });
    expect(await errorOf(checkDataFile(file('model.bin', Buffer.from([0x50, 0x4b, 0, 1, 2]))))).toMatchObject({ code: 'DATA_INVALID', message: expect.stringContaining('not a text CSV') });
  });
});

describe('round checks and decline reasons', () => {
  const schema = { numeric: ['tenure'], categorical: ['plan'], label: 'churned' };
  const vocabularies = { plan: ['basic', 'pro'] };

  it('finds a bad cell and declines with file, row and column but never the value', async () => {
    const p = file('bad.csv', 'tenure,plan,churned\n3,basic,0\nsecret-123,pro,1\n');
    const table = await readMemberCsv(p, schema);
    let err: unknown;
    try { checkRows(checkPipeline(schema, vocabularies, 'binary'), table.records, p); } catch (e) { err = e; }
    expect((err as Error).message).toContain('secret-123'); // the member's own log has it
    const decline = declineReasonOf(err, 'churned');
    expect(decline).toEqual({ code: 'DATA_INVALID', reason: 'bad.csv, row 3, column "tenure": a value is not a number; the member\'s log has the details' });
    expect(JSON.stringify(decline)).not.toContain('secret');
  });

  it('names a category outside the vocabulary, a bad label and missing columns without their values', async () => {
    const cat = file('cat.csv', 'tenure,plan,churned\n3,secret-plan,0\n');
    const label = file('label.csv', 'tenure,plan,churned\n3,pro,secret-label\n');
    const reasons: string[] = [];
    for (const p of [cat, label]) {
      try { checkRows(checkPipeline(schema, vocabularies, 'binary'), (await readMemberCsv(p, schema)).records, p); } catch (e) { reasons.push(declineReasonOf(e, 'churned').reason); }
    }
    const missing = await errorOf(readMemberCsv(file('cols.csv', 'tenure,secret-col\n1,2\n'), schema));
    reasons.push(declineReasonOf(missing, 'churned').reason);
    expect(reasons).toEqual([
      'cat.csv, row 2, column "plan": a value is not one of the federation\'s categories; the member\'s log has the details',
      'label.csv, row 2, column "churned": a label is not one the task accepts; the member\'s log has the details',
      'cols.csv: missing columns "plan", "churned"; the member\'s log has the details',
    ]);
    expect(reasons.join()).not.toContain('secret');
  });

  it('gives an unexpected error a generic reason, not its message', () => {
    // Too few rows for a DP task's minRows: the decline names the task's floor, not the generic 2.
    expect(declineReasonOf(new ConsortError('DATA_INVALID', 'x', { rows: 120, minRows: 140 })).reason)
      .toBe('the data file: only 120 training rows; the task\'s customer-level privacy needs privacy.minRows = 140; the member\'s log has the details');
    expect(declineReasonOf(new Error('secret-123 in a stack'))).toEqual({ code: 'INTERNAL', reason: 'the agent could not prepare its part of the round; the member\'s log has the details' });
  });

  it('passes a refusal of the round\'s terms on in full (it is about the coordinator\'s request, not the data)', () => {
    const refusal = new ConsortError('ROUND_POLICY_REFUSED', 'the round asks for group × label counts (reweighing), but task "t" as pinned sets no mitigation.reweighing; refused');
    expect(declineReasonOf(refusal)).toEqual({ code: 'ROUND_POLICY_REFUSED', reason: refusal.message });
  });
});
