// fastify's error handler: every failure answers `{ code, message }` with the catalog's HTTP status.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ConsortError } from '@consort/core';
import { ERROR_CATALOG } from '../errors/error-catalog.ts';

/** The body of every error answer (in the OpenAPI document as ErrorBody). */
export const ERROR_BODY_SCHEMA = {
  $id: 'ErrorBody',
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string', description: 'stable code, see docs/errors.md' }, message: { type: 'string', description: 'what went wrong and what to do' } },
} as const;

/** fastify's own failures (before a handler runs) as Consort errors. */
function fromFastify(err: FastifyError): ConsortError | undefined {
  if (err.validation) return new ConsortError('INVALID_ARGUMENT', `${err.message}; see the OpenAPI document at /api/v1/openapi.json`);
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ConsortError('REQUEST_TOO_LARGE', 'the request body is larger than this API accepts');
  if (err.code?.startsWith('FST_ERR_CTP_') || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ConsortError('INVALID_ARGUMENT', `${err.message}; send JSON with Content-Type: application/json`);
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new ConsortError('INVALID_ARGUMENT', err.message);
  return undefined;
}

/** Known errors answer with their code; anything else is 500 INTERNAL with the details only in the log. */
export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = err instanceof ConsortError ? err : fromFastify(err as FastifyError);
  if (!known) {
    request.log.error({ err, route: request.routeOptions.config?.routeId }, 'unexpected error in the HTTP API');
    return reply.status(500).send({ code: 'INTERNAL', message: 'unexpected coordinator error (see the coordinator log)' });
  }
  const status = ERROR_CATALOG[known.code].http;
  if (status >= 500) request.log.error({ err }, 'HTTP API failure');
  return reply.status(status).send({ code: known.code, message: known.message });
}

/** Unknown paths answer 404 NOT_FOUND in the same shape. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}; the routes are listed at /api/v1/openapi.json` });
}
