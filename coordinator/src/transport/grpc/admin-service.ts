// Thin gRPC handlers of consort.v1.AdminService (operator role, bearer token).
import type * as grpc from '@grpc/grpc-js';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AdminServiceHandlers } from '@consort/protos';
import type { RoundReport as RoundReportMessage } from '@consort/protos/types/RoundReport';
import { ConsortError, type TaskDefinitionInput } from '@consort/core';
import type { Store } from '../../store/store.ts';
import type { MemberConnections } from '../../members/connections.ts';
import { protoMetrics, type RoundReport, type RoundRunner } from '../../round/round-runner.ts';
import { issueEnrollmentTokens } from '../../federation/enrollment.ts';
import { createTask } from '../../task/task-service.ts';
import { toGrpcError } from '../../errors/error-catalog.ts';

export interface AdminServiceDeps {
  store: Store;
  rounds: RoundRunner;
  connections: MemberConnections<unknown>;
  adminToken: string;
  logger: Logger;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Throws UNAUTHORIZED unless the call carries "authorization: Bearer <operator token>". */
export function checkOperator(metadata: grpc.Metadata, adminToken: string): void {
  const header = metadata.get('authorization')[0];
  const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!given || !timingSafeEqual(digest(given), digest(adminToken))) {
    throw new ConsortError('UNAUTHORIZED', 'operator calls need "authorization: Bearer <token>" with the coordinator\'s operator token (see its data folder, file admin-token)');
  }
}

export function toRoundReportMessage(r: RoundReport): RoundReportMessage {
  return {
    roundId: r.roundId, roundNumber: r.number, state: r.state, reason: r.reason ?? '', purpose: r.purpose,
    modelVersionId: r.modelVersionId ?? '',
    metrics: r.metrics ? protoMetrics(r.metrics) : undefined,
    participants: r.participants,
    dropped: r.dropped.map((d) => `${d.memberId}: ${d.reason}`),
  };
}

export function adminServiceHandlers(deps: AdminServiceDeps): AdminServiceHandlers {
  const { store, rounds, adminToken, logger } = deps;

  // Streams report errors by emitting 'error' (grpc-js then sends the status); destroy() would not.
  function fail(err: unknown, where: string): grpc.ServiceError {
    const e = toGrpcError(err);
    if (e.code === 13) logger.error({ err, where }, 'unexpected error');
    return Object.assign(new Error(e.details), { code: e.code, details: e.details, metadata: undefined as never });
  }

  /** Runs an operator call: auth first, then the domain call, errors translated once. */
  function unary<Req, Res>(where: string, fn: (req: Req) => Promise<Res>) {
    return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      Promise.resolve().then(() => {
        checkOperator(call.metadata, adminToken);
        return fn(call.request);
      }).then((res) => callback(null, res), (err) => callback(fail(err, where)));
    };
  }

  return {
    CreateFederation: unary('CreateFederation', async (req) => {
      if (!req.name.trim()) throw new ConsortError('INVALID_ARGUMENT', 'federation name must not be empty');
      const f = await store.createFederation(req.name.trim());
      await store.appendAuditEvent({ actor: 'operator', kind: 'federation.created', subjectType: 'federation', subjectId: f.id, detail: { name: f.name } });
      return { id: f.id, name: f.name };
    }),
    CreateEnrollmentTokens: unary('CreateEnrollmentTokens', async (req) => {
      const { tokens, expiresAt } = await issueEnrollmentTokens(store, req.federationId, req.count, req.ttlSeconds);
      return { tokens, expiresUnixMs: String(expiresAt.getTime()) };
    }),
    CreateTask: unary('CreateTask', async (req) => {
      let input: TaskDefinitionInput;
      try {
        input = JSON.parse(req.definitionJson) as TaskDefinitionInput;
      } catch (err) {
        throw new ConsortError('INVALID_ARGUMENT', `definition_json is not valid JSON: ${(err as Error).message}`);
      }
      const { task, modelVersionId } = await createTask(store, req.federationId, input);
      const mv = await store.getModelVersionMeta(modelVersionId);
      return { id: task.id, name: task.name, initialModelVersionId: modelVersionId, parameterCount: String(mv.parameterCount) };
    }),
    ListMembers: unary('ListMembers', async (req) => {
      const members = await store.listMembers(req.federationId);
      return {
        members: members.map((m) => ({
          id: m.id, displayName: m.displayName, online: deps.connections.isOnline(m.id), backend: deps.connections.backendOf(m.id) ?? m.backend ?? '',
        })),
      };
    }),
    RunRounds(call) {
      Promise.resolve().then(async () => {
        checkOperator(call.metadata, adminToken);
        // 0 (unset) means the task's own cap (maxRounds); early stopping usually ends sooner.
        await rounds.runTask(call.request.taskId, call.request.rounds || undefined, {
          waitForMembersMs: (call.request.waitForMembersSeconds || 30) * 1000,
          onReport: (r) => call.write(toRoundReportMessage(r)),
        });
        call.end();
      }).catch((err) => call.emit('error', fail(err, 'RunRounds')));
    },
  };
}
