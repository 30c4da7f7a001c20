// Declares a route from its policy entry: method, path and route id come from policy.ts only.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { POLICY, type RouteId } from './policy.ts';

/** The error answers every route may give (fastify's `default`/`4xx` keys). */
const ERROR_RESPONSES = { '4xx': { $ref: 'ErrorBody#' }, '5xx': { $ref: 'ErrorBody#' } };

// Handlers see params/query/body as the schema describes them; the schema is what validates them.
type AnyRequest = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string | number | boolean | undefined>; Body: Record<string, unknown> }>;

/** Registers `handler` as route `id`, with its request/response schema and the error bodies. */
export function route(
  app: FastifyInstance,
  id: RouteId,
  schema: FastifySchema & { response: Record<string, unknown> },
  handler: (request: AnyRequest, reply: FastifyReply) => Promise<unknown>,
): void {
  const p = POLICY[id];
  const isPublic = 'public' in p && p.public;
  app.route({
    method: p.method,
    url: p.url,
    config: { routeId: id },
    schema: {
      operationId: id,
      summary: p.summary,
      tags: [id.split('.')[0]],
      ...(isPublic ? { security: [] } : {}),
      ...schema,
      response: { ...schema.response, ...ERROR_RESPONSES },
    },
    handler: handler as (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  });
}

/** An ISO date, or null. */
export const iso = (d: Date | undefined | null): string | null => (d ? d.toISOString() : null);

/** Schema helpers. */
export const S = {
  id: { type: 'string', minLength: 1, maxLength: 200 },
  str: { type: 'string' },
  int: { type: 'integer' },
  bool: { type: 'boolean' },
  date: { type: 'string', format: 'date-time' },
  dateOrNull: { type: ['string', 'null'], format: 'date-time' },
  strOrNull: { type: ['string', 'null'] },
  anyObject: { type: 'object', additionalProperties: true },
  obj: (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({ type: 'object', properties, required, additionalProperties: false }),
  params: (...names: string[]) => ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, { type: 'string', minLength: 1, maxLength: 200 }])), required: names }),
  array: (items: unknown) => ({ type: 'array', items }),
} as const;
