// Creating a task: resolve the operator's definition, size the model, store version 0.
import {
  initialWeights, parameterCount, pipelineInputDim, resolveTaskDefinition, validateModelSpec,
  type ModelSpec, type TaskDefinition, type TaskDefinitionInput,
} from '@consort/core';
import type { Store, TaskRecord } from '../store/store.ts';
import { weightsSha256 } from '../round/round-runner.ts';

/** Model input width implied by the schema: numeric columns plus one-hot vocabularies. */
export function inputDimOf(def: TaskDefinition): number {
  return pipelineInputDim({
    numeric: def.numeric.map((name) => ({ name, mean: 0, std: 1 })),
    categorical: def.categorical.map((name) => ({ name, vocabulary: def.vocabularies[name] })),
  });
}

export function modelSpecOf(def: TaskDefinition): ModelSpec {
  const spec: ModelSpec = {
    kind: def.model.kind, task: def.model.task, inputDim: inputDimOf(def),
    hidden: def.model.hidden, activation: def.model.activation, dropout: def.model.dropout, l2: def.model.l2,
  };
  validateModelSpec(spec);
  return spec;
}

/** Stores the task and its initial model (version 0, seeded weights). */
export async function createTask(store: Store, federationId: string, input: TaskDefinitionInput): Promise<{ task: TaskRecord; modelVersionId: string }> {
  await store.getFederation(federationId);
  const def = resolveTaskDefinition(input);
  const spec = modelSpecOf(def);
  const task = await store.createTask({
    federationId, name: def.name, modelSpec: spec, features: def as unknown as Record<string, unknown>,
    trainConfig: def.train as unknown as Record<string, unknown>, pipeline: null, aggregation: def.aggregation,
    minMembers: def.minMembers, stageTimeoutMs: def.stageTimeoutSeconds * 1000,
  });
  const weights = initialWeights(spec, def.seed);
  if (weights.length !== parameterCount(spec)) throw new Error('initial weights do not match the model spec');
  const mv = await store.createModelVersion({ taskId: task.id, version: 0, weights, sha256: weightsSha256(weights), metrics: { initial: true } });
  await store.appendAuditEvent({ actor: 'operator', kind: 'task.created', subjectType: 'task', subjectId: task.id, detail: { name: def.name, aggregation: def.aggregation } });
  if (def.aggregation === 'plain') {
    await store.appendAuditEvent({ actor: 'operator', kind: 'aggregation.opt_out', subjectType: 'task', subjectId: task.id, detail: { note: 'plain aggregation chosen explicitly (debug)' } });
  }
  return { task, modelVersionId: mv.id };
}
