// Creating a task: resolve the operator's definition, store it as one typed record, and for a model task its version 0.
import { initialWeights, modelSpecOf, parameterCount, resolveTask } from '@consort/core';
import type { Store, TaskRecord } from '../store/store.ts';
import { weightsSha256 } from '../round/round-runner.ts';

/**
 * Stores the task; a model task also gets its initial model (version 0, seeded weights). A
 * segmentation task trains no model: its rounds start from none, and its result is version 1.
 * `definition` is a task file's settings (text or parsed), resolved by core's one resolver.
 */
export async function createTask(store: Store, federationId: string, definition: unknown): Promise<{ task: TaskRecord; modelVersionId?: string }> {
  await store.getFederation(federationId);
  const def = resolveTask(definition);
  const spec = def.kind === 'model' ? modelSpecOf(def) : null;
  const task = await store.createTask({ federationId, definition: def, modelSpec: spec, pipeline: null });
  let modelVersionId: string | undefined;
  if (def.kind === 'model' && spec) {
    const weights = initialWeights(spec, def.seed);
    if (weights.length !== parameterCount(spec)) throw new Error('initial weights do not match the model spec');
    modelVersionId = (await store.createModelVersion({ taskId: task.id, version: 0, weights, sha256: weightsSha256(weights), metrics: { initial: true } })).id;
  }
  await store.appendAuditEvent({ actor: 'operator', kind: 'task.created', subjectType: 'task', subjectId: task.id, detail: { name: def.name, kind: def.kind, aggregation: def.aggregation } });
  if (def.aggregation === 'plain') {
    await store.appendAuditEvent({ actor: 'operator', kind: 'aggregation.opt_out', subjectType: 'task', subjectId: task.id, detail: { note: 'plain aggregation chosen explicitly (debug)' } });
  }
  return { task, modelVersionId };
}
