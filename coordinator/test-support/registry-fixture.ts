// Test data for the registry and the backup tests: a federation, a task and published versions, written through the store as rounds do.
import { resolveTask, weightsSha256Hex } from '@consort/core';
import type { Store } from '../src/store/store.ts';

/** Creates a federation and task, then `published` training rounds (each publishing a version) and one aborted round. */
export async function seedRegistry(store: Store, published = 2): Promise<{ federationId: string; taskId: string; versionIds: string[] }> {
  const fed = await store.createFederation(`fed-${Math.random().toString(36).slice(2, 8)}`);
  await store.appendAuditEvent({ actor: 'operator', kind: 'federation.created', subjectType: 'federation', subjectId: fed.id, detail: { name: fed.name } });
  const task = await store.createTask({
    federationId: fed.id, definition: resolveTask({ name: 'churn', label: 'churned', numeric: ['recency'], minMembers: 3, stageTimeoutSeconds: 1 }),
    modelSpec: { kind: 'logistic', task: 'binary', inputDim: 2 }, pipeline: { numeric: [{ name: 'recency', mean: 1, std: 2 }], categorical: [] },
  });
  await store.appendAuditEvent({ actor: 'operator', kind: 'task.created', subjectType: 'task', subjectId: task.id, detail: { name: task.name } });
  const w0 = Float32Array.from([0, 0, 0]);
  let base = (await store.createModelVersion({ taskId: task.id, version: 0, weights: w0, sha256: weightsSha256Hex(w0), metrics: {} })).id;
  const versionIds: string[] = [];
  let number = 0;
  for (let v = 1; v <= published; v++) {
    number += 1;
    const round = await store.createRound({ taskId: task.id, number, state: 'aggregated', deadlines: {}, baseModelVersionId: base, participants: ['m-a', 'm-b', 'm-c', 'm-d'] });
    await store.appendAuditEvent({ actor: 'coordinator', kind: 'round.created', subjectType: 'round', subjectId: round.id, detail: { taskId: task.id, number, participants: round.participants } });
    const weights = Float32Array.from([0.1 * v, -0.2 * v, 0.3]);
    const { modelVersion } = await store.completeRound(round.id, 'aggregated', {
      taskId: task.id, version: v, weights, sha256: weightsSha256Hex(weights), metrics: { trainLoss: 0.7 - 0.1 * v, evaluation: { evalAuc: 0.6 + 0.05 * v } },
    }, { state: 'published', dropped: ['m-d'], finishedAt: new Date() });
    await store.appendAuditEvent({ actor: 'coordinator', kind: 'model.stored', subjectType: 'model', subjectId: modelVersion.id, detail: { roundId: round.id, version: v, sha256: modelVersion.sha256 } });
    versionIds.push(modelVersion.id);
    base = modelVersion.id;
  }
  number += 1;
  const aborted = await store.createRound({ taskId: task.id, number, state: 'open', deadlines: {}, baseModelVersionId: base, participants: ['m-a'] });
  await store.updateRound(aborted.id, 'open', { state: 'aborted', reason: 'too few members', finishedAt: new Date() });
  await store.appendAuditEvent({ actor: 'coordinator', kind: 'round.aborted', subjectType: 'round', subjectId: aborted.id, detail: { reason: 'too few members' } });
  return { federationId: fed.id, taskId: task.id, versionIds };
}
