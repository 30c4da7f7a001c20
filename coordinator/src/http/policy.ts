// The HTTP API's one authorization table: every route, its method and path, and who may call it.
// Routes are registered from this table (routes.ts) and the authorization matrix test is generated
// from it, so a route cannot exist without a policy.
import type { ApiRole } from '../store/store.ts';

/**
 * What a role may do on a route: `all`, or (member contacts) only what belongs to its own member:
 * `own-member` (the route's :memberId is its member) or `own-federation` (the route's subject,
 * a federation, task, round or model version, lies in its member's federation).
 */
export type Access = 'all' | 'own-member' | 'own-federation';

export interface RoutePolicy {
  method: 'GET' | 'POST';
  /** fastify path, parameters as :name. */
  url: string;
  /** Roles allowed and how far; a role not listed is refused (403 UNAUTHORIZED). */
  access: Partial<Record<ApiRole, Access>>;
  /** No token needed (the OpenAPI document, the health probe). */
  public?: boolean;
  summary: string;
}

const OPERATOR = { operator: 'all' } as const;
/** Round metadata, audit reports and the log: what an auditor reads. */
const READERS = { operator: 'all', auditor: 'all' } as const;

export const POLICY = {
  'health': { method: 'GET', url: '/api/v1/health', access: {}, public: true, summary: 'liveness probe' },
  'openapi': { method: 'GET', url: '/api/v1/openapi.json', access: {}, public: true, summary: 'this API as an OpenAPI 3 document' },
  'me': { method: 'GET', url: '/api/v1/me', access: { operator: 'all', auditor: 'all', 'member-contact': 'all' }, summary: 'the account of the token presented' },

  'federations.list': { method: 'GET', url: '/api/v1/federations', access: OPERATOR, summary: 'list federations with member and task counts' },
  'federations.create': { method: 'POST', url: '/api/v1/federations', access: OPERATOR, summary: 'create a federation' },

  'members.invite': { method: 'POST', url: '/api/v1/federations/:federationId/enrollment-tokens', access: OPERATOR, summary: 'issue one-time enrollment tokens (invite members)' },
  'members.list': { method: 'GET', url: '/api/v1/federations/:federationId/members', access: OPERATOR, summary: 'list members with state and last-seen' },
  'members.show': { method: 'GET', url: '/api/v1/members/:memberId', access: { operator: 'all', 'member-contact': 'own-member' }, summary: 'one member with state and last-seen' },
  'members.revoke': { method: 'POST', url: '/api/v1/members/:memberId/revoke', access: OPERATOR, summary: 'revoke a member (its requests are refused from then on)' },

  'tasks.create': { method: 'POST', url: '/api/v1/federations/:federationId/tasks', access: OPERATOR, summary: 'define a task from a task file (JSON body, see docs/task-definition.md)' },
  'tasks.list': { method: 'GET', url: '/api/v1/federations/:federationId/tasks', access: { operator: 'all', 'member-contact': 'own-federation' }, summary: 'list a federation\'s tasks' },
  'tasks.show': { method: 'GET', url: '/api/v1/tasks/:taskId', access: { operator: 'all', 'member-contact': 'own-federation' }, summary: 'one task with its definition' },

  'rounds.start': { method: 'POST', url: '/api/v1/tasks/:taskId/runs', access: OPERATOR, summary: 'start a run of the task (rounds until early stopping or the cap)' },
  'rounds.run': { method: 'GET', url: '/api/v1/tasks/:taskId/run', access: READERS, summary: 'the latest run of the task started by this coordinator process' },
  'rounds.abort': { method: 'POST', url: '/api/v1/tasks/:taskId/run/abort', access: OPERATOR, summary: 'abort the run in progress (its current round is aborted)' },
  'rounds.list': { method: 'GET', url: '/api/v1/tasks/:taskId/rounds', access: { operator: 'all', auditor: 'all', 'member-contact': 'own-federation' }, summary: 'list a task\'s rounds' },
  'rounds.show': { method: 'GET', url: '/api/v1/rounds/:roundId', access: { operator: 'all', auditor: 'all', 'member-contact': 'own-federation' }, summary: 'one round: stage, deadlines, survivors, metrics' },
  'rounds.watch': { method: 'GET', url: '/api/v1/tasks/:taskId/events', access: { operator: 'all', auditor: 'all', 'member-contact': 'own-federation' }, summary: 'live stage events of the task\'s rounds (Server-Sent Events)' },

  'models.list': { method: 'GET', url: '/api/v1/tasks/:taskId/models', access: { operator: 'all', 'member-contact': 'own-federation' }, summary: 'list a task\'s model versions with metrics and hashes' },
  'models.compare': { method: 'GET', url: '/api/v1/tasks/:taskId/models/compare', access: { operator: 'all', 'member-contact': 'own-federation' }, summary: 'compare the metrics of two model versions' },
  'models.download': { method: 'GET', url: '/api/v1/models/:modelVersionId/model-file', access: { operator: 'all', 'member-contact': 'own-federation' }, summary: 'download the member model file of a published version' },
  'models.onnx': { method: 'GET', url: '/api/v1/models/:modelVersionId/onnx', access: { operator: 'all', 'member-contact': 'own-federation' }, summary: 'download the ONNX graph of a published version' },

  'audits.list': { method: 'GET', url: '/api/v1/audits', access: READERS, summary: 'list audit reports' },
  'audits.show': { method: 'GET', url: '/api/v1/audits/:reportId', access: READERS, summary: 'one audit report (signed canonical JSON)' },
  'audits.html': { method: 'GET', url: '/api/v1/audits/:reportId/html', access: READERS, summary: 'one audit report as a static HTML page' },

  'log.list': { method: 'GET', url: '/api/v1/log', access: READERS, summary: 'the audit log (operator actions and round events)' },

  'accounts.list': { method: 'GET', url: '/api/v1/api-tokens', access: OPERATOR, summary: 'list API accounts (never their tokens)' },
  'accounts.create': { method: 'POST', url: '/api/v1/api-tokens', access: OPERATOR, summary: 'create an API account; the token is shown once' },
  'accounts.revoke': { method: 'POST', url: '/api/v1/api-tokens/:tokenId/revoke', access: OPERATOR, summary: 'revoke an API account' },
} as const satisfies Record<string, RoutePolicy>;

export type RouteId = keyof typeof POLICY;

export const ROUTE_IDS = Object.keys(POLICY) as RouteId[];

/** The policy of a route (typed loosely, for the authorization hook). */
export function policyOf(id: RouteId): RoutePolicy {
  return POLICY[id];
}
