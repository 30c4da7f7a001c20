// Authentication and authorization of every HTTP request, from the one policy table (policy.ts):
// the token, the role, the member contact's scope; failures are logged and rate-limited per address.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConsortError } from '@consort/core';
import type { ApiTokenRecord, Store } from '../store/store.ts';
import { actorOf, authenticateApiToken } from '../accounts/api-tokens.ts';
import { PeerLimiter } from '../transport/grpc/peer-limiter.ts';
import { POLICY, type RouteId } from './policy.ts';
import { ReadRecordThrottle } from './read-record-throttle.ts';

/** Failed authentications per address and minute before the address is refused for the rest of it. */
export const API_AUTH_FAILURES_PER_MINUTE = 10;

declare module 'fastify' {
  interface FastifyContextConfig {
    routeId?: RouteId;
  }
  interface FastifyRequest {
    /** The caller's account, once authenticated (absent on public routes). */
    account?: ApiTokenRecord;
  }
}

/** Bearer token of the request, if any. */
function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  return typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7).trim() || undefined : undefined;
}

/** The federation a route's subject (by its path parameters) lies in; NOT_FOUND when it does not exist. */
export async function federationOfSubject(store: Store, params: Record<string, string>): Promise<string | undefined> {
  if (params.federationId) return (await store.getFederation(params.federationId)).id;
  if (params.taskId) return (await store.getTask(params.taskId)).federationId;
  if (params.roundId) return (await store.getTask((await store.getRound(params.roundId)).taskId)).federationId;
  if (params.modelVersionId) return (await store.getTask((await store.getModelVersionMeta(params.modelVersionId)).taskId)).federationId;
  if (params.memberId) {
    const m = await store.getMember(params.memberId);
    if (!m) throw new ConsortError('NOT_FOUND', `member ${params.memberId} does not exist`);
    return m.federationId;
  }
  return undefined;
}

export interface AuthorizationOptions {
  store: Store;
  authFailuresPerMinute?: number;
  now?: () => Date;
  /** Successful identical reads are recorded once per this window (read-record-throttle.ts); default 10 min. */
  readRecordWindowMs?: number;
}

/** Registers the hooks: authenticate, authorize, and record every answered request with its actor. */
export function registerAuthorization(app: FastifyInstance, o: AuthorizationOptions): void {
  const { store } = o;
  const failures = new PeerLimiter(o.authFailuresPerMinute ?? API_AUTH_FAILURES_PER_MINUTE);
  const now = o.now ?? (() => new Date());
  const reads = new ReadRecordThrottle(o.readRecordWindowMs);

  const refuse = async (request: FastifyRequest, routeId: string, err: ConsortError, actor: string): Promise<never> => {
    await store.appendAuditEvent({
      actor, kind: err.code === 'UNAUTHORIZED' ? 'api.denied' : 'api.auth_failed', subjectType: 'api', subjectId: routeId,
      detail: { ip: request.ip, method: request.method, url: request.url.split('?')[0], code: err.code, reason: err.message },
    });
    request.log.warn({ route: routeId, ip: request.ip, actor, code: err.code }, 'HTTP API request refused');
    throw err;
  };

  app.addHook('onRequest', async (request) => {
    const routeId = request.routeOptions.config?.routeId;
    if (!routeId) return; // unknown path: the 404 handler answers
    const policy = POLICY[routeId];
    if ('public' in policy && policy.public) return;
    const ip = request.ip;
    if (failures.blocked(ip)) {
      throw new ConsortError('RATE_LIMITED', `too many failed API logins from ${ip}: refused for ${failures.secondsLeft(ip)} s more; check the token`, { ip });
    }
    let account: ApiTokenRecord;
    try {
      account = await authenticateApiToken(store, bearer(request), now());
    } catch (err) {
      if (!(err instanceof ConsortError) || err.code !== 'API_TOKEN_INVALID') throw err;
      failures.record(ip);
      return refuse(request, routeId, err, 'anonymous');
    }
    request.account = account;
    const access: string | undefined = (policy.access as Record<string, string>)[account.role];
    if (!access) {
      return refuse(request, routeId, new ConsortError('UNAUTHORIZED', `the ${account.role} role may not ${policy.summary} (${routeId}); ask an operator`), actorOf(account));
    }
    if (access === 'all') return;
    // Member contacts: only their own member, or what lies in its federation.
    const params = (request.params ?? {}) as Record<string, string>;
    const own = await store.getMember(account.memberId ?? '');
    const allowed = access === 'own-member'
      ? params.memberId === account.memberId
      : own !== undefined && (await federationOfSubject(store, params)) === own.federationId;
    if (!allowed) {
      return refuse(request, routeId, new ConsortError('UNAUTHORIZED', `a member contact sees only its own member's view; ${request.url.split('?')[0]} is not its member's`), actorOf(account));
    }
  });

  // Every answered request of an account is in the audit log with its actor; a repeated read (a
  // polling dashboard) once per window, with the number of identical reads it stands for.
  app.addHook('onResponse', async (request, reply) => {
    const routeId = request.routeOptions.config?.routeId;
    if (!routeId || !request.account) return;
    const actor = actorOf(request.account);
    const url = request.url.split('?')[0];
    const { record, skipped } = reads.decide({ actor, routeId, method: request.method, path: url, status: reply.statusCode, now: now().getTime() });
    if (!record) return;
    await store.appendAuditEvent({
      actor, kind: 'api.request', subjectType: 'api', subjectId: routeId,
      detail: { method: request.method, url, status: reply.statusCode, ip: request.ip, ...(skipped > 0 ? { repeatsSincePrevious: skipped } : {}) },
    }).catch((err: unknown) => request.log.error({ err }, 'API request not recorded in the audit log'));
  });
}
