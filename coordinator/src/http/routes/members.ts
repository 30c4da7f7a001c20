// HTTP routes of members: invite (enrollment tokens), list with state and last-seen, show, revoke.
import type { FastifyInstance } from 'fastify';
import { ConsortError } from '@consort/core';
import { issueEnrollmentTokens } from '../../federation/enrollment.ts';
import { revokeMember } from '../../members/revocation.ts';
import { memberView, memberViews, type MemberView } from '../../operator/operator-service.ts';
import type { ApiDeps } from '../api-deps.ts';
import { iso, route, S } from '../route.ts';

const MEMBER = S.obj({
  id: S.str, federationId: S.str, displayName: S.str, state: { type: 'string', enum: ['online', 'offline', 'revoked'] }, online: S.bool, backend: S.str,
  enrolledAt: S.date, lastSeenAt: S.dateOrNull, revokedAt: S.dateOrNull,
});

const view = (m: MemberView) => ({ ...m, enrolledAt: iso(m.enrolledAt), lastSeenAt: iso(m.lastSeenAt), revokedAt: iso(m.revokedAt) });

export async function memberRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store, connections } = deps;

  route(app, 'members.invite', {
    params: S.params('federationId'),
    body: { type: 'object', properties: { count: { type: 'integer', minimum: 1, maximum: 1000, default: 1 }, ttlSeconds: { type: 'integer', minimum: 1, maximum: 0xffffffff } }, additionalProperties: false },
    response: { 201: S.obj({ federationId: S.str, tokens: S.array(S.str), expiresAt: S.date }) },
  }, async (request, reply) => {
    const { federationId } = request.params;
    const { tokens, expiresAt } = await issueEnrollmentTokens(store, federationId, Number(request.body?.count ?? 1), Number(request.body?.ttlSeconds ?? 0));
    return reply.status(201).send({ federationId, tokens, expiresAt: iso(expiresAt) });
  });

  route(app, 'members.list', {
    params: S.params('federationId'),
    response: { 200: S.obj({ members: S.array(MEMBER) }) },
  }, async (request) => {
    await store.getFederation(request.params.federationId);
    return { members: (await memberViews(store, connections, request.params.federationId)).map(view) };
  });

  route(app, 'members.show', { params: S.params('memberId'), response: { 200: MEMBER } }, async (request) => {
    const m = await store.getMember(request.params.memberId);
    if (!m) throw new ConsortError('NOT_FOUND', `member ${request.params.memberId} does not exist; list a federation's members to find a valid id`);
    return view(memberView(m, connections));
  });

  route(app, 'members.revoke', {
    params: S.params('memberId'),
    response: { 200: S.obj({ member: MEMBER, wasConnected: S.bool }) },
  }, async (request) => {
    const r = await revokeMember({ store, connections, logger: deps.logger }, request.params.memberId);
    return { member: view(memberView(r.member, connections)), wasConnected: r.wasConnected };
  });
}
