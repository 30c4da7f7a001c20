// HTTP routes of tasks: create from a task file (JSON body), list, show.
import type { FastifyInstance } from 'fastify';
import type { TaskDefinitionInput } from '@consort/core';
import { createTask } from '../../task/task-service.ts';
import { taskSummaries } from '../../operator/operator-service.ts';
import { taskDefinitionOf } from '../../round/task-codec.ts';
import type { ApiDeps } from '../api-deps.ts';
import { iso, route, S } from '../route.ts';

const TASK_SUMMARY = S.obj({
  id: S.str, federationId: S.str, name: S.str, kind: S.str, minMembers: S.int, aggregation: S.str, rounds: S.int,
  latestVersion: S.int, latestModelVersionId: S.str, createdAt: S.date,
});

export async function taskRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;

  route(app, 'tasks.create', {
    params: S.params('federationId'),
    body: { type: 'object', description: 'a task definition, as in a task file (docs/task-definition.md)', additionalProperties: true },
    response: { 201: S.obj({ id: S.str, name: S.str, initialModelVersionId: S.str, parameterCount: S.int }) },
  }, async (request, reply) => {
    const { task, modelVersionId } = await createTask(store, request.params.federationId, request.body as unknown as TaskDefinitionInput);
    // A segmentation task starts from no model version.
    const mv = modelVersionId ? await store.getModelVersionMeta(modelVersionId) : undefined;
    return reply.status(201).send({ id: task.id, name: task.name, initialModelVersionId: modelVersionId ?? '', parameterCount: mv?.parameterCount ?? 0 });
  });

  route(app, 'tasks.list', { params: S.params('federationId'), response: { 200: S.obj({ tasks: S.array(TASK_SUMMARY) }) } }, async (request) => ({
    tasks: (await taskSummaries(store, request.params.federationId)).map((t) => ({ ...t, createdAt: iso(t.createdAt) })),
  }));

  route(app, 'tasks.show', {
    params: S.params('taskId'),
    response: { 200: S.obj({ id: S.str, federationId: S.str, name: S.str, createdAt: S.date, definition: S.anyObject }) },
  }, async (request) => {
    const t = await store.getTask(request.params.taskId);
    return { id: t.id, federationId: t.federationId, name: t.name, createdAt: iso(t.createdAt), definition: taskDefinitionOf(t) };
  });
}
