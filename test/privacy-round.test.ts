// Differential privacy end to end over gRPC: ε reported per round and stored with each model
// version and in the audit log, a run whose plan exceeds the budget refused before any round,
// and training stopped when the next round could pass the budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as grpc from '@grpc/grpc-js';
import type { LocalInput } from '@consort/client-sdk';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { formatRoundLine, renderRoundsReport } from '@consort/coordinator';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

describe('differential privacy end to end', () => {
  let fx: Fixture;
  const db = sqliteDatabase();
  const sent: { purpose: string; numExamples: number; trainLossSum: number }[] = [];

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: db.url, members: 4, customers: 4000, seed: 31,
      hooks: () => ({
        logger: { info: () => {}, warn: (m: string) => console.log('AGENT', m) },
        // Records what each member sends (the agent option this replaced no longer exists).
        misbehave: {
          input: (input: LocalInput, open: RoundOpen__Output) => {
            sent.push({ purpose: open.purpose, numExamples: input.numExamples, trainLossSum: input.trainLossSum });
            return input;
          },
        },
      }),
    });
  });
  afterAll(async () => { await fx?.close(); });

  it('customer level (DP-SGD, secure): ε per round grows, stays within budget, is stored with each model version and audited', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'dp-customer', aggregation: 'secure', minMembers: 3, seed: 3, earlyStopping: false,
      train: { localEpochs: 1, batchSize: 32, learningRate: 0.2 },
      privacy: { level: 'customer', epsilon: 15, delta: 1e-5, noiseMultiplier: 1.5, clipNorm: 1, minRows: 100, releaseNoiseMultiplier: 2 },
    }));
    const reports = await fx.admin.runRounds(task.id, 2, 20);
    expect(reports.map((r) => `${r.purpose}:${r.state}${r.reason ? ` ${r.reason}` : ''}`)).toEqual(['statistics:published', 'train:published', 'train:published', 'evaluate:published']);
    const eps = reports.map((r) => r.metrics?.privacyEpsilon);
    expect(eps[0]).toBe(0); // the statistics round is not charged (docs/privacy.md says what it releases)
    expect(eps[1]).toBeGreaterThan(0);
    expect(eps[2]).toBeGreaterThan(eps[1]!);
    expect(eps[3]).toBeGreaterThan(eps[2]!);
    expect(eps[3]).toBeLessThanOrEqual(15);
    expect(reports[3].metrics!.privacyDelta).toBe(1e-5);
    expect(reports[3].metrics!.privacyBudgetEpsilon).toBe(15);
    // Members sent weight 1 and no training loss: row counts and losses are not released.
    const trained = sent.filter((x) => x.purpose === 'train');
    expect(trained.length).toBeGreaterThanOrEqual(6);
    for (const s of trained) expect(s).toMatchObject({ numExamples: 1, trainLossSum: 0 });
    expect(reports[1].metrics!.trainLoss).toBeUndefined(); // not released, so not shown as 0
    const mv = await fx.coordinator.store.getModelVersion(reports[2].modelVersionId);
    expect((mv.metrics as { privacy?: { epsilon: number } }).privacy?.epsilon).toBeCloseTo(eps[2]!, 10);
    const charged = await fx.coordinator.store.listAuditEvents({ subjectId: task.id, kind: 'privacy.charged' });
    expect(charged).toHaveLength(3);
    // Printed per round, and shown in the rounds page.
    expect(formatRoundLine(reports[2])).toContain(`privacy ε ${eps[2]!.toFixed(3)} of 15 (δ 0.00001)`);
    const html = await renderRoundsReport(fx.coordinator.store, task.id);
    expect(html).toContain('<h2>Differential privacy</h2>');
    expect(html).toContain(`spent <b>ε = ${eps[3]!.toFixed(3)}</b> of the budget ε = 15`);
  });

  it('noisy statistics (privacy.statistics): the statistics round is charged in the run\'s ledger, the pipeline is fitted from clipped noisy sums, training runs on it', async () => {
    const bounds: Record<string, [number, number]> = {
      tenure_days: [0, 3000], recency_days: [0, 400], frequency: [0, 120], monetary: [0, 2500], avg_order_value: [0, 250], inter_purchase_days: [0, 160],
      email_opens: [0, 24], email_clicks: [0, 10], web_visits: [0, 60], support_tickets: [0, 4], ticket_sentiment: [-1, 1], nps: [0, 10], referrals: [0, 3],
    };
    const common = {
      aggregation: 'secure' as const, minMembers: 3, seed: 3, earlyStopping: false as const, train: { localEpochs: 1, batchSize: 32, learningRate: 0.2 },
    };
    // σ = 1 with sensitivity √42 (13 columns × count, Σx/B, Σx²/B², plus 3 categorical): on these
    // 3,200 training rows the noisy variance of a column is within about 15 % (one std of noise).
    const statistics = { noiseMultiplier: 1, bounds };
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'dp-statistics', ...common,
      privacy: { level: 'customer', epsilon: 30, delta: 1e-5, noiseMultiplier: 1.5, clipNorm: 1, minRows: 100, releaseNoiseMultiplier: 2, statistics },
    }));
    const reports = await fx.admin.runRounds(task.id, 2, 20);
    expect(reports.map((r) => `${r.purpose}:${r.state}${r.reason ? ` ${r.reason}` : ''}`)).toEqual(['statistics:published', 'train:published', 'train:published', 'evaluate:published']);
    // The statistics round is charged: one Gaussian release at rate 1 with σ = 1 (no member dropped).
    expect(reports[0].metrics!.privacyEpsilon).toBeGreaterThan(0);
    const charged = await fx.coordinator.store.listAuditEvents({ subjectId: task.id, kind: 'privacy.charged' });
    const first = (charged[0].detail as { charges: { kind: string; noiseMultiplier: number; samplingRate: number }[] }).charges;
    expect(first).toEqual([expect.objectContaining({ kind: 'statistics', noiseMultiplier: 1, samplingRate: 1, unit: 'customer' })]);
    expect(reports[1].metrics!.privacyEpsilon).toBeGreaterThan(reports[0].metrics!.privacyEpsilon!);
    // Nor a row count in the noisy statistics round (the last four statistics inputs are this task's).
    expect(sent.filter((x) => x.purpose === 'statistics').slice(-4).map((x) => x.numExamples)).toEqual([1, 1, 1, 1]);
    // The same split without noisy statistics (exact sums, values unclipped): the noisy fit stays close.
    const exactTask = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'dp-statistics-exact', ...common, privacy: { level: 'customer', epsilon: 15, delta: 1e-5, noiseMultiplier: 1.5, clipNorm: 1, minRows: 100, releaseNoiseMultiplier: 2 },
    }));
    await fx.admin.runRounds(exactTask.id, 1, 20);
    type Pipe = { numeric: { name: string; mean: number; std: number }[] };
    const noisy = (await fx.coordinator.store.getTask(task.id)).pipeline as Pipe;
    const exact = (await fx.coordinator.store.getTask(exactTask.id)).pipeline as Pipe;
    for (const [j, c] of noisy.numeric.entries()) {
      expect(Number.isFinite(c.mean) && c.std > 0, c.name).toBe(true);
      // Clipping at about the 99th percentile and noise σΔB/n move the mean by well under half a std.
      expect(Math.abs(c.mean - exact.numeric[j].mean) / exact.numeric[j].std, c.name).toBeLessThan(0.5);
      expect(c.std / exact.numeric[j].std, c.name).toBeGreaterThan(0.5);
      expect(c.std / exact.numeric[j].std, c.name).toBeLessThan(1.5);
    }
    // Training on the noisy pipeline runs and publishes finite models (its AUC under DP-SGD here is
    // too noisy to assert on; the utility comparison is in docs/privacy.md).
    const mv = await fx.coordinator.store.getModelVersion(reports[2].modelVersionId);
    expect(mv.weights.every((w) => Number.isFinite(w))).toBe(true);
    expect(reports[3].metrics!.evalExamples).toBeGreaterThan(0);
  });

  it('refuses a run whose planned rounds exceed the budget, before any round', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'dp-too-small', aggregation: 'secure', minMembers: 3, seed: 4, maxRounds: 50,
      privacy: { level: 'member', epsilon: 1, noiseMultiplier: 1, clipNorm: 0.5 },
    }));
    const err = await fx.admin.runRounds(task.id, 0, 20).then(() => undefined, (e: grpc.ServiceError) => e);
    expect(err?.details).toMatch(/^PRIVACY_BUDGET_EXHAUSTED: task "dp-too-small" would spend ε=.* in 50 training rounds, beyond its budget ε=1; not even one round fits/);
    expect(await fx.coordinator.store.listRounds(task.id)).toHaveLength(0);
  });

  it('member level (DP-FedAvg, secure): stops training when the next round could pass the budget', async () => {
    // σ = 3 at q = 1: three rounds with every member surviving cost ε = 2.55, within ε = 2.6, so
    // the run starts; but the third round's worst case (only minMembers = 3 of 4 survive, noise
    // σ·√(3/4)) would bring it to 2.70, so that round is not opened and training stops.
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'dp-member', aggregation: 'secure', minMembers: 3, seed: 6, earlyStopping: false,
      privacy: { level: 'member', epsilon: 2.6, noiseMultiplier: 3, clipNorm: 0.5 },
    }));
    const reports = await fx.admin.runRounds(task.id, 3, 20);
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['statistics:published', 'train:published', 'train:published', 'train:aborted', 'evaluate:published']);
    expect(reports[3].reason).toMatch(/^task "dp-member" has spent ε=.* of its budget ε=2.6 .*could bring it to ε=2\.69/);
    expect(reports[3].participants.length).toBe(4);
    for (const r of reports) if (r.metrics?.privacyEpsilon !== undefined) expect(r.metrics.privacyEpsilon).toBeLessThanOrEqual(2.6);
    expect(reports[2].metrics!.privacyMemberEpsilon).toBeCloseTo(reports[2].metrics!.privacyEpsilon!, 10);
    const stopped = await fx.coordinator.store.listAuditEvents({ subjectId: task.id, kind: 'training.privacy_budget_exhausted' });
    expect(stopped).toHaveLength(1);
  });

  it('member level with adaptive clipping: the bound moves towards the target quantile, round by round', async () => {
    // Every update is far longer than 0.001, so the noisy count of unclipped updates is near 0 and
    // the bound grows by about e^(0.2 × 0.5) each round; σ = 0.3 is split between update and count.
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'dp-adaptive', aggregation: 'secure', minMembers: 3, seed: 8, earlyStopping: false,
      privacy: { level: 'member', epsilon: 1000, noiseMultiplier: 0.3, clipNorm: 0.001, adaptiveClipping: { countNoiseMultiplier: 0.6, targetQuantile: 0.5, learningRate: 0.2 } },
    }));
    const reports = await fx.admin.runRounds(task.id, 2, 20);
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['statistics:published', 'train:published', 'train:published', 'evaluate:published']);
    const clips = await Promise.all([reports[1], reports[2]].map(async (r) => {
      const mv = await fx.coordinator.store.getModelVersion(r.modelVersionId);
      return (mv.metrics as { privacy: { clipNorm: number; clipNormUsed: number } }).privacy;
    }));
    expect(clips[0].clipNormUsed).toBe(0.001);
    expect(clips[0].clipNorm).toBeGreaterThan(0.001);
    expect(clips[1].clipNormUsed).toBe(clips[0].clipNorm);
    expect(clips[1].clipNorm).toBeGreaterThan(clips[0].clipNorm);
    expect(clips[1].clipNorm).toBeLessThan(0.001 * Math.exp(2 * 0.2 * 0.5) * 1.0001);
  });
});
