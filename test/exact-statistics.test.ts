// End to end over gRPC with secure aggregation: exact statistics on money-sized and tiny columns,
// zero-variance warnings, and a dollar-scale regression target reaching pooled least squares.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, startCoordinator, type Coordinator } from '@consort/coordinator';
import { CsvLocalWork, MemberAgent, enrollMember } from '@consort/client-sdk';
import { SeededRandom, encodeRow, encodeLabel, pipelineInputDim, type FeaturePipeline, type TaskDefinitionInput } from '@consort/core';
import { sqliteDatabase } from './support/databases.ts';

const NUMERIC = ['balance', 'ratio', 'huge', 'flag', 'sparse', 'x'];
const SIZES = [300, 800, 150, 500, 1250];

/** One member's CSV: a dollar target spend = 3000·x + 0.02·balance + 10^9·ratio + noise. */
function memberCsv(rows: number, member: number, rng: SeededRandom): string {
  const lines = ['id,balance,ratio,huge,flag,sparse,x,plan,spend'];
  for (let i = 0; i < rows; i++) {
    const balance = rng.normal(40_000 + 15_000 * member, 60_000);
    const ratio = 1e-6 * (1 + rng.next());
    const x = rng.normal();
    const plan = rng.next() < 0.4 ? 'basic' : 'pro';
    const spend = 50_000 + 3000 * x + 0.02 * balance + 1e9 * ratio + (plan === 'pro' ? 2000 : 0) + rng.normal(0, 1500);
    const sparse = rng.next() < 0.7 ? '' : rng.normal(10, 3).toFixed(3);
    lines.push([`m${member}-${i}`, balance.toFixed(2), ratio.toPrecision(12), ((rng.next() * 2 - 1) * 1e12).toFixed(0), '7', sparse, x.toFixed(6), plan, spend.toFixed(2)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Pooled reference statistics over rows (two-pass, float64). */
function pooledMoments(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) };
}

/** Ordinary least squares (tiny ridge for the all-zero constant column) on encoded rows. */
function leastSquares(x: number[][], y: number[]): number[] {
  const d = x[0].length + 1;
  const a = Array.from({ length: d }, () => new Float64Array(d + 1));
  for (let r = 0; r < x.length; r++) {
    const row = [...x[r], 1];
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) a[i][j] += row[i] * row[j];
      a[i][d] += row[i] * y[r];
    }
  }
  for (let i = 0; i < d; i++) a[i][i] += 1e-6;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= d; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row, i) => row[d] / row[i]);
}

