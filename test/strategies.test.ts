// Server strategies in real rounds: FedAvgM state saved as its own record with each model, client sampling,
// a local learning-rate schedule, and early stopping on the federated held-out loss (with the best
// model restored as the final one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

describe('strategies end to end', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({ databaseUrl: sqliteDatabase().url, members: 5, customers: 1500, seed: 4 });
  });
  afterAll(async () => { await fx?.close(); });

  it('samples members, decays the local learning rate and keeps server momentum with the model', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'fedavgm', minMembers: 3, sampleFraction: 0.6,
      strategy: { name: 'fedavgm', momentum: 0.5, lrSchedule: { kind: 'exponential', decay: 0.5 } },
    }));
    const reports = await fx.admin.runRounds(task.id, 3, 20);
    const train = reports.filter((r) => r.purpose === 'train');
    expect(train.map((r) => r.state)).toEqual(['published', 'published', 'published']);
    // 60 % of 5 members = 3 invited per training round; statistics and evaluation ask everyone.
    expect(train.map((r) => r.participants.length)).toEqual([3, 3, 3]);
    expect(reports[0].participants).toHaveLength(5);
    const versions = await fx.coordinator.store.listModelVersions(task.id);
    const metrics = versions.slice(1).map((v) => v.metrics as { strategy: string; learningRate: number });
    expect(metrics.map((m) => m.strategy)).toEqual(['fedavgm', 'fedavgm', 'fedavgm']);
    const rates = metrics.map((m) => m.learningRate);
    expect(rates[1] / rates[0]).toBeCloseTo(0.5, 6);
    expect(rates[2] / rates[1]).toBeCloseTo(0.5, 6);
    // The momentum is its own record, saved with the newest trained version (not in its metrics).
    const saved = (await fx.coordinator.store.latestStrategyState(task.id))!;
    expect(saved.modelVersionId).toBe(versions[3].id);
    expect(versions[3].metrics).not.toHaveProperty('strategyState');
    const vector = Object.values(saved.state).find((v) => Array.isArray(v)) as number[];
    expect(vector.length).toBe(versions[0].parameterCount);
    expect(vector.some((x) => x !== 0)).toBe(true);
  });

  it('stops early when the held-out loss stops improving', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'early', minMembers: 3, earlyStopping: { patience: 1, minDelta: 10 },
    }));
    const reports = await fx.admin.runRounds(task.id, 6, 20);
    // Statistics, two training rounds (the second sees no improvement by minDelta), final evaluation.
    expect(reports.map((r) => r.purpose)).toEqual(['statistics', 'train', 'train', 'evaluate']);
    const events = await fx.coordinator.store.listAuditEvents({ kind: 'training.early_stopped' });
    expect(events.some((e) => e.subjectId === task.id)).toBe(true);
    // The best model (the initial version, round 1's starting point) is stored again as the final
    // one, and the closing evaluation measures it.
    const versions = await fx.coordinator.store.listModelVersions(task.id);
    const final = versions.at(-1)!;
    expect(versions).toHaveLength(4);
    expect(final.metrics).toMatchObject({ restoredFrom: { version: versions[0].version, round: reports[1].roundNumber } });
    expect(reports.at(-1)!.modelVersionId).toBe(final.id);
    const [initial, restored] = await Promise.all([fx.coordinator.store.getModelVersion(versions[0].id), fx.coordinator.store.getModelVersion(final.id)]);
    expect(Array.from(restored.weights)).toEqual(Array.from(initial.weights));
  });

  it('trains until early stopping when no round count is given', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'until-stopped', minMembers: 3, earlyStopping: { patience: 2, minDelta: 10 }, maxRounds: 50 }));
    const reports = await fx.admin.runRounds(task.id, 0, 20);
    expect(reports.map((r) => r.purpose)).toEqual(['statistics', 'train', 'train', 'train', 'evaluate']);
  });

  it('refuses an unknown strategy with the field named', async () => {
    await expect(fx.admin.createTask(fx.federationId, churnTask({ name: 'bad', strategy: { name: 'fedmagic' as never } })))
      .rejects.toMatchObject({ details: expect.stringMatching(/^INVALID_ARGUMENT: task definition field "strategy"/) });
  });
});
