// Federated segmentation end to end over gRPC: every step is a real secure-sum round; the stored centroids match centralized k-means++ and survive a member vanishing mid-Lloyd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmeansBestOf, kmeansCost, segmentationFeatures, standardizeRows, type FeaturePipeline, type TaskDefinitionInput } from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
// The member-side reader is internal to the agent; the test reuses it to pool the same rows.
import { escapeHtml, renderRoundsReport } from '@consort/coordinator';
import { exportModelFile, loadSegmentModel, readSegmentationData } from '@consort/client-sdk';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteDatabase } from './support/databases.ts';
import { startFixture, type Fixture } from './support/federation-fixture.ts';

const FEATURES = ['recency_days', 'frequency', 'monetary', 'tenure_days', 'avg_order_value'];
const LABELS = ['churned', 'next_period_spend'];

function segmentationTask(name: string): TaskDefinitionInput {
  return {
    name, kind: 'segmentation', label: '', minMembers: 4, stageTimeoutSeconds: 15, seed: 3,
    segmentation: {
      features: FEATURES, k: 4, restarts: 5, minClusterCount: 20, profileLabels: LABELS,
      roles: { recency: 'recency_days', frequency: 'frequency', monetary: 'monetary', tenure: 'tenure_days' },
    },
  };
}

describe('federated segmentation end to end', () => {
  let fx: Fixture;
  let vanish = false;
  let lloydOpens = 0;
  const db = sqliteDatabase();

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: db.url, members: 5, customers: 2500, seed: 17,
      hooks: (i) => ({
        misbehave: {
          takesPart: (open: RoundOpen__Output) => {
            if (!vanish || i !== 4 || open.purpose !== 'segmentation-lloyd') return true;
            // The two candidate-refinement rounds are Lloyd rounds too: vanish in the main Lloyd phase.
            if (++lloydOpens < 4) return true;
            setImmediate(() => fx.agents[i].stop());
            return false;
          },
        },
      }),
    });
  });
  afterAll(async () => { await fx?.close(); });

  async function run(name: string): Promise<{ taskId: string; reports: RoundReport__Output[]; weights: Float32Array; metrics: Record<string, unknown>; pipeline: FeaturePipeline }> {
    const task = await fx.admin.createTask(fx.federationId, segmentationTask(name));
    const reports = await fx.admin.runRounds(task.id, 1, 20);
    const last = reports[reports.length - 1];
    expect(last.state, last.reason).toBe('published');
    const mv = await fx.coordinator.store.getModelVersion(last.modelVersionId);
    const stored = await fx.coordinator.store.getTask(task.id);
    return { taskId: task.id, reports, weights: mv.weights, metrics: mv.metrics, pipeline: stored.pipeline as FeaturePipeline };
  }

  async function pooledPoints(pipeline: FeaturePipeline, files: string[]): Promise<Float64Array[]> {
    const byName = new Map(pipeline.numeric.map((n) => [n.name, n]));
    const features = segmentationFeatures(FEATURES.map((f) => byName.get(f)!));
    const order = { kind: 'segmentation' as const, purpose: 'statistics' as const, features: FEATURES, profileLabels: LABELS };
    const rows = (await Promise.all(files.map((f) => readSegmentationData(f, order)))).flatMap((d) => d.raw);
    return standardizeRows(rows, features);
  }

  function centroidsOf(weights: Float32Array, k: number): Float64Array[] {
    const dim = weights.length / k;
    return Array.from({ length: k }, (_, i) => Float64Array.from(weights.subarray(i * dim, (i + 1) * dim)));
  }

  it('runs every step as a secure round and stores centroids as good as centralized k-means++', async () => {
    const { taskId, reports, weights, metrics, pipeline } = await run('segments');
    const purposes = reports.map((r) => r.purpose);
    expect(purposes[0]).toBe('statistics');
    expect(purposes[1]).toBe('segmentation-histogram');
    expect(purposes.slice(-2)).toEqual(['segmentation-count-gate', 'segmentation-profile']);
    expect(purposes.filter((p) => p === 'segmentation-lloyd').length).toBeGreaterThanOrEqual(3);
    expect(reports.every((r) => r.state === 'published')).toBe(true);
    // Only the profile round produces a model version.
    expect(reports.filter((r) => r.modelVersionId !== '').length).toBe(1);

    expect(weights.length).toBe(4 * FEATURES.length);
    expect(metrics.kind).toBe('segmentation');
    expect(metrics.k).toBe(4);
    const names = metrics.names as string[];
    expect(names).toHaveLength(4);
    for (const n of names) expect(n.length).toBeGreaterThan(0);
    expect((metrics.criteria as { perK: unknown[] }).perK).toHaveLength(1);
    expect((metrics.rounds as { secureSumRounds: number }).secureSumRounds).toBe(reports.length);

    const points = await pooledPoints(pipeline, fx.files);
    const federated = kmeansCost(points, centroidsOf(weights, 4));
    const central = kmeansBestOf(points, 4, 10, 1, { maxIterations: 300, tol: 1e-9 }).cost;
    expect(federated / central).toBeLessThan(1.02);

    // The operator's page shows one profile row per segment, named, from aggregates only.
    const html = await renderRoundsReport(fx.coordinator.store, taskId);
    for (const n of names) expect(html).toContain(escapeHtml(n));
    expect(html).toContain('<table id="segments">');

    // Members get it as a segmentation model file that `segment` reads, directly or as a checked .onnx.
    const { header, bytes } = await fx.admin.exportModel(taskId);
    expect(header.kind).toBe('segmentation');
    const dir = mkdtempSync(join(tmpdir(), 'consort-segment-export-'));
    const file = join(dir, 'segments.json');
    writeFileSync(file, bytes);
    const fromFile = await loadSegmentModel(file);
    expect(fromFile.model.names).toEqual(names);
    await exportModelFile(file, join(dir, 'segments.onnx'));
    const fromOnnx = await loadSegmentModel(join(dir, 'segments.onnx'));
    expect(fromOnnx.model.centroids.map((c) => Array.from(c))).toEqual(fromFile.model.centroids.map((c) => Array.from(c)));
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('goes on without a member that vanishes mid-Lloyd', async () => {
    vanish = true;
    const { reports, weights, metrics } = await run('segments-with-dropout');
    const lloyd = reports.filter((r) => r.purpose === 'segmentation-lloyd');
    const droppedAt = lloyd.findIndex((r) => r.dropped.length > 0);
    expect(droppedAt).toBe(3);
    // Later rounds run with the four remaining members.
    expect(lloyd[lloyd.length - 1].participants).toHaveLength(4);
    expect(weights.length).toBe(4 * FEATURES.length);
    expect(metrics.names as string[]).toHaveLength(4);
  }, 300_000);
});