describe('exact statistics and dollar-scale regression over gRPC with secure aggregation', () => {
  let coordinator: Coordinator;
  let admin: AdminClient;
  const agents: MemberAgent[] = [];
  const works: CsvLocalWork[] = [];
  let securePipeline: FeaturePipeline | undefined;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consort-stats-'));
    const rng = new SeededRandom(2024);
    const files = SIZES.map((rows, m) => {
      const file = join(dir, `member-${m}.csv`);
      writeFileSync(file, memberCsv(rows, m, rng));
      return file;
    });
    coordinator = await startCoordinator({ dataDir: dir, databaseUrl: sqliteDatabase().url, port: 0, logger: pino({ level: 'silent' }), adminToken: 'stats-token' });
    admin = new AdminClient(coordinator.adminAddress, coordinator.adminToken);
    const federation = await admin.createFederation('stats e2e');
    const tokens = await admin.createEnrollmentTokens(federation.id, files.length);
    for (let i = 0; i < files.length; i++) {
      const identity = await enrollMember(coordinator.address, tokens[i], `member ${i}`);
      // allowPlain: one test runs the plain debug path on purpose.
      // The default local work, held here too: the test reads the split each member made.
      const work = new CsvLocalWork({ dataFile: files[i] });
      works.push(work);
      const agent = new MemberAgent({ coordinator: coordinator.address, identity, localWork: work, allowPlain: true });
      await agent.start();
      agents.push(agent);
    }
    (globalThis as { federationId?: string }).federationId = federation.id;
  });

  afterAll(async () => {
    for (const a of agents) a.stop();
    admin?.close();
    await coordinator?.close();
  });

  it('fits exact means/stds, names the constant column, and trains spend to pooled R²', async () => {
    const input: TaskDefinitionInput = {
      name: 'spend', label: 'spend', numeric: NUMERIC, categorical: { plan: ['basic', 'pro'] },
      model: { kind: 'logistic', task: 'regression' }, stageTimeoutSeconds: 30,
    };
    const task = await admin.createTask((globalThis as { federationId?: string }).federationId!, input);
    const reports = await admin.runRounds(task.id, 8, 30);
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['statistics:published', ...Array(8).fill('train:published'), 'evaluate:published']);

    const stored = await coordinator.store.getTask(task.id);
    const def = stored.definition;
    if (def.kind !== 'model') throw new Error('a model task was stored');
    const pipeline = stored.pipeline as unknown as FeaturePipeline;
    securePipeline = pipeline;
    // Pooled rows: the same train/test split each agent made for the task.
    const schema = { numeric: NUMERIC, categorical: ['plan'], label: 'spend' };
    const splits = await Promise.all(works.map((w) => w.dataset(task.id, schema, def.testFraction, def.seed)));
    const train = splits.flatMap((s) => s.train);
    const test = splits.flatMap((s) => s.test);
    for (const col of pipeline.numeric) {
      if (col.name === 'flag') {
        expect(col).toEqual({ name: 'flag', mean: 7, std: 1 });
        continue;
      }
      const ref = pooledMoments(train.map((r) => r[col.name]).filter((v) => v !== '').map(Number));
      expect(Math.abs(col.mean - ref.mean) / Math.abs(ref.mean), `${col.name} mean`).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(col.std - ref.std) / ref.std, `${col.name} std`).toBeLessThanOrEqual(1e-9);
    }
    const target = pooledMoments(train.map((r) => Number(r.spend)));
    expect(Math.abs(pipeline.target!.mean - target.mean) / target.mean).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(pipeline.target!.std - target.std) / target.std).toBeLessThanOrEqual(1e-9);

    // The statistics round names the constant column and reports no training loss or AUC.
    const rounds = await coordinator.store.listRounds(task.id);
    const statsMetrics = rounds[0].metrics as { warnings?: { code: string; column?: string }[]; trainLoss: unknown; evalAuc: unknown; clipped: number };
    expect(statsMetrics.warnings?.map((w) => `${w.code}:${w.column}`)).toEqual(['ZERO_VARIANCE_COLUMN:flag']);
    expect(statsMetrics.trainLoss).toBeNull();
    expect(statsMetrics.evalAuc).toBeNull();
    expect(statsMetrics.clipped).toBe(0);

    // Pooled least squares on the same encoded features, scored on the pooled held-out rows.
    const enc = (rows: Record<string, string>[]) => rows.map((r, i) => Array.from(encodeRow(pipeline, r, { file: 'pooled', row: i + 2 })));
    const y = (rows: Record<string, string>[]) => rows.map((r, i) => encodeLabel(pipeline, r, { file: 'pooled', row: i + 2 }));
    const beta = leastSquares(enc(train), y(train));
    expect(beta).toHaveLength(pipelineInputDim(pipeline) + 1);
    const yt = y(test);
    const pred = enc(test).map((row) => row.reduce((s, v, j) => s + v * beta[j], beta[row.length]));
    const meanT = yt.reduce((a, b) => a + b, 0) / yt.length;
    const pooledR2 = 1 - yt.reduce((s, v, i) => s + (v - pred[i]) ** 2, 0) / yt.reduce((s, v) => s + (v - meanT) ** 2, 0);
    expect(pooledR2).toBeGreaterThan(0.8);

    const final = reports[reports.length - 1];
    const evaluation = (await coordinator.store.getModelVersionMeta(final.modelVersionId)).metrics.evaluation as {
      evalR2: number; evalRmse: number; evalAuc: number | null; evalExamples: number;
    };
    expect(evaluation.evalExamples).toBe(test.length);
    expect(evaluation.evalAuc).toBeNull();
    expect(Math.abs(evaluation.evalR2 - pooledR2)).toBeLessThanOrEqual(0.01);
    // RMSE in dollars: the noise is 1500, so a pooled-quality model is near it, not near 1.
    expect(evaluation.evalRmse).toBeGreaterThan(1000);
    expect(evaluation.evalRmse).toBeLessThan(2500);
    const model = await coordinator.store.getModelVersionMeta(final.modelVersionId);
    expect((model.metrics as { clipped: number }).clipped).toBe(0);
  });

  it('plain aggregation (debug opt-out) fits the very same pipeline from the same integer limbs', async () => {
    const input: TaskDefinitionInput = {
      name: 'spend-plain', label: 'spend', numeric: NUMERIC, categorical: { plan: ['basic', 'pro'] },
      model: { kind: 'logistic', task: 'regression' }, stageTimeoutSeconds: 30, aggregation: 'plain',
    };
    const task = await admin.createTask((globalThis as { federationId?: string }).federationId!, input);
    const reports = await admin.runRounds(task.id, 1, 30);
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['statistics:published', 'train:published', 'evaluate:published']);
    expect(securePipeline).toBeDefined();
    expect((await coordinator.store.getTask(task.id)).pipeline).toEqual(securePipeline);
    const evaluation = (await coordinator.store.getModelVersionMeta(reports[2].modelVersionId)).metrics.evaluation as { evalR2: number; evalAuc: number | null };
    expect(evaluation.evalAuc).toBeNull();
    expect(evaluation.evalR2).toBeGreaterThan(0.5);
  });
});
