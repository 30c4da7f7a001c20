// The coordinator's HTTP API as a fastify app, built apart from listening (tests use app.inject()).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { publicAccount } from '../accounts/api-tokens.ts';
import type { ApiDeps } from './api-deps.ts';
import { registerAuthorization } from './authorization.ts';
import { registerDashboard, type DashboardOptions } from './dashboard/dashboard.ts';
import { ERROR_BODY_SCHEMA, handleError, handleNotFound } from './http-errors.ts';
import { route, S } from './route.ts';
import { ACCOUNT, accountRoutes } from './routes/accounts.ts';
import { auditRoutes } from './routes/audits.ts';
import { federationRoutes } from './routes/federations.ts';
import { logRoutes } from './routes/log.ts';
import { memberRoutes } from './routes/members.ts';
import { modelRoutes } from './routes/models.ts';
import { roundRoutes } from './routes/rounds.ts';
import { taskRoutes } from './routes/tasks.ts';

export interface BuildAppOptions extends ApiDeps {
  /** TLS certificate chain and key (PEM contents); absent = plain HTTP (loopback or --insecure). */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** A server bound beforehand (the coordinator binds its ports before opening the database). */
  serverFactory?: (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server;
  /** Failed authentications allowed per address and minute (default API_AUTH_FAILURES_PER_MINUTE). */
  authFailuresPerMinute?: number;
  /** Largest request body (default 4 MiB: task files are small). */
  bodyLimit?: number;
  /** Clock of token expiry (tests). */
  now?: () => Date;
  /** The web dashboard under /dashboard/ (default on); false leaves only the API. */
  dashboard?: boolean | DashboardOptions;
}

/** Builds the API; call `listen()` (or `inject()`) on what it returns. */
export async function buildApp(o: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger.child({ svc: 'http' }),
    // Requests are logged once, with their actor, by the authorization hooks.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimit ?? 4 * 1024 * 1024,
    ...(o.https ? { https: o.https } : {}),
    ...(o.serverFactory ? { serverFactory: o.serverFactory } : {}),
    // Integers in query strings arrive as numbers, booleans as booleans; extra body fields are dropped.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true } },
  }) as unknown as FastifyInstance;
  app.addSchema(ERROR_BODY_SCHEMA);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Consort coordinator API', version: '1', description: 'Operators, auditors and member contacts: see docs/operator.md. Errors: docs/errors.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token (consort-coordinator api-token create)' } } },
      security: [{ bearer: [] }],
    },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  registerAuthorization(app, { store: o.store, authFailuresPerMinute: o.authFailuresPerMinute, now: o.now });

  route(app, 'health', { response: { 200: S.obj({ ok: S.bool }) } }, async () => ({ ok: true }));
  route(app, 'openapi', { response: { 200: S.anyObject } }, async () => app.swagger());
  route(app, 'me', { response: { 200: ACCOUNT } }, async (request) => publicAccount(request.account!));

  for (const plugin of [federationRoutes, memberRoutes, taskRoutes, roundRoutes, modelRoutes, auditRoutes, logRoutes, accountRoutes]) {
    await app.register(async (scope) => plugin(scope, o));
  }
  if (o.dashboard !== false) registerDashboard(app, o.dashboard === true || o.dashboard === undefined ? {} : o.dashboard);
  return app;
}
