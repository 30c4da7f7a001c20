// Tests for the `score` and `export-onnx` CLI commands (kept here: this issue owns only onnx/ and the command file).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { describeError, isConsortError, scoreBin } from '@consort/core';
import { registerScoreCommand } from '../cli/score-command.ts';
import { churnPipeline, modelFile, randomRecords, randomWeights, specFor, writeMemberCsv } from '../../test-support/onnx-fixtures.ts';

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
    expect((err as Error).message).toMatch(/score does not guess.*--id row to number the rows, or --id with the column that identifies customers \(not a model input: "Kundennummer"\)/);
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

  describe('decisions with per-group thresholds', () => {
    const p = churnPipeline();
    const spec = specFor(p, 'logistic');
    const GENDERS = ['F', 'M', '', 'Z', 'X'];
    const plan = (over: Record<string, unknown> = {}) => ({
      kind: 'per-group-thresholds', fromReport: 'ab'.repeat(32), fromModelVersionId: 'mv-test', grouping: 'gender',
      attributes: [{ name: 'gender', column: 'gender', kind: 'categorical', bands: [], groups: ['F', 'M', 'X'], reference: 'M' }],
      plan: { commonThreshold: 0.5, histogramBins: 100, target: { metric: 'tpr', value: 0.6 }, groups: [{ key: ['F'], threshold: 0.3 }, { key: ['M'], threshold: 0.7 }] },
      caveat: 'per-group thresholds use the protected attribute at decision time (disparate treatment)',
      ...over,
    });
    let model: string;
    let data: string;
    beforeAll(() => {
      model = join(dir, 'm-groups.json');
      writeFileSync(model, JSON.stringify(modelFile(spec, p, randomWeights(spec, 4, 2))));
      const records = randomRecords(p, 600, 5);
      const cols = [...Object.keys(records[0]), 'gender'];
      data = join(dir, 'groups.csv');
      writeFileSync(data, `${[cols.join(','), ...records.map((r, i) => [...Object.values(r), GENDERS[i % GENDERS.length]].join(','))].join('\n')}\n`);
    });

    async function failure(args: string[]): Promise<Error> {
      try { await run(args); } catch (e) { return e as Error; }
      throw new Error('succeeded');
    }

    it('adds a decision column from each row\'s group threshold; the common one for blank, unknown and withheld groups, counted by reason', async () => {
      const planFile = join(dir, 'plan.json');
      writeFileSync(planFile, JSON.stringify(plan()));
      const out = join(dir, 'decided.csv');
      const lines = await run(['score', '--model', model, '--data', data, '--out', out, '--group-thresholds', planFile]);
      expect(lines.at(-1)).toMatch(/per-group thresholds on gender \(F \d+\/120 at 0\.3, M \d+\/120 at 0\.7\); common threshold 0\.5 for 120 rows with a blank group, 120 outside the audited groups, 120 in groups the plan has no threshold for\. Caveat: .*protected attribute at decision time/);
      const rows = readFileSync(out, 'utf8').trim().split('\n');
      expect(rows[0]).toBe('customer_id,score,risk_tier,decision,reason_1,reason_2,reason_3');
      const threshold = [0.3, 0.7, 0.5, 0.5, 0.5];
      const acted = rows.slice(1).map((r, i) => {
        const [, score, , decision] = r.split(',');
        // The audit's rule: the score's histogram bin at or above the threshold's bin edge.
        expect(Number(decision)).toBe(scoreBin(Number(score), 100) >= Math.round(threshold[i % 5] * 100) ? 1 : 0);
        return Number(decision);
      });
      expect(acted.some((a) => a === 1) && acted.some((a) => a === 0)).toBe(true);
      const json = JSON.parse((await run(['score', '--model', model, '--data', data, '--out', out, '--group-thresholds', planFile, '--json'])).join('\n')) as { decisions: { act: number; plan: { common: unknown; byGroup: Record<string, { rows: number }>; caveat: string } } };
      expect(json.decisions.act).toBe(acted.reduce((a, b) => a + b, 0));
      expect(json.decisions.plan.common).toEqual({ missing: 120, unknown: 120, suppressed: 120 });
      expect(json.decisions.plan.caveat).toMatch(/disparate treatment/);
      // An exported graph carries its model version too: the same plan applies to it, with the same decisions.
      const onnxFile = join(dir, 'groups.onnx');
      await run(['export-onnx', '--model', model, '--out', onnxFile]);
      const fromOnnx = join(dir, 'decided-onnx.csv');
      await run(['score', '--model', onnxFile, '--data', data, '--out', fromOnnx, '--group-thresholds', planFile]);
      expect(readFileSync(fromOnnx, 'utf8').trim().split('\n').slice(1).map((r) => r.split(',')[3])).toEqual(acted.map(String));
    });

    it('leaves the columns as they were without a flag, and --threshold decides at one threshold', async () => {
      const out = join(dir, 'plain.csv');
      await run(['score', '--model', model, '--data', data, '--out', out]);
      expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('customer_id,score,risk_tier,reason_1,reason_2,reason_3');
      const lines = await run(['score', '--model', model, '--data', data, '--out', out, '--threshold', '0.4']);
      expect(lines.at(-1)).toMatch(/decision 1 for \d+ rows \(score ≥ 0\.4\)$/);
      for (const r of readFileSync(out, 'utf8').trim().split('\n').slice(1)) {
        const [, score, , decision] = r.split(',');
        expect(decision).toBe(Number(score) >= 0.4 ? '1' : '0');
      }
    });

    it('refuses a plan of another model version (exit 2) unless --allow-other-version, which warns', async () => {
      const planFile = join(dir, 'plan-other.json');
      writeFileSync(planFile, JSON.stringify(plan({ fromModelVersionId: 'mv-older' })));
      const out = join(dir, 'other.csv');
      const err = await failure(['score', '--model', model, '--data', data, '--out', out, '--group-thresholds', planFile]);
      expect(isConsortError(err, 'MITIGATION_PLAN_MISMATCH')).toBe(true);
      expect(describeError(err).exitCode).toBe(2);
      expect(err.message).toMatch(/computed for model version mv-older, but .*m-groups\.json is model version mv-test.*--allow-other-version/);
      const warn = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        await run(['score', '--model', model, '--data', data, '--out', out, '--group-thresholds', planFile, '--allow-other-version']);
        expect(warn.mock.calls.map((c) => c.join(' ')).join('\n')).toMatch(/^warning: .*mv-older.*applied anyway/);
      } finally {
        warn.mockRestore();
      }
    });

    it('refuses a malformed plan naming its field, an old plan saying to plan again, and a file without the group column', async () => {
      const planFile = join(dir, 'bad-plan.json');
      writeFileSync(planFile, JSON.stringify(plan({ plan: { ...plan().plan, groups: [{ key: ['F'], threshold: 'low' }] } })));
      const out = join(dir, 'bad.csv');
      expect((await failure(['score', '--model', model, '--data', data, '--out', out, '--group-thresholds', planFile])).message).toMatch(/field "plan\.groups\[0\]\.threshold"/);
      writeFileSync(planFile, JSON.stringify(plan({ attributes: undefined })));
      expect((await failure(['score', '--model', model, '--data', data, '--out', out, '--group-thresholds', planFile])).message).toMatch(/"attributes" is missing.*plan again/);
      writeFileSync(planFile, JSON.stringify(plan()));
      const noGender = join(dir, 'data.csv');
      await writeMemberCsv(noGender, p, 50, 8);
      const err = await failure(['score', '--model', model, '--data', noGender, '--out', out, '--group-thresholds', planFile]);
      expect(isConsortError(err, 'DATA_INVALID')).toBe(true);
      expect(err.message).toMatch(/place rows by column "gender", which the file lacks/);
    });
  });
});
