// Tests of the CSV writer/reader and writeConsortium: round trips, quoting, byte-identical output.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateConsortium, type MemberDataset } from './consortium.ts';
import { formatCsvField, parseCsv, toCsv } from './csv.ts';
import { COLUMNS } from './vocabulary.ts';
import { MANIFEST_FILE, writeConsortium } from './write.ts';

const scratch = mkdtempSync(join(tmpdir(), 'consort-generator-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('csv', () => {
  it('quotes only fields with commas, quotes or line breaks', () => {
    expect(formatCsvField('plain')).toBe('plain');
    expect(formatCsvField(12.5)).toBe('12.5');
    expect(formatCsvField(-0)).toBe('0');
    expect(formatCsvField('')).toBe('');
    expect(formatCsvField('Smith, Jones')).toBe('"Smith, Jones"');
    expect(formatCsvField('say "hi"')).toBe('"say ""hi"""');
    expect(formatCsvField('two\nlines')).toBe('"two\nlines"');
  });

  it('writes exact RFC 4180 text', () => {
    expect(toCsv(['a', 'b'], [{ a: 'x,y', b: 1 }, { a: '"q"', b: '' }])).toBe('a,b\n"x,y",1\n"""q""",\n');
  });

  it('round-trips awkward values', () => {
    const rows = [
      { id: 'c-1', note: 'O\'Brien, "Bert"', amount: 3.5 },
      { id: 'c-2', note: 'line one\r\nline two', amount: '' },
      { id: 'c-3', note: ',', amount: -1 },
    ];
    const parsed = parseCsv(toCsv(['id', 'note', 'amount'], rows));
    expect(parsed.columns).toEqual(['id', 'note', 'amount']);
    expect(parsed.rows).toEqual(rows.map((r) => ({ id: r.id, note: r.note, amount: String(r.amount) })));
  });

  it('reads CRLF files and a last line without newline', () => {
    expect(parseCsv('a,b\r\n1,"2,3"\r\n4,5').rows).toEqual([{ a: '1', b: '2,3' }, { a: '4', b: '5' }]);
  });

  it('rejects ragged records and unterminated quotes', () => {
    expect(() => parseCsv('a,b\n1\n')).toThrow(SyntaxError);
    expect(() => parseCsv('a\n"open\n')).toThrow(SyntaxError);
  });
});

describe('writeConsortium', () => {
  const datasets = generateConsortium({ members: 4, seed: 42, totalCustomers: 2_000 });

  it('writes one CSV per member and a manifest, and the CSVs parse back to the rows', () => {
    const dir = join(scratch, 'a');
    const paths = writeConsortium(dir, datasets, { options: { members: 4, seed: 42 } });
    expect(paths).toEqual([...datasets.map((d) => join(dir, `${d.memberId}.csv`)), join(dir, MANIFEST_FILE)]);
    for (const d of datasets) {
      const { columns, rows } = parseCsv(readFileSync(join(dir, `${d.memberId}.csv`), 'utf8'));
      expect(columns).toEqual([...COLUMNS]);
      expect(rows).toEqual(d.rows.map((r) => Object.fromEntries(COLUMNS.map((c) => [c, String(r[c])]))));
    }
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
    expect(manifest.options).toEqual({ members: 4, seed: 42 });
    expect(manifest.members.map((m: { memberId: string; rows: number }) => [m.memberId, m.rows])).toEqual(datasets.map((d) => [d.memberId, d.rows.length]));
    expect(manifest.task.label).toBe('churned');
  });

  it('round-trips a value with a comma and a quote through the files', () => {
    const awkward: MemberDataset = { ...datasets[0], memberId: 'member-99', rows: [{ ...datasets[0].rows[0], customer_id: 'A, "B" & C' }] };
    const [csvPath] = writeConsortium(join(scratch, 'b'), [awkward]);
    expect(parseCsv(readFileSync(csvPath, 'utf8')).rows[0].customer_id).toBe('A, "B" & C');
  });

  it('writes byte-identical files for the same seed and different ones for another', () => {
    const read = (dir: string) => readFileSync(join(dir, 'member-01.csv'));
    writeConsortium(join(scratch, 's1'), generateConsortium({ members: 4, seed: 42, totalCustomers: 2_000 }));
    writeConsortium(join(scratch, 's2'), generateConsortium({ members: 4, seed: 42, totalCustomers: 2_000 }));
    writeConsortium(join(scratch, 's3'), generateConsortium({ members: 4, seed: 43, totalCustomers: 2_000 }));
    expect(read(join(scratch, 's1')).equals(read(join(scratch, 's2')))).toBe(true);
    expect(readFileSync(join(scratch, 's1', MANIFEST_FILE)).equals(readFileSync(join(scratch, 's2', MANIFEST_FILE)))).toBe(true);
    expect(read(join(scratch, 's1')).equals(read(join(scratch, 's3')))).toBe(false);
  });
});
