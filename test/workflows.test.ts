// Unit tests of each workflow (model training, segmentation, evaluate-published) over the lifecycle with fake collectors and the in-memory store.
import { describe, expect, it } from 'vitest';
import type { RoundReport } from '../coordinator/src/round/round-types.ts';
import { workflowFor, workflowKinds } from '../coordinator/src/workflows/registry.ts';
import type { WorkflowArgs } from '../coordinator/src/workflows/workflow.ts';
import { fakeFederation, fakeModelTask, fakeSegmentationTask } from './support/fake-federation.ts';

type Fx = Awaited<ReturnType<typeof fakeFederation>>;

async function run(fx: Fx, kind: string, args: WorkflowArgs = {}): Promise<RoundReport[]> {
  const reports: RoundReport[] = [];
  await workflowFor(kind).run({
    task: await fx.fresh(), store: fx.store, logger: fx.logger, lifecycle: fx.lifecycle, strategies: fx.strategies,
    options: { waitForMembersMs: 200 }, args, report: (r) => reports.push(r),
  });
  return reports;
}

describe('workflow registry', () => {
  it('knows model training, segmentation, evaluate and audit, and names them when asked for another', () => {
    expect(workflowKinds()).toEqual(['model', 'segmentation', 'evaluate', 'audit']);
    expect(() => workflowFor('drift')).toThrow('no workflow "drift"; known workflows: model, segmentation, evaluate, audit');
  });
});

describe('model training workflow', () => {
  it('fits statistics, trains up to the cap, then evaluates the final model', async () => {
    const fx = await fakeFederation({ task: fakeModelTask({ maxRounds: 2 }) });
    const reports = await run(fx, 'model');
    expect(reports.map((r) => [r.purpose, r.state])).toEqual([['statistics', 'published'], ['train', 'published'], ['train', 'published'], ['evaluate', 'published']]);
    expect((await fx.store.listModelVersions(fx.task.id)).map((v) => v.version)).toEqual([0, 1, 2]);
    const final = reports[3];
    expect(final.modelVersion).toBe(2);
    expect((await fx.store.getModelVersionMeta(final.modelVersionId!)).metrics.evaluation).toMatchObject({ roundId: final.roundId });
  });

  it('honours the operator\'s round count and stops after an aborted statistics round', async () => {
    const fx = await fakeFederation({ task: fakeModelTask({ maxRounds: 5 }) });
    expect((await run(fx, 'model', { rounds: 1 })).map((r) => r.purpose)).toEqual(['statistics', 'train', 'evaluate']);
    const lonely = await fakeFederation({ task: fakeModelTask({ minMembers: 3 }), online: 1 });
    const reports = await run(lonely, 'model');
    expect(reports.map((r) => [r.purpose, r.state])).toEqual([['statistics', 'aborted']]);
  });
});

describe('evaluate-published workflow (drift check)', () => {
  it('runs one evaluation round of the given version on current data, stores it there, and publishes no version', async () => {
    const fx = await fakeFederation({ task: fakeModelTask({ maxRounds: 2 }) });
    await run(fx, 'model');
    const before = await fx.store.listModelVersions(fx.task.id);
    const reports = await run(fx, 'evaluate', { version: 1 });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ purpose: 'evaluate', state: 'published', modelVersion: 1 });
    expect(reports[0].metrics?.evalExamples).toBe(120);
    const after = await fx.store.listModelVersions(fx.task.id);
    expect(after.map((v) => v.version)).toEqual(before.map((v) => v.version));
    expect(after[1].metrics.evaluation).toMatchObject({ roundId: reports[0].roundId });
    // Without a version it measures the latest.
    expect((await run(fx, 'evaluate'))[0].modelVersion).toBe(2);
  });

  it('refuses an unknown version, and a task whose preprocessing is not fitted yet', async () => {
    const fx = await fakeFederation({ task: fakeModelTask({ maxRounds: 1 }) });
    await expect(run(fx, 'evaluate')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await run(fx, 'model');
    await expect(run(fx, 'evaluate', { version: 7 })).rejects.toThrow('has no model version 7; published versions: 1');
    expect(fx.collectors.plain.calls).toBe(3);
  });
});

describe('segmentation workflow', () => {
  it('runs statistics and every secure-sum step through the lifecycle and stores one segmentation model', async () => {
    const fx = await fakeFederation({ task: fakeSegmentationTask(), rows: 60 });
    const reports = await run(fx, 'segmentation');
    expect(reports.every((r) => r.state === 'published')).toBe(true);
    expect(reports[0].purpose).toBe('statistics');
    expect(new Set(reports.slice(1).map((r) => r.purpose))).toEqual(new Set(['segmentation-histogram', 'segmentation-count-gate', 'segmentation-lloyd', 'segmentation-profile']));
    const versions = await fx.store.listModelVersions(fx.task.id);
    // A segmentation task has no placeholder version 0: its result is its first version.
    expect(versions.map((v) => v.version)).toEqual([1]);
    expect(reports.at(-1)?.modelVersion).toBe(1);
    expect(versions[0].metrics).toMatchObject({ kind: 'segmentation', k: 2, dim: 2 });
    // Two well-separated groups of customers: both segments found, every customer in one of them.
    const sizes = (versions[0].metrics.profiles as { segments: { size: number | null }[] }).segments.map((s) => s.size ?? 0);
    expect(sizes).toHaveLength(2);
    expect(Math.min(...sizes)).toBeGreaterThan(40);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(180);
  });
});
