// Tests for streaming CSV scoring: end to end output, equality with the in-memory graph, tiers, reasons, id columns and data errors.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRow, isConsortError, pipelineInputDim, readOnnxMetadata, type FeaturePipeline } from '@consort/core';
import { selectBackend } from '../train/backend.ts';
import { predict } from '../train/trainer.ts';
import { readMemberCsv } from '../data/csv-table.ts';
import {
  exportModelFile, formatReason, formatReasonValue, riskTier, scoreCsv, topContributions, type ScoreProgress,
} from './scorer.ts';
import { churnPipeline, modelFile, randomWeights, specFor, writeMemberCsv } from '../../test-support/onnx-fixtures.ts';
import { resolveScoreId } from './score-id.ts';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'consort-score-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parseOutput(file: string): { header: string[]; rows: string[][]; lines: number } {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')), lines: lines.length };
}

async function expectDataError(run: () => Promise<unknown>, patterns: RegExp[]): Promise<void> {
  let err: unknown;
  try { await run(); } catch (e) { err = e; }
  expect(isConsortError(err, 'DATA_INVALID'), String(err)).toBe(true);
  for (const p of patterns) expect((err as Error).message).toMatch(p);
}

// Numeric reasons show the value in its units; categorical ones name the value (or "(missing)").
const REASON = /^((recency_days|frequency|monetary|nps)=-?\d+(\.\d+)?|plan=(basic|plus|premium|\(missing\))|channel=(web|store|phone|partner|\(missing\))):[+-]\d+\.\d\d$/;

