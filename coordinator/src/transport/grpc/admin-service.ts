// Thin gRPC handlers of consort.v1.AdminService (operator role, bearer token).
import type * as grpc from '@grpc/grpc-js';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AdminServiceHandlers } from '@consort/protos';
import type { RoundReport as RoundReportMessage } from '@consort/protos/types/RoundReport';
import { ConsortError, parseAuditPolicyText } from '@consort/core';
import type { RunRoundsRequest__Output } from '@consort/protos/types/RunRoundsRequest';
import type { Store } from '../../store/store.ts';
import type { MemberConnections } from '../../members/connections.ts';
import { revokeMember } from '../../members/revocation.ts';
import { droppedText, protoMetrics, type RoundReport, type RoundRunner } from '../../round/round-runner.ts';
import { issueEnrollmentTokens } from '../../federation/enrollment.ts';
import { createTask } from '../../task/task-service.ts';
import { grpcFailure } from './grpc-failure.ts';
import { memberModelFile } from '../../models/member-model-file.ts';
import { writeModelFile } from './model-file-stream.ts';
import { createFederation, federationSummaries, memberViews, taskRounds, taskSummaries } from '../../operator/operator-service.ts';
import { PeerLimiter, peerHost } from './peer-limiter.ts';
import type { CoordinatorKey } from '../../signing/coordinator-key.ts';
import type { AuditWorkflowArgs } from '../../audit/audit-workflow-args.ts';

/** Failed operator logins per peer address and minute before that address is refused for the rest of it. */
export const OPERATOR_FAILURES_PER_MINUTE = 10;

export interface AdminServiceDeps {
  store: Store;
  rounds: RoundRunner;
  connections: MemberConnections<unknown>;
  adminToken: string;
  logger: Logger;
  /** Failed operator logins allowed per peer and minute (default OPERATOR_FAILURES_PER_MINUTE). */
  operatorFailuresPerMinute?: number;
  /** Signs audit reports (RunRounds with an audit policy); without it audits are refused. */
  coordinatorKey?: CoordinatorKey;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Throws UNAUTHORIZED unless the call carries "authorization: Bearer <operator token>". */
export function checkOperator(metadata: grpc.Metadata, adminToken: string): void {
  const header = metadata.get('authorization')[0];
  const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!given) {
    throw new ConsortError('UNAUTHORIZED', 'no operator token was given: pass --token, set CONSORT_ADMIN_TOKEN, or run the command where the coordinator keeps its data (file .consort/admin-token)');
  }
  if (!timingSafeEqual(digest(given), digest(adminToken))) {
    throw new ConsortError('UNAUTHORIZED', 'the operator token was refused: it is not this coordinator\'s; use the token in the coordinator\'s data folder (file admin-token), via --token or CONSORT_ADMIN_TOKEN');
  }
}

export function toRoundReportMessage(r: RoundReport): RoundReportMessage {
  return {
    roundId: r.roundId, roundNumber: r.number, state: r.state, reason: r.reason ?? '', purpose: r.purpose,
    modelVersionId: r.modelVersionId ?? '',
    metrics: r.metrics ? protoMetrics(r.metrics) : undefined,
    participants: r.participants,
    dropped: r.dropped.map(droppedText),
  };
}

/**
 * The audit workflow's arguments of a RunRounds request, when it carries a policy, a declaration or
 * mitigations (without a policy, the audit uses the task's own, and the workflow refuses a task
 * that has none).
 */
function auditArgsOf(req: RunRoundsRequest__Output, key: CoordinatorKey | undefined): AuditWorkflowArgs | undefined {
  if (!req.auditPolicy && !req.auditIntendedUse && !req.auditDataWindow && !req.auditMitigationsJson) return undefined;
  if (!key) throw new ConsortError('INVALID_ARGUMENT', 'this coordinator has no signing key for audit reports');
  return {
    ...(req.auditPolicy ? { policy: parseAuditPolicyText(req.auditPolicy) } : {}),
    signingKey: key,
    declaration: { intendedUse: req.auditIntendedUse || undefined, dataWindow: req.auditDataWindow || undefined },
    mitigations: mitigationsOf(req.auditMitigationsJson),
  };
}

function mitigationsOf(text: string): unknown[] | undefined {
  if (!text) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list)) throw new ConsortError('INVALID_ARGUMENT', 'audit mitigations must be a JSON array of plans (consort-audit mitigate)');
  return list;
}

/**
 * AUDIT_MISSING when the task requires audits (its definition has `audit`) and this version has
 * no audit report: such a version is not released. Undefined otherwise.
 */
