// HTTP routes of federations: list and create.
import type { FastifyInstance } from 'fastify';
import { createFederation, federationSummaries } from '../../operator/operator-service.ts';
import { actorOf } from '../../accounts/api-tokens.ts';
import type { ApiDeps } from '../api-deps.ts';
import { iso, route, S } from '../route.ts';

const FEDERATION = S.obj({ id: S.str, name: S.str, createdAt: S.date, members: S.int, tasks: S.int });

export async function federationRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  route(app, 'federations.list', { response: { 200: S.obj({ federations: S.array(FEDERATION) }) } }, async () => ({
    federations: (await federationSummaries(deps.store)).map((f) => ({ ...f, createdAt: iso(f.createdAt) })),
  }));

  route(app, 'federations.create', {
    body: S.obj({ name: { type: 'string', minLength: 1, maxLength: 200 } }),
    response: { 201: FEDERATION },
  }, async (request, reply) => {
    const f = await createFederation(deps.store, String(request.body.name), actorOf(request.account!));
    return reply.status(201).send({ ...f, createdAt: iso(f.createdAt), members: 0, tasks: 0 });
  });
}
