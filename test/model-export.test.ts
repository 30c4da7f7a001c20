// The trained model reaches members over real gRPC: the operator exports, a member pulls, the running
// agents keep each version they helped train, score works on all of them, and altered files are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { MemberClient, enrollMember, exportModelFile, scoreCsv, type SavedModel } from '@consort/client-sdk';
import { AdminClient } from '@consort/coordinator';
import { describeError, MODEL_FILE_FORMAT, type MemberModelFile } from '@consort/core';
import { modelVersionOption } from '@consort/core';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

const TOKEN = 'test-operator-token';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a command line as a person would (its own process, from `cwd`): exit code, stdout lines, stderr. */
async function run(which: 'coordinator' | 'agent', args: string[], cwd: string): Promise<{ code: number; stdout: string[]; stderr: string }> {
  const main = join(root, which === 'agent' ? 'client-sdk' : 'coordinator', 'src/cli/main.ts');
  const env = { ...process.env };
  delete env.CONSORT_COORDINATOR;
  const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', tsx, main, ...args], { cwd, env });
    return { code: 0, stdout: stdout.trim().split('\n'), stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout.trim().split('\n'), stderr: e.stderr };
  }
}

/** `run` for a command that must succeed: its stdout lines. */
async function cli(which: 'coordinator' | 'agent', args: string[], cwd: string): Promise<string[]> {
  const r = await run(which, args, cwd);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => { throw new Error('expected a refusal'); }, (err: unknown) => err);
}

/** Flips the lowest bit of two bytes of a file in place (a JSON digit stays a digit). */
function flipTwoBytes(file: string, at: [number, number]): void {
  const b = readFileSync(file);
  for (const i of at) b[i] ^= 0x01;
  writeFileSync(file, b);
}

