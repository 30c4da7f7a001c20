// Unit tests of the one round lifecycle (open -> collect -> close) with fake collectors and an in-memory store.
import { describe, expect, it } from 'vitest';
import { ConsortError } from '@consort/core';
import type { ActiveRound } from '../coordinator/src/round/active-round.ts';
import { modelRoundPlan } from '../coordinator/src/round/model-round.ts';
import { RoundRunner } from '../coordinator/src/round/round-runner.ts';
import type { MemberConnections } from '../coordinator/src/members/connections.ts';
import { fakeFederation, fakeModelTask } from './support/fake-federation.ts';

async function statisticsRound(fx: Awaited<ReturnType<typeof fakeFederation>>, signal?: AbortSignal) {
  return fx.lifecycle.run(await modelRoundPlan(fx, await fx.fresh(), 'statistics'), { waitForMembersMs: 200, signal });
}

describe('round lifecycle', () => {
  it('publishes a statistics round: pipeline stored with the close, every state audited, members told', async () => {
    const fx = await fakeFederation({ task: fakeModelTask() });
    const { report } = await statisticsRound(fx);
    expect(report.state).toBe('published');
    expect(report.participants).toHaveLength(3);
    expect(report.metrics?.numExamples).toBe(120);
    const task = await fx.fresh();
    expect((task.pipeline as { numeric: { name: string }[] }).numeric.map((n) => n.name)).toEqual(['x1', 'x2']);
    const round = await fx.store.getRound(report.roundId);
    expect(round.state).toBe('published');
    expect(round.metrics?.purpose).toBe('statistics');
    expect(await fx.auditKinds(report.roundId)).toEqual(['round.created', 'round.masked_input', 'round.aggregated', 'round.published']);
    expect(await fx.auditKinds(task.id)).toContain('task.pipeline_fitted');
    const closed = fx.sent.filter((s) => s.event.roundClosed);
    expect(closed.map((s) => s.memberId).sort()).toEqual(['member-1', 'member-2', 'member-3']);
    expect(closed[0].event.roundClosed?.outcome).toBe('aggregated');
    expect(fx.active.all().next().done).toBe(true);
  });

  it('runs the secure collector\'s stages through move(): each one persisted and audited', async () => {
    const fx = await fakeFederation({ task: fakeModelTask({ aggregation: 'secure', minMembers: 3 }) });
    const { report } = await statisticsRound(fx);
    expect(report.state).toBe('published');
    expect(await fx.auditKinds(report.roundId)).toEqual([
      'round.created', 'round.advertise_keys', 'round.share_keys', 'round.masked_input', 'round.consistency_check', 'round.unmask', 'round.aggregated', 'round.published',
    ]);
    expect((await fx.fresh()).pipeline).not.toBeNull();
  });

  it('aborts before collecting when too few members are online', async () => {
    const fx = await fakeFederation({ task: fakeModelTask({ minMembers: 3 }), online: 2 });
    const { report } = await statisticsRound(fx);
    expect(report.state).toBe('aborted');
    expect(report.reason).toBe('too few members: 2 connected, the task needs at least 3');
    expect(fx.collectors.plain.calls).toBe(0);
    expect((await fx.store.getRound(report.roundId)).state).toBe('aborted');
    expect(await fx.auditKinds(report.roundId)).toEqual(['round.created', 'round.aborted']);
    expect(fx.sent.every((s) => s.event.roundClosed?.outcome === 'aborted')).toBe(true);
  });

  it('aborts when too few members survive the input stage, naming who was dropped', async () => {
    const fx = await fakeFederation({ task: fakeModelTask({ minMembers: 3 }) });
    fx.collectors.plain.behaviour = { silent: new Set(['member-2']) };
    const { report } = await statisticsRound(fx);
    expect(report.state).toBe('aborted');
    expect(report.reason).toMatch(/^too few members survived the input stage/);
    expect(report.dropped.map((d) => d.memberId)).toEqual(['member-2']);
    expect((await fx.store.getRound(report.roundId)).dropped[0]).toContain('member-2');
    expect((await fx.fresh()).pipeline).toBeNull();
  });

  it('aborts with the error\'s message when collection fails, and forgets the round', async () => {
    const fx = await fakeFederation({ task: fakeModelTask() });
    fx.collectors.plain.behaviour = { fail: new ConsortError('SECAGG_PROTOCOL_VIOLATION', 'members disagree on the key set') };
    const { report } = await statisticsRound(fx);
    expect(report).toMatchObject({ state: 'aborted', reason: 'members disagree on the key set' });
    expect(fx.active.all().next().done).toBe(true);
  });

  it('aborts the round in progress when the run is cancelled', async () => {
    const fx = await fakeFederation({ task: fakeModelTask() });
    const cancel = new AbortController();
    fx.collectors.plain.behaviour = { during: () => { cancel.abort(); return new Promise((r) => setTimeout(r, 50)); } };
    const { report } = await statisticsRound(fx, cancel.signal);
    expect(report).toMatchObject({ state: 'aborted', reason: 'cancelled by the operator; the run stopped' });
    await expect(statisticsRound(fx, cancel.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('keeps nothing when the close fails: no pipeline without a closed round', async () => {
    const fx = await fakeFederation({ task: fakeModelTask() });
    fx.store.failNextClose = true;
    const { report } = await statisticsRound(fx);
    expect(report.state).toBe('aborted');
    expect((await fx.fresh()).pipeline).toBeNull();
    expect(await fx.auditKinds(report.roundId)).not.toContain('round.aggregated');
  });

  it('stores a training round\'s model version and the evaluation of the model it started from in one close', async () => {
    const fx = await fakeFederation({ task: fakeModelTask() });
    await statisticsRound(fx);
    const v0 = (await fx.store.latestModelVersion(fx.task.id))!;
    const { report } = await fx.lifecycle.run(await modelRoundPlan(fx, await fx.fresh(), 'train'), { waitForMembersMs: 200 });
    expect(report).toMatchObject({ state: 'published', modelVersion: 1 });
    const v1 = await fx.store.getModelVersion(report.modelVersionId!);
    const w0 = (await fx.store.getModelVersion(v0.id)).weights;
    // FedAvg of members that each moved every weight by 0.01·(index+1), equal row counts: +0.02.
    expect(v1.weights[0]).toBeCloseTo(w0[0] + 0.02, 4);
    expect((await fx.store.getModelVersionMeta(v0.id)).metrics.evaluation).toMatchObject({ roundId: report.roundId, evalExamples: 120 });
    expect((await fx.store.getRound(report.roundId)).resultModelVersionId).toBe(v1.id);
    expect(await fx.auditKinds(v1.id)).toEqual(['model.stored']);
  });

  it('refuses a move the transition table does not allow, changing nothing', async () => {
    const fx = await fakeFederation({ task: fakeModelTask() });
    const v0 = (await fx.store.latestModelVersion(fx.task.id))!;
    const record = await fx.store.createRound({ taskId: fx.task.id, number: 1, state: 'open', deadlines: {}, baseModelVersionId: v0.id, participants: [] });
    const round: ActiveRound = { id: record.id, number: 1, state: 'open', purpose: 'train', train: { localEpochs: 1, batchSize: 1, learningRate: 1, proximalMu: 0 }, minMembers: 2, participants: new Set(), dropped: new Map() };
    await expect(fx.lifecycle.move(round, { type: 'publish' })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    expect((await fx.store.getRound(record.id)).state).toBe('open');
    expect(await fx.auditKinds(record.id)).toEqual([]);
  });

  it('recovery publishes a round closed with its result and aborts one caught mid-collection', async () => {
    const fx = await fakeFederation({ task: fakeModelTask() });
    const v0 = (await fx.store.latestModelVersion(fx.task.id))!;
    const closed = await fx.store.createRound({ taskId: fx.task.id, number: 1, state: 'masked_input', deadlines: {}, baseModelVersionId: v0.id, participants: [] });
    await fx.store.closeRound(closed.id, 'masked_input', { state: 'aggregated' }, { pipeline: { taskId: fx.task.id, pipeline: { kept: true } } });
    const midway = await fx.store.createRound({ taskId: fx.task.id, number: 2, state: 'share_keys', deadlines: {}, baseModelVersionId: v0.id, participants: [] });
    const connections = { on: () => connections, online: () => [], send: () => false } as unknown as MemberConnections<never>;
    const runner = new RoundRunner({ store: fx.store, connections, logger: fx.logger });
    expect(await runner.recoverInterruptedRounds()).toBe(2);
    expect((await fx.store.getRound(closed.id)).state).toBe('published');
    expect((await fx.fresh()).pipeline).toEqual({ kept: true });
    expect(await fx.store.getRound(midway.id)).toMatchObject({ state: 'aborted', reason: expect.stringMatching(/^coordinator restarted mid-round/) });
  });
});