describe('scoreCsv', () => {
  const pipeline = churnPipeline('binary');
  const spec = specFor(pipeline, 'mlp', 'relu');
  const weights = randomWeights(spec, 41);

  it('scores a 5,000-row CSV: one line per row, in order, TF.js scores, tiers and reasons', async () => {
    const input = join(dir, 'members.csv');
    const output = join(dir, 'scores.csv');
    const model = join(dir, 'model.json');
    await writeMemberCsv(input, pipeline, 5000, 77);
    writeFileSync(model, JSON.stringify(modelFile(spec, pipeline, weights)));
    const progress: ScoreProgress[] = [];
    const summary = await scoreCsv({ modelFile: model, input, output, batchSize: 1024, tiers: { high: 0.1, medium: 0.01 }, onProgress: (p) => progress.push(p) });

    expect(summary.rows).toBe(5000);
    expect(summary.idColumn).toBe('customer_id');
    expect(summary.idFrom).toBe('prepared');
    const { header, rows, lines } = parseOutput(output);
    expect(lines).toBe(5001);
    expect(header).toEqual(['customer_id', 'score', 'risk_tier', 'reason_1', 'reason_2', 'reason_3']);
    rows.forEach((r, i) => expect(r[0]).toBe(`C${String(i + 1).padStart(7, '0')}`));

    // Same scores as TF.js on the core-encoded rows (6 decimals written, so 1e-5 after rounding).
    const table = await readMemberCsv(input, { numeric: pipeline.numeric.map((n) => n.name), categorical: pipeline.categorical.map((c) => c.name), label: 'churned' });
    const d = pipelineInputDim(pipeline);
    const x = new Float32Array(table.rowCount * d);
    table.records.forEach((r, i) => encodeRow(pipeline, r, { file: input, row: i + 2 }, x, i * d));
    const tf = await predict(spec, weights, x, await selectBackend(['cpu']));
    let maxDiff = 0;
    rows.forEach((r, i) => { maxDiff = Math.max(maxDiff, Math.abs(Number(r[1]) - tf[i])); });
    expect(maxDiff).toBeLessThan(1e-5);

    const counts = { high: 0, medium: 0, low: 0 };
    for (const r of rows) {
      const p = Number(r[1]);
      // Tier from the unrounded score; the written score is rounded to 6 decimals, so avoid the exact edges.
      if (Math.abs(p - 0.1) > 1e-6 && Math.abs(p - 0.01) > 1e-6) expect(r[2]).toBe(p >= 0.1 ? 'high' : p >= 0.01 ? 'medium' : 'low');
      counts[r[2] as keyof typeof counts]++;
      const reasons = r.slice(3).filter((s) => s !== '');
      expect(reasons.length).toBeGreaterThanOrEqual(1);
      for (const s of reasons) expect(s).toMatch(REASON);
      // Ordered by absolute size, distinct columns.
      const sizes = reasons.map((s) => Math.abs(Number(s.slice(s.lastIndexOf(':') + 1))));
      for (let k = 1; k < sizes.length; k++) expect(sizes[k]).toBeLessThanOrEqual(sizes[k - 1]);
      expect(new Set(reasons.map((s) => s.split('=')[0])).size).toBe(reasons.length);
    }
    expect(summary.tiers).toEqual(counts);
    expect(counts.high).toBeGreaterThan(0);
    expect(counts.medium).toBeGreaterThan(0);
    expect(counts.low).toBeGreaterThan(0);
    expect(progress.length).toBe(5);
    expect(progress.at(-1)!.rows).toBe(5000);
    expect(progress.at(-1)!.bytesRead).toBe(progress.at(-1)!.totalBytes);
    expect(existsSync(`${output}.partial`)).toBe(false);
  });

  it('scores from an exported .onnx file exactly as from the model JSON', async () => {
    const input = join(dir, 'small.csv');
    await writeMemberCsv(input, pipeline, 300, 5);
    const onnxFile = join(dir, 'model.onnx');
    const { features } = await exportModelFile(modelFile(spec, pipeline, weights), onnxFile);
    expect(features).toEqual(['recency_days', 'frequency', 'monetary', 'nps', 'plan', 'channel']);
    expect(readOnnxMetadata(readFileSync(onnxFile)).props['consort.modelVersionId']).toBe('mv-test');
    const jsonFile = join(dir, 'model-small.json');
    writeFileSync(jsonFile, JSON.stringify(modelFile(spec, pipeline, weights)));
    await scoreCsv({ modelFile: onnxFile, input, output: join(dir, 'a.csv'), idColumn: 'region' });
    await scoreCsv({ modelFile: jsonFile, input, output: join(dir, 'b.csv'), idColumn: 'region' });
    const a = readFileSync(join(dir, 'a.csv'), 'utf8');
    expect(a).toBe(readFileSync(join(dir, 'b.csv'), 'utf8'));
    expect(a.split('\n')[0].startsWith('region,score')).toBe(true);
  });

  it('regression: predicted value, no risk tier', async () => {
    const reg = churnPipeline('regression');
    const regSpec = specFor(reg, 'logistic');
    const w = randomWeights(regSpec, 8, 50);
    const input = join(dir, 'reg.csv');
    const output = join(dir, 'reg-scores.csv');
    await writeMemberCsv(input, reg, 1000, 3);
    const summary = await scoreCsv({ modelFile: join(dir, 'x.json'), input, output }).catch(() => null);
    expect(summary).toBeNull(); // missing model file fails cleanly
    const model = join(dir, 'reg.json');
    writeFileSync(model, JSON.stringify(modelFile(regSpec, reg, w)));
    const s = await scoreCsv({ modelFile: model, input, output });
    expect(s.tiers).toBeNull();
    const { header, rows } = parseOutput(output);
    expect(header).toEqual(['customer_id', 'score', 'reason_1', 'reason_2', 'reason_3']);
    expect(rows.length).toBe(1000);
    const tf = await predict(regSpec, w, (() => {
      const d = pipelineInputDim(reg);
      const lines = readFileSync(input, 'utf8').trim().split('\n');
      const cols = lines[0].split(',');
      const x = new Float32Array((lines.length - 1) * d);
      lines.slice(1).forEach((l, i) => {
        const cells = l.split(',');
        const rec = Object.fromEntries(cols.map((c, k) => [c, cells[k]]));
        encodeRow(reg, rec, { file: input, row: i + 2 }, x, i * d);
      });
      return x;
    })(), await selectBackend(['cpu']));
    // Values are written with 7 significant digits.
    rows.forEach((r, i) => expect(Math.abs(Number(r[1]) - tf[i])).toBeLessThanOrEqual(Math.abs(tf[i]) * 1e-6 + 1e-5));
  });

  describe('data errors name file, row and column', () => {
    const model = () => modelFile(spec, pipeline, weights);
    const loaded = async () => {
      const file = join(dir, 'err-model.json');
      writeFileSync(file, JSON.stringify(model()));
      return file;
    };
    const header = 'customer_id,recency_days,frequency,monetary,nps,plan,channel';

    it('a missing column', async () => {
      const input = join(dir, 'missing.csv');
      writeFileSync(input, 'customer_id,recency_days,frequency,nps,plan,channel\nC1,3,4,5,basic,web\n');
      const output = join(dir, 'missing-out.csv');
      await expectDataError(async () => scoreCsv({ modelFile: await loaded(), input, output }),
        [/missing\.csv/, /row 1/, /missing column "monetary"/, /the file has "customer_id"/]);
      expect(existsSync(output)).toBe(false);
      expect(existsSync(`${output}.partial`)).toBe(false);
    });

    it('a non-numeric value in a numeric column', async () => {
      const input = join(dir, 'type.csv');
      const good = Array.from({ length: 5000 }, (_, i) => `C${i},3,4,100.5,7,basic,web`);
      writeFileSync(input, [header, ...good, 'C9,3,four,100,7,plus,store'].join('\n'));
      const output = join(dir, 'type-out.csv');
      await expectDataError(async () => scoreCsv({ modelFile: await loaded(), input, output, batchSize: 512 }),
        [/type\.csv/, /row 5002/, /column "frequency"/, /"four" is not a number/]);
      expect(existsSync(output)).toBe(false);
      expect(existsSync(`${output}.partial`)).toBe(false);
    });

    it('an unknown category, listing the allowed values', async () => {
      const input = join(dir, 'category.csv');
      writeFileSync(input, [header, 'C1,3,4,100,7,basic,web', 'C2,3,4,100,7,gold,web'].join('\n'));
      await expectDataError(async () => scoreCsv({ modelFile: await loaded(), input, output: join(dir, 'cat-out.csv') }),
        [/category\.csv/, /row 3/, /column "plan"/, /"gold" is not one of the federation's values \(basic, plus, premium\)/]);
    });

    it('a ragged row names the line', async () => {
      const input = join(dir, 'ragged.csv');
      writeFileSync(input, [header, 'C1,3,4,100,7,basic,web', 'C2,3,4,100,7,basic'].join('\n'));
      await expectDataError(async () => scoreCsv({ modelFile: await loaded(), input, output: join(dir, 'rag-out.csv') }),
        [/ragged\.csv/, /line 3/, /number of fields/]);
    });

    it('an empty file', async () => {
      const empty = join(dir, 'empty.csv');
      writeFileSync(empty, '');
      await expectDataError(async () => scoreCsv({ modelFile: await loaded(), input: empty, output: join(dir, 'e.csv') }), [/empty\.csv is empty/]);
    });
  });

  describe('the id column is given, never guessed from the features', () => {
    let model = '';
    let input = '';
    // customerID is not the first column, and the first column (tenure-like recency) is a model input.
    const header = 'recency_days,frequency,monetary,nps,plan,channel,customerID,region';
    const rows = ['3,4,100.5,7,basic,web,A-1,north', '30,1,9.5,2,premium,phone,A-2,south', '12,2,50,5,,store,A-3,east'];
    beforeAll(() => {
      model = join(dir, 'id-model.json');
      input = join(dir, 'no-customer-id.csv');
      writeFileSync(model, JSON.stringify(modelFile(spec, pipeline, weights)));
      writeFileSync(input, [header, ...rows].join('\n'));
    });
    const idError = async (opts: { idColumn?: string; mappingId?: string }, patterns: RegExp[]) => {
      const output = join(dir, 'id-out.csv');
      let err: unknown;
      try { await scoreCsv({ modelFile: model, input, output, ...opts }); } catch (e) { err = e; }
      expect(isConsortError(err, 'INVALID_ARGUMENT'), String(err)).toBe(true);
      for (const p of patterns) expect((err as Error).message).toMatch(p);
      expect(existsSync(output)).toBe(false);
      expect(existsSync(`${output}.partial`)).toBe(false);
    };

    it('without customer_id or --id: an error listing the non-feature columns, id-like first', async () => {
      await idError({}, [/no-customer-id\.csv, row 1 \(header\)/, /does not guess/, /pass --id with one of "customerID", "region"/, /--id row/]);
      let err: unknown;
      try { await scoreCsv({ modelFile: model, input, output: join(dir, 'x.csv') }); } catch (e) { err = e; }
      expect((err as Error).message).not.toMatch(/"recency_days"/);
    });

    it('leads with --id row when no remaining column looks like an identifier', () => {
      const err = (() => { try { resolveScoreId({ file: 'f.csv', header: ['age', 'marital', 'tenure'], features: ['tenure'] }); } catch (e) { return e as Error; } return undefined; })();
      expect(err?.message).toMatch(/no column's name looks like a customer identifier: pass --id row to number the rows, or --id with the column that identifies customers \(not a model input: "age", "marital"\)/);
    });

    it('an --id that is not in the file names the candidates', async () => {
      await idError({ idColumn: 'member_no' }, [/id column "member_no" not found/, /"customerID", "region"/]);
    });

    it('--id <column> copies that column; --id row numbers the rows by spreadsheet row', async () => {
      const byColumn = join(dir, 'id-col.csv');
      const s = await scoreCsv({ modelFile: model, input, output: byColumn, idColumn: 'customerID' });
      expect(s.idFrom).toBe('option');
      const a = parseOutput(byColumn);
      expect(a.header[0]).toBe('customerID');
      expect(a.rows.map((r) => r[0])).toEqual(['A-1', 'A-2', 'A-3']);
      const byRow = join(dir, 'id-row.csv');
      const t = await scoreCsv({ modelFile: model, input, output: byRow, idColumn: 'row' });
      expect([t.idColumn, t.idFrom]).toEqual(['row', 'row']);
      const b = parseOutput(byRow);
      expect(b.header[0]).toBe('row');
      expect(b.rows.map((r) => r[0])).toEqual(['2', '3', '4']);
      // Same scores and reasons either way.
      expect(b.rows.map((r) => r.slice(1))).toEqual(a.rows.map((r) => r.slice(1)));
    });

    it("the mapping's id: the exported column, else customer_id as prepare writes it", async () => {
      const out = join(dir, 'id-map.csv');
      expect((await scoreCsv({ modelFile: model, input, output: out, mappingId: 'customerID' })).idFrom).toBe('mapping');
      expect(parseOutput(out).rows[1][0]).toBe('A-2');
      await idError({ mappingId: 'Kundennummer' }, [/mapping's id column "Kundennummer" is not in the file, nor is "customer_id"/, /"customerID", "region"/]);
      const prepared = join(dir, 'prepared.csv');
      writeFileSync(prepared, ['customer_id,recency_days,frequency,monetary,nps,plan,channel', 'K1,3,4,100.5,7,basic,web'].join('\n'));
      const p = await scoreCsv({ modelFile: model, input: prepared, output: out, mappingId: 'Kundennummer' });
      expect([p.idColumn, p.idFrom]).toEqual(['customer_id', 'prepared']);
    });

    it('reasons name the categorical value and show numeric values in their units', async () => {
      const out = join(dir, 'id-reasons.csv');
      await scoreCsv({ modelFile: model, input, output: out, idColumn: 'customerID' });
      const reasons = parseOutput(out).rows.flatMap((r) => r.slice(3)).filter((x) => x !== '');
      expect(reasons.length).toBeGreaterThan(3);
      for (const r of reasons) expect(r).toMatch(REASON);
      const values = reasons.map((r) => r.slice(0, r.lastIndexOf(':')));
      const allowed = new Set(['recency_days=3', 'frequency=4', 'monetary=100.5', 'nps=7', 'plan=basic', 'channel=web',
        'recency_days=30', 'frequency=1', 'monetary=9.5', 'nps=2', 'plan=premium', 'channel=phone',
        'recency_days=12', 'frequency=2', 'monetary=50', 'nps=5', 'plan=(missing)', 'channel=store']);
      for (const v of values) expect(allowed.has(v), v).toBe(true);
    });
  });

  it('a tampered model fails its sha256 check', async () => {
    const file = join(dir, 'tampered.json');
    writeFileSync(file, JSON.stringify({ ...modelFile(spec, pipeline, weights), sha256: '00'.repeat(32) }));
    let err: unknown;
    try { await scoreCsv({ modelFile: file, input: join(dir, 'ok.csv'), output: join(dir, 't.csv') }); } catch (e) { err = e; }
    expect(isConsortError(err, 'MODEL_INTEGRITY')).toBe(true);
  });
});

describe('tiers and reason codes', () => {
  it('riskTier uses ≥ at each cut point', () => {
    const t = { high: 0.5, medium: 0.2 };
    expect([0.5, 0.4999, 0.2, 0.1999].map((p) => riskTier(p, t))).toEqual(['high', 'medium', 'medium', 'low']);
  });

  it('topContributions picks the 3 largest |c|, largest first, skipping zeros', () => {
    const c = new Float32Array([9, 9, 0.1, -2, 0, 1.5, -0.3, 3]);
    expect(topContributions(c, 2, 6)).toEqual([5, 1, 3]);
    expect(topContributions(new Float32Array([0, 0.2, 0]), 0, 3)).toEqual([1]);
  });

  it('formatReason names the value and writes a signed contribution with two decimals', () => {
    expect(formatReason('contract', 'month_to_month', 0.6412)).toBe('contract=month_to_month:+0.64');
    expect(formatReason('plan', '(missing)', -1.005)).toBe('plan=(missing):-1.00');
    expect(formatReason('tenure_months', formatReasonValue(2), 1.1)).toBe('tenure_months=2:+1.10');
    expect([29.85, 1889.5, 0.000123456789, 123456789, -3, NaN].map(formatReasonValue)).toEqual(['29.85', '1889.5', '0.000123457', '123456789', '-3', '(missing)']);
  });

  it('bad tier cut points are rejected', async () => {
    const p: FeaturePipeline = churnPipeline();
    let err: unknown;
    try { await scoreCsv({ modelFile: modelFileLoaded(p), input: 'x.csv', output: 'y.csv', tiers: { high: 0.2, medium: 0.5 } }); } catch (e) { err = e; }
    expect(isConsortError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/medium ≤ high/);
  });
});

function modelFileLoaded(p: FeaturePipeline) {
  const spec = specFor(p, 'logistic');
  return { spec, pipeline: p, features: [], onnx: new Uint8Array(), source: 'test' };
}
