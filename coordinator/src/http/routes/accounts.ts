// HTTP routes of API accounts: list, create (the token is shown once), revoke.
import type { FastifyInstance } from 'fastify';
import { actorOf, issueApiToken, parseLifetime, publicAccount, revokeApiToken } from '../../accounts/api-tokens.ts';
import type { ApiRole } from '../../store/store.ts';
import type { ApiDeps } from '../api-deps.ts';
import { route, S } from '../route.ts';

export const ACCOUNT = S.obj({
  id: S.str, name: S.str, role: S.str, memberId: S.strOrNull, createdAt: S.date, expiresAt: S.dateOrNull, revokedAt: S.dateOrNull,
});

export async function accountRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;

  route(app, 'accounts.list', { response: { 200: S.obj({ accounts: S.array(ACCOUNT) }) } }, async () => ({
    accounts: (await store.listApiTokens()).map(publicAccount),
  }));

  route(app, 'accounts.create', {
    body: {
      type: 'object',
      required: ['name', 'role'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 200 },
        role: { type: 'string', enum: ['operator', 'auditor', 'member-contact'] },
        memberId: { type: 'string', minLength: 1 },
        expires: { type: 'string', description: 'lifetime such as 30d, 12h, 90m; none = no expiry' },
      },
      additionalProperties: false,
    },
    response: { 201: S.obj({ token: S.str, account: ACCOUNT }) },
  }, async (request, reply) => {
    const b = request.body;
    const { token, account } = await issueApiToken(store, {
      name: String(b.name), role: b.role as ApiRole, memberId: b.memberId as string | undefined,
      lifetimeMs: b.expires ? parseLifetime(String(b.expires)) : undefined, issuedBy: actorOf(request.account!),
    });
    return reply.status(201).send({ token, account: publicAccount(account) });
  });

  route(app, 'accounts.revoke', { params: S.params('tokenId'), response: { 200: ACCOUNT } }, async (request) =>
    publicAccount(await revokeApiToken(store, request.params.tokenId, actorOf(request.account!))));
}
