// The member model file is built from a stored version alone: fixed field order, coordinator-only metrics left out.
import { describe, expect, it } from 'vitest';
import { MODEL_FILE_FORMAT, isConsortError, resolveTask, weightsSha256Hex, type MemberModelFile, verifyModelFileContent } from '@consort/core';
import type { ModelVersionRecord, Store, TaskRecord } from '../store/store.ts';
import { ModelFileCache, buildMemberModelFile, serializeModelFile } from './member-model-file.ts';

const task: TaskRecord = {
  id: 'task_1', federationId: 'fed_1', name: 'churn', createdAt: new Date(0), modelSpec: { kind: 'logistic', task: 'binary', inputDim: 2 },
  definition: resolveTask({ name: 'churn', label: 'churned', numeric: ['recency', 'spend'], minMembers: 3 }),
  pipeline: { numeric: [{ name: 'recency', mean: 1, std: 2 }], categorical: [] }, aggregation: 'secure', minMembers: 3,
};

function version(metrics: Record<string, unknown>): ModelVersionRecord {
  const weights = Float32Array.from([0.1, -0.2, 0.3]);
  return { id: 'mv_2', taskId: task.id, version: 2, roundId: 'r_2', sha256: weightsSha256Hex(weights), parameterCount: 3, metrics, createdAt: new Date(Date.UTC(2026, 11, 7)), weights };
}

describe('member model file', () => {
  it('carries what a member needs in a fixed order, without the optimizer state or the later evaluation', () => {
    const mv = version({ trainLoss: 0.4, strategyState: { m: [1, 2, 3] }, evaluation: { evalAuc: 0.8 } });
    const file = buildMemberModelFile(task, mv);
    expect(Object.keys(file)).toEqual(['format', 'kind', 'taskId', 'task', 'version', 'modelVersionId', 'createdAt', 'spec', 'pipeline', 'metrics', 'sha256', 'weights', 'contentSha256']);
    expect(file).toMatchObject({ format: MODEL_FILE_FORMAT, kind: 'model', taskId: 'task_1', task: 'churn', version: 2, modelVersionId: 'mv_2', createdAt: '2026-12-07T00:00:00.000Z', metrics: { trainLoss: 0.4 } });
    expect(file.metrics).not.toHaveProperty('strategyState');
    expect(file.metrics).not.toHaveProperty('evaluation');
    // The weights survive the JSON round trip exactly: a reader recomputes the same hash.
    const parsed = JSON.parse(serializeModelFile(file).toString('utf8')) as MemberModelFile;
    expect(weightsSha256Hex(Float32Array.from(parsed.weights))).toBe(mv.sha256);
    // ... and the same content hash over every field: the preprocessing is covered too.
    expect(() => verifyModelFileContent(parsed, 'm.json')).not.toThrow();
    const edited: object = { ...parsed, pipeline: { ...parsed.pipeline!, label: 'other' } };
    expect(() => verifyModelFileContent(edited, 'm.json')).toThrow(/MODEL_INTEGRITY|does not match its recorded contentSha256/);
    expect(serializeModelFile(buildMemberModelFile(task, version({ trainLoss: 0.4, evaluation: { evalAuc: 0.9 } }))).equals(serializeModelFile(file))).toBe(true);
  });

  it('marks a segmentation version and has no pipeline when the task has none', () => {
    const seg = resolveTask({ name: 'seg', kind: 'segmentation', segmentation: { features: ['r', 'f', 'm'], k: 2 } });
    const file = buildMemberModelFile({ ...task, definition: seg, modelSpec: null, pipeline: null }, version({ kind: 'segmentation', k: 1, dim: 3 }));
    expect(file.kind).toBe('segmentation');
    expect(file.pipeline).toBeNull();
    // A segmentation trains no model: no placeholder spec in its file.
    expect(file.spec).toBeNull();
  });

  it('the cache builds a version once, resolves "latest" and the federation check on every call', async () => {
    const mv = version({ trainLoss: 0.4 });
    const v0 = { ...mv, id: 'mv_0', version: 0, roundId: undefined };
    let loads = 0;
    const store = {
      getTask: async () => task,
      listModelVersions: async () => [v0, mv],
      getModelVersionMeta: async (id: string) => (id === mv.id ? mv : v0),
      getModelVersion: async () => { loads++; return mv; },
    } as unknown as Store;
    const cache = new ModelFileCache(store);
    const a = await cache.get({ taskId: task.id, federationId: 'fed_1' });
    const b = await cache.get({ modelVersionId: mv.id });
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.file.version).toBe(2);
    expect(loads).toBe(1);
    const foreign = await cache.get({ taskId: task.id, federationId: 'fed_other' }).catch((e: unknown) => e);
    expect(isConsortError(foreign, 'NOT_FOUND')).toBe(true);
    const untrained = await cache.get({ modelVersionId: 'mv_0' }).catch((e: unknown) => e);
    expect(isConsortError(untrained, 'NOT_FOUND')).toBe(true);
  });
});
