// The model registry over a real store: published versions with configuration, rounds, metrics, hashes and audit report.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConsortError } from '@consort/core';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { buildMemberModelFile } from './member-model-file.ts';
import { seedRegistry } from '../../test-support/registry-fixture.ts';
import { attachAuditReport, compareRegisteredModels, getRegisteredModel, listRegisteredModels } from './registry.ts';

describe('model registry', () => {
  let dir: string;
  let store: Store;
  let seeded: Awaited<ReturnType<typeof seedRegistry>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'consort-registry-'));
    store = await openStore(`file:${join(dir, 'consort.db')}`);
    seeded = await seedRegistry(store, 3);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every published version with its task, configuration, rounds, metrics and hashes', async () => {
    const list = await listRegisteredModels(store, seeded.taskId);
    expect(list.map((e) => e.version)).toEqual([1, 2, 3]);
    const v2 = list[1];
    expect(v2).toMatchObject({
      modelVersionId: seeded.versionIds[1],
      task: { id: seeded.taskId, name: 'churn' },
      configuration: { aggregation: 'secure', minMembers: 3, modelSpec: { kind: 'logistic' }, definition: { kind: 'model', name: 'churn', label: 'churned' } },
      round: { number: 2, participants: 4, dropped: 1 },
      roundsToDate: { started: 2, published: 2 },
      metrics: { evaluation: { evalAuc: 0.7 } },
      parameterCount: 3,
      auditReportId: null,
    });
    // The model file hash is the file members pull (and so the ONNX graph built from it).
    const stored = await store.getModelVersion(v2.modelVersionId);
    expect(v2.sha256).toBe(stored.sha256);
    expect(v2.modelFileSha256).toBe(buildMemberModelFile(await store.getTask(seeded.taskId), stored).contentSha256);
    expect(JSON.stringify(v2)).not.toContain('m-a');
  });

  it('gets the latest or a pinned version, and refuses one that does not exist', async () => {
    expect((await getRegisteredModel(store, seeded.taskId)).version).toBe(3);
    expect((await getRegisteredModel(store, seeded.taskId, 1)).modelVersionId).toBe(seeded.versionIds[0]);
    await expect(getRegisteredModel(store, seeded.taskId, 9)).rejects.toSatisfy((e: unknown) => isConsortError(e, 'NOT_FOUND'));
  });

  it('compares two versions\' metrics', async () => {
    const c = await compareRegisteredModels(store, seeded.taskId, 1, 3);
    const auc = c.metrics.find((m) => m.name === 'evaluation.evalAuc')!;
    expect(auc.from).toBeCloseTo(0.65);
    expect(auc.to).toBeCloseTo(0.75);
    expect(auc.change).toBeCloseTo(0.1);
    expect(c.metrics.map((m) => m.name)).toEqual(['evaluation.evalAuc', 'trainLoss']);
  });

  it('attaches an audit report reference (logged), and detaches it', async () => {
    const id = seeded.versionIds[2];
    expect((await attachAuditReport(store, id, 'report-123', 'operator')).auditReportId).toBe('report-123');
    expect((await store.getModelVersionMeta(id)).auditReportId).toBe('report-123');
    expect((await store.listAuditEvents({ subjectId: id, kind: 'model.audit_attached' }))[0]).toMatchObject({ actor: 'operator', detail: { version: 3, auditReportId: 'report-123' } });
    expect((await attachAuditReport(store, id, null)).auditReportId).toBeNull();
    await expect(store.setModelVersionAuditReport('nope', 'x')).rejects.toSatisfy((e: unknown) => isConsortError(e, 'NOT_FOUND'));
  });
});
