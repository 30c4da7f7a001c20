// Tests for the `score` and `export-onnx` CLI commands (kept here: this issue owns only onnx/ and the command file).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { isConsortError } from '@consort/core';
import { registerScoreCommand } from '../cli/score-command.ts';
import { churnPipeline, modelFile, randomWeights, specFor, writeMemberCsv } from './test-fixtures.ts';

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
