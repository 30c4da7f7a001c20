// Adversarial: a member running the real SDK with its packed vector forged (a negative example
// count, a coordinate far beyond the clip) cannot get a model published; the next round works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModVector, VectorLayout } from '@consort/core';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

type Forgery = 'none' | 'negative-count' | 'huge-coordinate';

/** Writes a signed integer into element i of Z_(2^bits), as a forger editing its vector would. */
function setElement(v: ModVector, i: number, value: number): void {
  const x = BigInt.asUintN(v.bits, BigInt(value));
  if (v.bits === 32) { v.words[i] = Number(x); return; }
  v.words[2 * i] = Number(x & 0xffffffffn);
  v.words[2 * i + 1] = Number(x >> 32n);
}

describe('adversarial: forged inputs in the secure sum', () => {
  let forgery: Forgery = 'none';
  let fx: Fixture;
  let taskId = '';

  const forge = (v: ModVector, layout: VectorLayout) => {
    const at = (name: string) => layout.segments.find((s) => s.name === name)!.offset;
    // What the attack in the issue did: claim −1920 examples (learned from a round-close broadcast).
    if (forgery === 'negative-count') setElement(v, at('numExamples'), -1920);
    if (forgery === 'huge-coordinate') setElement(v, at('values'), 2 ** 40);
  };

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: sqliteDatabase().url, members: 5, customers: 1500,
      hooks: (i) => (i === 0 ? { misbehave: { packed: (v: ModVector, l: VectorLayout) => forge(v, l) } } : {}),
    });
    const task = await fx.admin.createTask(fx.federationId, churnTask({ aggregation: 'secure', minMembers: 5, stageTimeoutSeconds: 20 }));
    taskId = task.id;
    // Statistics round plus one honest training round: a model to protect.
    const first = await fx.admin.runRounds(taskId, 1, 20);
    expect(first.filter((r) => r.purpose === 'train').map((r) => r.state)).toEqual(['published']);
  });

  afterAll(async () => { await fx?.close(); });

  for (const f of ['negative-count', 'huge-coordinate'] as const) {
    it(`refuses a sum with a ${f} and keeps the previous model`, async () => {
      const before = await fx.coordinator.store.latestModelVersion(taskId);
      forgery = f;
      const reports = await fx.admin.runRounds(taskId, 1, 20);
      forgery = 'none';
      const train = reports.find((r) => r.purpose === 'train')!;
      expect(train.state).toBe('aborted');
      expect(train.reason).toMatch(/impossible .*forged update; nothing was published/);
      const after = await fx.coordinator.store.latestModelVersion(taskId);
      expect(after!.id).toBe(before!.id);
      expect(Array.from((await fx.coordinator.store.getModelVersion(after!.id)).weights).every(Number.isFinite)).toBe(true);
    });
  }

  it('publishes again once the forger behaves', async () => {
    const reports = await fx.admin.runRounds(taskId, 1, 20);
    expect(reports.find((r) => r.purpose === 'train')!.state).toBe('published');
  });
});
