// End to end over gRPC on 127.0.0.1, once per database: enrollment, the statistics round,
// several FedAvg rounds, and the stored model equal to an independent weighted mean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';
import type { LocalInput } from '@consort/client-sdk';

describe.each(DATABASES)('federated rounds end to end on $name', ({ create }) => {
  let db: TestDatabase;
  let fx: Fixture;
  // What each member sent, per round: captured on the member side, where it is allowed to be seen.
  const sent = new Map<string, { memberIndex: number; weights: Float32Array; n: number }[]>();

  beforeAll(async () => {
    db = await create();
    fx = await startFixture({
      databaseUrl: db.url, members: 5, customers: 2500,
      hooks: (i) => ({
        tamperInput: (input: LocalInput, open) => {
          if (open.purpose === 'train') {
            const list = sent.get(open.roundId) ?? [];
            list.push({ memberIndex: i, weights: new Float32Array(input.values as Float32Array), n: input.numExamples });
            sent.set(open.roundId, list);
          }
          return input;
        },
      }),
    });
  });

  afterAll(async () => {
    await fx?.close();
    await db?.drop();
  });

  it('fits the preprocessing, runs three FedAvg rounds and stores versions 1..3', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ minMembers: 5 }));
    const reports = await fx.admin.runRounds(task.id, 3, 20);
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual([
      'statistics:published', 'train:published', 'train:published', 'train:published', 'evaluate:published',
    ]);
    const stored = await fx.coordinator.store.getTask(task.id);
    expect(stored.pipeline).toBeTruthy();
    const versions = await fx.coordinator.store.listModelVersions(task.id);
    expect(versions.map((v) => v.version)).toEqual([0, 1, 2, 3]);

    // Every training round's model is the example-weighted mean of what the members sent.
    for (const r of reports.filter((x) => x.purpose === 'train')) {
      const inputs = sent.get(r.roundId)!;
      expect(inputs).toHaveLength(5);
      const total = inputs.reduce((s, m) => s + m.n, 0);
      const model = await fx.coordinator.store.getModelVersion(r.modelVersionId);
      let maxErr = 0;
      for (let j = 0; j < model.weights.length; j++) {
        let expected = 0;
        for (const m of inputs) expected += (m.n / total) * m.weights[j];
        maxErr = Math.max(maxErr, Math.abs(expected - model.weights[j]));
      }
      expect(maxErr).toBeLessThan(1e-6);
      expect(r.metrics!.numExamples).toBe(total);
    }
    // The federated model is a real churn model on held-out rows.
    const final = reports[reports.length - 1];
    expect(final.metrics!.evalAuc).toBeGreaterThan(0.7);
    expect(final.metrics!.evalExamples).toBeGreaterThan(300);
    // Training improved on the initial model.
    const firstEval = reports[1].metrics!;
    expect(final.metrics!.evalLoss).toBeLessThan(firstEval.evalLoss!);
  });

  it('keeps an audit trail of the round lifecycle', async () => {
    const events = await fx.coordinator.store.listAuditEvents({});
    const kinds = new Set(events.map((e) => e.kind));
    for (const k of ['member.enrolled', 'task.created', 'round.created', 'round.aggregated', 'round.published', 'model.stored', 'task.pipeline_fitted']) {
      expect(kinds.has(k), k).toBe(true);
    }
  });
});
