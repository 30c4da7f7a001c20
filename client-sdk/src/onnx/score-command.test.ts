// Tests for the `score` and `export-onnx` CLI commands (kept here: this issue owns only onnx/ and the command file).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { isConsortError } from '@consort/core';
import { registerScoreCommand } from '../cli/score-command.ts';
import { churnPipeline, modelFile, randomWeights, specFor, writeMemberCsv } from '../../test-support/onnx-fixtures.ts';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'consort-score-cli-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { lines.push(a.join(' ')); });
  try {
    const program = registerScoreCommand(new Command().exitOverride());
    await program.parseAsync(['node', 'consort-agent', ...args]);
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe('score CLI', () => {
  it('exports to .onnx, scores with it and prints a summary line with tier counts', async () => {
    const p = churnPipeline();
    const spec = specFor(p, 'logistic');
    const model = join(dir, 'model.json');
    writeFileSync(model, JSON.stringify(modelFile(spec, p, randomWeights(spec, 4))));
    const data = join(dir, 'data.csv');
    await writeMemberCsv(data, p, 2500, 8);
    const onnxFile = join(dir, 'model.onnx');
    const exported = await run(['export-onnx', '--model', model, '--out', onnxFile]);
    expect(exported[0]).toMatch(/^wrote .*model\.onnx \(\d+ bytes/);
    const out = join(dir, 'scores.csv');
    const lines = await run(['score', '--model', onnxFile, '--data', data, '--out', out, '--high', '0.7', '--medium', '0.4']);
    const m = /^scored 2500 rows in [\d.]+ s \(\d+ rows\/s\), tiers high (\d+) \/ medium (\d+) \/ low (\d+); wrote /.exec(lines.at(-1) ?? '');
    expect(m, lines.join('\n')).not.toBeNull();
    expect(Number(m![1]) + Number(m![2]) + Number(m![3])).toBe(2500);
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1);
    expect(rows.filter((r) => r.split(',')[2] === 'high').length).toBe(Number(m![1]));
  });

  it('takes the id from --id, --mapping or customer_id, and refuses to guess one', async () => {
    const p = churnPipeline();
    const spec = specFor(p, 'logistic');
    const model = join(dir, 'm-id.json');
    writeFileSync(model, JSON.stringify(modelFile(spec, p, randomWeights(spec, 4))));
    const data = join(dir, 'export.csv');
    writeFileSync(data, ['recency_days,frequency,monetary,nps,plan,channel,Kundennummer', '3,4,100.5,7,basic,web,K-7', '9,1,20,3,plus,store,K-8'].join('\n'));
    const out = join(dir, 'id-scores.csv');
    let err: unknown;
    try { await run(['score', '--model', model, '--data', data, '--out', out]); } catch (e) { err = e; }
    expect(isConsortError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/score does not guess.*pass --id with one of "Kundennummer".*--id row/);
    const byRow = await run(['score', '--model', model, '--data', data, '--out', out, '--id', 'row']);
    expect(byRow.at(-1)).toMatch(/\(rows numbered by spreadsheet row, header = row 1\)$/);
    expect(readFileSync(out, 'utf8').split('\n').slice(0, 3).map((l) => l.split(',')[0])).toEqual(['row', '2', '3']);
    const mapping = join(dir, 'mapping.yaml');
    writeFileSync(mapping, 'source: { path: export.csv }\nid: Kundennummer\ncolumns: {}\n');
    const byMapping = await run(['score', '--model', model, '--data', data, '--out', out, '--mapping', mapping]);
    expect(byMapping.at(-1)).toMatch(/customers identified by column "Kundennummer", the mapping's id\)$/);
    expect(readFileSync(out, 'utf8').split('\n')[2].split(',')[0]).toBe('K-8');
    await run(['score', '--model', model, '--data', data, '--out', out, '--id-column', 'Kundennummer']);
    expect(readFileSync(out, 'utf8').split('\n')[1].split(',')[0]).toBe('K-7');
  });

  it('rejects a cut point outside [0, 1] and medium above high', async () => {
    await expect(run(['score', '--model', 'm.json', '--data', 'd.csv', '--out', 'o.csv', '--high', '1.5'])).rejects.toThrow(/--high must be a probability/);
    let err: unknown;
    try {
      const p = churnPipeline();
      const spec = specFor(p, 'logistic');
      const model = join(dir, 'm2.json');
      writeFileSync(model, JSON.stringify(modelFile(spec, p, randomWeights(spec, 4))));
      await run(['score', '--model', model, '--data', join(dir, 'data.csv'), '--out', join(dir, 'o.csv'), '--high', '0.2', '--medium', '0.5']);
    } catch (e) { err = e; }
    expect(isConsortError(err, 'INVALID_ARGUMENT')).toBe(true);
  });
});