async function unauditedRelease(store: Store, taskId: string, modelVersionId: string, version: number): Promise<ConsortError | undefined> {
  const task = await store.getTask(taskId);
  if (task.definition.kind !== 'model' || !task.definition.audit) return undefined;
  if (await store.getAuditReportForModelVersion(modelVersionId)) return undefined;
  return new ConsortError('AUDIT_MISSING', `version ${version} of task ${taskId} has no audit report and the task requires one: it is not released (audit it with consort-coordinator audit --task ${taskId} --version ${version}, or export it anyway with --unaudited)`, { modelVersionId });
}

export function adminServiceHandlers(deps: AdminServiceDeps): AdminServiceHandlers {
  const { store, rounds, adminToken, logger } = deps;

  // Streams report errors by emitting 'error' (grpc-js then sends the status); destroy() would not.
  const fail = grpcFailure(logger, 'AdminService');
  const failures = new PeerLimiter(deps.operatorFailuresPerMinute ?? OPERATOR_FAILURES_PER_MINUTE);

  /** The token check, behind the per-peer limit: guessing the token costs a minute per 10 tries. */
  function authorize(call: { metadata: grpc.Metadata; getPeer(): string }): void {
    const peer = peerHost(call.getPeer());
    if (failures.blocked(peer)) {
      throw new ConsortError('RATE_LIMITED', `too many failed operator logins from ${peer}: refused for ${failures.secondsLeft(peer)} s more; check the token (the coordinator's data folder, file admin-token)`, { peer });
    }
    try {
      checkOperator(call.metadata, adminToken);
    } catch (err) {
      failures.record(peer);
      // Logged under a pseudonym of the address (the log never holds addresses); at most the
      // limiter's allowance per peer and minute, so a flood cannot grow the log.
      void store.appendAuditEvent({ actor: 'unauthenticated', kind: 'operator.auth_failed', subjectType: 'peer', subjectId: createHash('sha256').update(peer).digest('hex').slice(0, 16), detail: {} })
        .catch((e: unknown) => logger.error({ err: e }, 'audit event not stored'));
      throw err;
    }
  }

  /** Runs an operator call: auth first, then the domain call, errors translated once. */
  function unary<Req, Res>(where: string, fn: (req: Req) => Promise<Res>) {
    return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      Promise.resolve().then(() => {
        authorize(call);
        return fn(call.request);
      }).then((res) => callback(null, res), (err) => callback(fail(err, where, call)));
    };
  }

  return {
    CreateFederation: unary('CreateFederation', async (req) => {
      const f = await createFederation(store, req.name);
      return { id: f.id, name: f.name };
    }),
    CreateEnrollmentTokens: unary('CreateEnrollmentTokens', async (req) => {
      const { tokens, expiresAt } = await issueEnrollmentTokens(store, req.federationId, req.count, req.ttlSeconds);
      return { tokens, expiresUnixMs: String(expiresAt.getTime()) };
    }),
    CreateTask: unary('CreateTask', async (req) => {
      let input: unknown;
      try {
        input = JSON.parse(req.definitionJson) as unknown;
      } catch (err) {
        throw new ConsortError('INVALID_ARGUMENT', `definition_json is not valid JSON: ${(err as Error).message}`);
      }
      const { task, modelVersionId } = await createTask(store, req.federationId, input);
      // A segmentation task trains no model: no initial version, no parameters.
      const parameters = modelVersionId ? (await store.getModelVersionMeta(modelVersionId)).parameterCount : 0;
      return { id: task.id, name: task.name, initialModelVersionId: modelVersionId ?? '', parameterCount: String(parameters) };
    }),
    ListMembers: unary('ListMembers', async (req) => ({
      members: (await memberViews(store, deps.connections, req.federationId)).map((m) => ({ id: m.id, displayName: m.displayName, online: m.online, backend: m.backend })),
    })),
    RevokeMember: unary('RevokeMember', async (req) => {
      const r = await revokeMember({ store, connections: deps.connections, logger }, req.memberId);
      return { id: r.member.id, displayName: r.member.displayName, federationId: r.member.federationId, revokedUnixMs: String(r.member.revokedAt!.getTime()), wasConnected: r.wasConnected };
    }),
    RunRounds(call) {
      // The operator cancelling the stream (Ctrl-C) aborts the round in progress and stops the run.
      const cancel = new AbortController();
      call.on('cancelled', () => cancel.abort());
      Promise.resolve().then(async () => {
        authorize(call);
        // 0 (unset) means the task's own cap (maxRounds); early stopping usually ends sooner.
        const waitSeconds = call.request.waitForMembersSeconds || 30;
        let reports = 0;
        let lastModelVersionId: string | null = null;
        const options = {
          waitForMembersMs: waitSeconds * 1000,
          signal: cancel.signal,
          onReport: (r: RoundReport) => {
            reports += 1;
            if (r.modelVersionId) lastModelVersionId = r.modelVersionId;
            call.write(toRoundReportMessage(r));
          },
          onWaiting: (online: number, needed: number) => call.write({ waiting: { online, needed, waitSeconds } }),
        };
        const { taskId, workflow, modelVersion } = call.request;
        // The audit policy is parsed before any round: a bad policy costs no training.
        const audit = auditArgsOf(call.request, deps.coordinatorKey);
        // A declaration or mitigations without a policy describe the task's own audit: refused, before any round, for a task without one.
        if (audit && !audit.policy && !(await store.getTask(taskId)).definition.audit) {
          throw new ConsortError('INVALID_ARGUMENT', `task ${taskId} has no audit policy of its own, so --intended-use, --data-window and --mitigation have no audit to describe; give the policy (--audit-policy, or --policy for audit)`);
        }
        const run = { taskId, rounds: call.request.rounds || null, waitSeconds, workflow: workflow || null };
        await store.appendAuditEvent({ actor: 'operator', kind: 'run.started', subjectType: 'task', subjectId: taskId, detail: run });
        if (workflow === 'audit') {
          // Only the audit, of model_version (0 = the latest).
          await rounds.runWorkflow('audit', taskId, { audit, version: modelVersion || undefined }, options);
        } else if (workflow) {
          if (audit) throw new ConsortError('INVALID_ARGUMENT', `an audit policy goes with a training run or an audit, not with workflow "${workflow}"`);
          await rounds.runWorkflow(workflow, taskId, { rounds: call.request.rounds || undefined, version: modelVersion || undefined }, options);
        } else {
          // The task's own workflow; a training run audits its final version (with this policy, or the task's own).
          await rounds.runTask(taskId, call.request.rounds || undefined, options, audit);
        }
        await store.appendAuditEvent({ actor: 'coordinator', kind: 'run.finished', subjectType: 'task', subjectId: taskId, detail: { rounds: reports, lastModelVersionId } });
        call.end();
      }).catch((err) => {
        const outcome = cancel.signal.aborted ? { kind: 'run.cancelled', detail: {} } : { kind: 'run.failed', detail: { code: (err as { code?: unknown }).code ?? 'INTERNAL' } };
        void store.appendAuditEvent({ actor: cancel.signal.aborted ? 'operator' : 'coordinator', kind: outcome.kind, subjectType: 'task', subjectId: call.request.taskId, detail: outcome.detail })
          .catch((e: unknown) => logger.error({ err: e }, 'audit event not stored'));
        if (cancel.signal.aborted) logger.info({ task: call.request.taskId }, 'run cancelled by the operator');
        else call.emit('error', fail(err, 'RunRounds', call));
      });
    },
    ExportModel(call) {
      Promise.resolve().then(async () => {
        authorize(call);
        const r = call.request;
        const built = await memberModelFile(store, { taskId: r.taskId, version: r.version, modelVersionId: r.modelVersionId });
        const unaudited = await unauditedRelease(store, built.file.taskId, built.file.modelVersionId, built.file.version);
        if (unaudited && !r.allowUnaudited) throw unaudited;
        await store.appendAuditEvent({
          actor: 'operator', kind: 'model.exported', subjectType: 'model', subjectId: built.file.modelVersionId,
          detail: { taskId: built.file.taskId, version: built.file.version, sha256: built.file.sha256, ...(unaudited ? { unaudited: true } : {}) },
        });
        await writeModelFile(call, built);
      }).catch((err) => call.emit('error', fail(err, 'ExportModel', call)));
    },
    ListFederations: unary('ListFederations', async () => ({
      federations: (await federationSummaries(store)).map((f) => ({
        id: f.id, name: f.name, createdUnixMs: String(f.createdAt.getTime()), members: f.members, tasks: f.tasks,
      })),
    })),
    ListTasks: unary('ListTasks', async (req) => ({
      tasks: (await taskSummaries(store, req.federationId)).map((t) => ({
        id: t.id, name: t.name, kind: t.kind, minMembers: t.minMembers, aggregation: t.aggregation, rounds: t.rounds,
        latestVersion: t.latestVersion, latestModelVersionId: t.latestModelVersionId, createdUnixMs: String(t.createdAt.getTime()),
      })),
    })),
    ListRounds: unary('ListRounds', async (req) => ({
      rounds: (await taskRounds(store, req.taskId)).map((r) => ({
        id: r.id, number: r.number, state: r.state, reason: r.reason ?? '', resultModelVersionId: r.resultModelVersionId ?? '',
        participants: r.participants.length, dropped: r.dropped, startedUnixMs: String(r.startedAt.getTime()),
        finishedUnixMs: r.finishedAt ? String(r.finishedAt.getTime()) : '0',
      })),
    })),
  };
}
