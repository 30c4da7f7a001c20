// HTTP route of the audit log: the store's audit events, filtered and paged.
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../api-deps.ts';
import { iso, route, S } from '../route.ts';

const EVENT = S.obj({ id: S.int, at: S.date, actor: S.str, kind: S.str, subjectType: S.str, subjectId: S.str, detail: S.anyObject });

export async function logRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  route(app, 'log.list', {
    querystring: {
      type: 'object',
      properties: {
        kind: S.str, subjectId: S.str,
        after: { type: 'integer', minimum: 0, default: 0, description: 'events after this id' },
        limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
      },
      additionalProperties: false,
    },
    response: { 200: S.obj({ events: S.array(EVENT), next: { type: ['integer', 'null'] } }) },
  }, async (request) => {
    const q = request.query;
    const filter: { kind?: string; subjectId?: string } = {};
    if (q.kind) filter.kind = String(q.kind);
    if (q.subjectId) filter.subjectId = String(q.subjectId);
    const after = Number(q.after ?? 0);
    const limit = Number(q.limit ?? 200);
    // One more than asked: whether there is a next page.
    const matching = await deps.store.listAuditEvents({ ...filter, afterId: after, limit: limit + 1 });
    const page = matching.slice(0, limit);
    return { events: page.map((e) => ({ ...e, at: iso(e.at) })), next: matching.length > limit ? page[page.length - 1].id : null };
  });
}
