// HTTP routes of model versions: list, compare metrics, download the member model file and the ONNX graph.
import type { FastifyInstance } from 'fastify';
import { ConsortError, onnxOfModelFile } from '@consort/core';
import { memberModelFile } from '../../models/member-model-file.ts';
import type { ModelVersionMeta } from '../../store/store.ts';
import type { ApiDeps } from '../api-deps.ts';
import { iso, route, S } from '../route.ts';

const MODEL = S.obj({
  id: S.str, taskId: S.str, version: S.int, roundId: S.strOrNull, sha256: S.str, parameterCount: S.int, createdAt: S.date, metrics: S.anyObject,
});

const view = (m: ModelVersionMeta) => ({ ...m, roundId: m.roundId ?? null, createdAt: iso(m.createdAt) });

/** Numeric metrics, one level of nesting flattened ("evaluation.auc"): what two versions can be compared on. */
export function numericMetrics(metrics: Record<string, unknown>, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v === 'number' && Number.isFinite(v)) out[prefix + k] = v;
    else if (!prefix && v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, numericMetrics(v as Record<string, unknown>, `${k}.`));
  }
  return out;
}

export async function modelRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;

  route(app, 'models.list', { params: S.params('taskId'), response: { 200: S.obj({ models: S.array(MODEL) }) } }, async (request) => {
    await store.getTask(request.params.taskId);
    return { models: (await store.listModelVersions(request.params.taskId)).map(view) };
  });

  route(app, 'models.compare', {
    params: S.params('taskId'),
    querystring: S.obj({ a: { type: 'integer', minimum: 0 }, b: { type: 'integer', minimum: 0 } }),
    response: {
      200: S.obj({
        a: MODEL, b: MODEL,
        metrics: { type: 'array', items: S.obj({ name: S.str, a: { type: ['number', 'null'] }, b: { type: ['number', 'null'] }, delta: { type: ['number', 'null'] } }) },
      }),
    },
  }, async (request) => {
    await store.getTask(request.params.taskId);
    const versions = await store.listModelVersions(request.params.taskId);
    const pick = (v: number) => {
      const m = versions.find((x) => x.version === v);
      if (!m) throw new ConsortError('NOT_FOUND', `task ${request.params.taskId} has no model version ${v}; its versions are 0 to ${versions.at(-1)?.version ?? 0}`);
      return m;
    };
    const a = pick(Number(request.query.a));
    const b = pick(Number(request.query.b));
    const ma = numericMetrics(a.metrics);
    const mb = numericMetrics(b.metrics);
    const names = [...new Set([...Object.keys(ma), ...Object.keys(mb)])].sort();
    return {
      a: view(a), b: view(b),
      metrics: names.map((name) => ({ name, a: ma[name] ?? null, b: mb[name] ?? null, delta: name in ma && name in mb ? mb[name] - ma[name] : null })),
    };
  });

  route(app, 'models.download', {
    params: S.params('modelVersionId'),
    response: { 200: { type: 'string', description: 'the member model file (docs/model-file.md), UTF-8 JSON' } },
  }, async (request, reply) => {
    const built = await memberModelFile(store, { modelVersionId: request.params.modelVersionId });
    return reply.type('application/json').header('content-disposition', `attachment; filename="${built.file.task.replace(/[^\w.-]+/g, '_')}-v${built.file.version}.json"`).send(built.bytes);
  });

  route(app, 'models.onnx', {
    params: S.params('modelVersionId'),
    response: { 200: { type: 'string', format: 'binary', description: 'ONNX graph (pipeline + model), application/octet-stream' } },
  }, async (request, reply) => {
    const built = await memberModelFile(store, { modelVersionId: request.params.modelVersionId });
    // The same graph `consort-agent export-onnx` writes from the model file (core's exporter).
    const bytes = Buffer.from(onnxOfModelFile(built.file, `model version ${built.file.modelVersionId}`).onnx);
    return reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${built.file.task.replace(/[^\w.-]+/g, '_')}-v${built.file.version}.onnx"`).send(bytes);
  });
}