describe('model export and pull over gRPC', () => {
  const dir = mkdtempSync(join(tmpdir(), 'consort-model-export-'));
  const saved: SavedModel[][] = [[], [], []];
  let fx: Fixture;
  let taskId = '';
  let memberIdentity = '';
  let lastSaved: Promise<void>;

  beforeAll(async () => {
    let done!: () => void;
    lastSaved = new Promise((r) => { done = r; });
    fx = await startFixture({
      databaseUrl: sqliteDatabase().url, members: 3, customers: 1500,
      hooks: (i) => ({
        modelsDir: join(dir, `member-${i}`, 'models'),
        onModelSaved: (s: SavedModel) => { saved[i].push(s); if (i === 0 && s.version === 2) done(); },
      }),
    });
    const task = await fx.admin.createTask(fx.federationId, churnTask({ minMembers: 3 }));
    taskId = task.id;
    const reports = await fx.admin.runRounds(task.id, 2, 20);
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['statistics:published', 'train:published', 'train:published', 'evaluate:published']);
    // A member of the same federation that runs no agent, with its identity on disk (as `enroll` leaves it).
    memberIdentity = join(dir, 'pulling-member', 'identity.json');
    const [token] = await fx.admin.createEnrollmentTokens(fx.federationId, 1);
    await enrollMember(fx.coordinator.address, token, 'Pulling member', memberIdentity);
  }, 120_000);

  afterAll(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('operator export and member pull write the same bytes, equal to the agents\' latest.json, and score', async () => {
    // Both commands run from the person's own folder: relative --out and --identity paths are theirs.
    const conn = ['--coordinator', fx.coordinator.address];
    const printed = await cli('coordinator', ['export-model', '--task', taskId, '--out', 'operator-model.json', '--json', '--coordinator', fx.coordinator.adminAddress, '--token', TOKEN], dir);
    const exported = join(dir, 'operator-model.json');
    expect(JSON.parse(printed.join('\n'))).toMatchObject({ version: 2, kind: 'model', out: exported, task: taskId, taskName: 'churn-e2e' });

    const pullLines = await cli('agent', ['pull-model', '--task', taskId, '--out', 'member-model.json', '--identity', 'pulling-member/identity.json', ...conn], dir);
    const pulled = join(dir, 'member-model.json');
    expect(pullLines.at(-1)).toMatch(new RegExp(`^pulled model version 2 of task ${taskId} \\("churn-e2e"\\), weights sha256 [0-9a-f]{64}: ${pulled} \\(\\d+ bytes\\)$`));
    expect(readFileSync(pulled).equals(readFileSync(exported))).toBe(true);

    const file = JSON.parse(readFileSync(exported, 'utf8')) as MemberModelFile;
    const stored = await fx.coordinator.store.getModelVersion(file.modelVersionId);
    expect(file).toMatchObject({ format: MODEL_FILE_FORMAT, kind: 'model', taskId, task: 'churn-e2e', version: 2, sha256: stored.sha256 });
    expect(Float32Array.from(file.weights)).toEqual(stored.weights);
    expect(file.pipeline).toBeTruthy();
    expect(Date.parse(file.createdAt)).toBe(stored.createdAt.getTime());
    // Both downloads are in the tamper-evident log, the member's under its pseudonym (its id).
    const downloads = await fx.coordinator.store.listAuditEvents({ subjectId: file.modelVersionId });
    expect(downloads.filter((e) => e.kind === 'model.exported')).toMatchObject([{ actor: 'operator', detail: { taskId, version: 2, sha256: stored.sha256 } }]);
    const pulls = downloads.filter((e) => e.kind === 'model.pulled');
    expect(pulls.length).toBeGreaterThanOrEqual(1);
    for (const p of pulls) expect(p).toMatchObject({ actor: expect.not.stringMatching(/^operator$/), detail: { taskId, version: 2, sha256: stored.sha256 } });

    // Every running agent saved v1 and v2 of the task; latest.json is the export, byte for byte.
    await lastSaved;
    await Promise.all(fx.agents.map((a) => a.archive!.idle()));
    for (let i = 0; i < 3; i++) {
      expect(saved[i].map((s) => s.version)).toEqual([1, 2]);
      const latest = join(dir, `member-${i}`, 'models', taskId, 'latest.json');
      expect(saved[i][1].latest).toBe(latest);
      expect(readFileSync(latest).equals(readFileSync(exported))).toBe(true);
    }
    const v1 = await fx.admin.exportModel(taskId, 1);
    expect(v1.header).toMatchObject({ version: 1, taskId, kind: 'model' });
    expect(readFileSync(join(dir, 'member-0', 'models', taskId, 'v1.json')).equals(v1.bytes)).toBe(true);
    // A member pins an older version: the same bytes the operator exports for it.
    const pinned = await run('agent', ['pull-model', '--task', taskId, '--version', '1', '--out', 'member-v1.json', '--identity', 'pulling-member/identity.json', ...conn], dir);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(readFileSync(join(dir, 'member-v1.json')).equals(v1.bytes)).toBe(true);

    // Scoring works on the pulled file and on an agent's latest.json alike.
    const rows = readFileSync(fx.files[0], 'utf8').trim().split('\n').length - 1;
    for (const model of [pulled, join(dir, 'member-1', 'models', taskId, 'latest.json')]) {
      const summary = await scoreCsv({ modelFile: model, input: fx.files[0], output: join(dir, 'scored.csv') });
      expect(summary.rows).toBe(rows);
    }
  });

  it('a tampered model file or .onnx graph is refused with MODEL_INTEGRITY naming the file (exit 5)', async () => {
    const model = join(dir, 'member-model.json');
    const onnx = join(dir, 'model.onnx');
    const { sha256 } = await exportModelFile(model, onnx);
    expect(readFileSync(`${onnx}.sha256`, 'utf8')).toBe(`${sha256}  model.onnx\n`);
    const fromOnnx = await scoreCsv({ modelFile: onnx, input: fx.files[1], output: join(dir, 'scored-onnx.csv') });
    expect(fromOnnx.rows).toBeGreaterThan(0);

    const score = (m: string) => refusal(scoreCsv({ modelFile: m, input: fx.files[1], output: join(dir, 'never.csv') }));
    // Two bytes of the graph's weights (the initializers sit in the middle of the file).
    const size = readFileSync(onnx).byteLength;
    flipTwoBytes(onnx, [Math.floor(size / 2), Math.floor(size / 2) + 7]);
    const graphErr = await score(onnx);
    expect(describeError(graphErr)).toMatchObject({ code: 'MODEL_INTEGRITY', exitCode: 5 });
    expect(describeError(graphErr).message).toContain(`${onnx}: the graph does not match the SHA-256 in model.onnx.sha256`);
    // What a person sees: one line on stderr naming the file as they typed it, exit 5.
    const seen = await run('agent', ['score', '--model', 'model.onnx', '--data', fx.files[1], '--out', 'never.csv'], dir);
    expect(seen.code).toBe(5);
    expect(seen.stderr).toMatch(new RegExp(`^MODEL_INTEGRITY: model\\.onnx: the graph does not match the SHA-256 in model\\.onnx\\.sha256 \\(recorded [0-9a-f]{64}, file hashes to [0-9a-f]{64}\\)`));

    // Two digits of the first weight of the model file.
    const text = readFileSync(model, 'utf8');
    const at = text.indexOf('"weights":[') + '"weights":['.length;
    const digits = [...text.slice(at, at + 30)].map((c, i) => (/[0-9]/.test(c) ? at + i : -1)).filter((i) => i >= 0);
    flipTwoBytes(model, [digits.at(-1)!, digits.at(-2)!]);
    const weightsErr = await score(model);
    expect(describeError(weightsErr)).toMatchObject({ code: 'MODEL_INTEGRITY', exitCode: 5 });
    expect(describeError(weightsErr).message).toContain(`${model}: the file's content (preprocessing, spec, metrics or weights) does not match its recorded contentSha256`);

    // The preprocessing is covered too: a standardization mean scaled by hand (the trial's finding).
    writeFileSync(model, text);
    const edited = JSON.parse(text) as { pipeline: { numeric: { mean: number }[] } };
    edited.pipeline.numeric[0].mean *= 3;
    writeFileSync(model, JSON.stringify(edited));
    const meanErr = await score(model);
    expect(describeError(meanErr)).toMatchObject({ code: 'MODEL_INTEGRITY', exitCode: 5 });
  });

  it('a member of another federation gets NOT_FOUND; a wrong operator token, an unknown version or an untrained task are refused', async () => {
    const other = await fx.admin.createFederation('another consortium');
    const [token] = await fx.admin.createEnrollmentTokens(other.id, 1);
    const outsider = new MemberClient(fx.coordinator.address, await enrollMember(fx.coordinator.address, token, 'Outsider'));
    const stored = (await fx.coordinator.store.listModelVersions(taskId)).at(-1)!;
    try {
      for (const query of [{ taskId }, { modelVersionId: stored.id }, { taskId: 'no-such-task' }]) {
        const err = await refusal(outsider.fetchModelFile(query)) as grpc.ServiceError;
        expect(err.code).toBe(grpc.status.NOT_FOUND);
        expect(err.details).toMatch(/^NOT_FOUND: /);
      }
    } finally {
      outsider.close();
    }

    const intruder = new AdminClient(fx.coordinator.adminAddress, 'not-the-token');
    const denied = await refusal(intruder.exportModel(taskId)) as grpc.ServiceError;
    intruder.close();
    expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
    // The failed login is logged under a pseudonym of the address, never the address itself.
    const failed = await fx.coordinator.store.listAuditEvents({ kind: 'operator.auth_failed' });
    expect(failed.at(-1)).toMatchObject({ actor: 'unauthenticated', subjectType: 'peer', subjectId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(JSON.stringify(failed)).not.toContain('127.0.0.1');

    const missing = await refusal(fx.admin.exportModel(taskId, 9)) as grpc.ServiceError;
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
    expect(missing.details).toContain(`task ${taskId} has no published version 9; its published versions are 1 to 2`);

    const untrained = await fx.admin.createTask(fx.federationId, churnTask({ name: 'not trained yet' }));
    const none = await refusal(fx.admin.exportModel(untrained.id));
    expect(describeError(none)).toMatchObject({ code: 'NO_MODEL_PUBLISHED', exitCode: 6 });
    expect(describeError(none).message).toContain(`task ${untrained.id} ("not trained yet") has no published model version yet`);

    for (const bad of ['-1', 'abc', '1.5', '']) {
      expect(() => modelVersionOption(bad)).toThrow(`--version must be a whole number from 0 to 4294967295 (got "${bad}")`);
    }
  });
});
