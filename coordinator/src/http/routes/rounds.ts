// HTTP routes of rounds: start a run, its state, abort it, list and show rounds, watch live (SSE).
import type { FastifyInstance } from 'fastify';
import { ConsortError, parseAuditPolicy, parseAuditPolicyText } from '@consort/core';
import type { AuditWorkflowArgs } from '../../audit/audit-workflow-args.ts';
import { actorOf } from '../../accounts/api-tokens.ts';
import { taskRounds } from '../../operator/operator-service.ts';
import type { ApiDeps } from '../api-deps.ts';
import { route, S } from '../route.ts';
import { RoundEventTracker, roundSnapshot, runSnapshot, runWithReports, sseFrame } from './round-events.ts';

const RUN = S.obj({
  taskId: S.str, state: { type: 'string', enum: ['waiting', 'running', 'finished', 'failed', 'aborted'] }, startedAt: S.date, finishedAt: S.dateOrNull,
  startedBy: S.str, waiting: { type: ['object', 'null'], properties: { online: S.int, needed: S.int } }, rounds: S.int, error: S.strOrNull,
});
const ROUND = S.obj({
  roundId: S.str, taskId: S.str, number: S.int, state: S.str, reason: S.strOrNull, participants: S.int, dropped: S.array(S.str), survivors: S.int,
  deadline: S.dateOrNull, startedAt: S.date, updatedAt: S.date, finishedAt: S.dateOrNull, resultModelVersionId: S.strOrNull,
  metrics: { type: ['object', 'null'], additionalProperties: true },
});

interface AuditBody { policy?: Record<string, unknown> | string; intendedUse?: string; dataWindow?: string; mitigations?: unknown[] }

/** The audit workflow's arguments of a run request (the coordinator's key signs: the runner holds it). */
function auditArgsOf(a: AuditBody | undefined): AuditWorkflowArgs | undefined {
  if (!a) return undefined;
  const policy = a.policy === undefined ? undefined : typeof a.policy === 'string' ? parseAuditPolicyText(a.policy) : parseAuditPolicy(a.policy);
  return {
    ...(policy ? { policy } : {}),
    declaration: { intendedUse: a.intendedUse, dataWindow: a.dataWindow },
    ...(a.mitigations?.length ? { mitigations: a.mitigations } : {}),
  };
}

/** Comment line sent when nothing happened for this long, so proxies keep the stream open. */
const HEARTBEAT_MS = 15_000;

export async function roundRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store, runs } = deps;

  route(app, 'rounds.start', {
    params: S.params('taskId'),
    body: {
      type: ['object', 'null'],
      properties: {
        rounds: { type: 'integer', minimum: 1, maximum: 10_000, description: 'training rounds at most (default: the task\'s maxRounds)' },
        waitSeconds: { type: 'integer', minimum: 1, maximum: 86_400, default: 60, description: 'wait for enough members before each round' },
        workflow: { type: 'string', minLength: 1, maxLength: 64, description: 'a workflow other than the task\'s own, e.g. "evaluate" (drift check); default: the task\'s kind' },
        modelVersion: { type: 'integer', minimum: 1, description: 'the published model version the workflow works on (default: the latest)' },
        audit: {
          type: 'object',
          description: 'a fairness audit (docs/audits.md): with workflow "audit", of modelVersion; with a training run, of its final version. Without policy: the task\'s own (audit.policy)',
          properties: {
            policy: { anyOf: [{ type: 'object' }, { type: 'string' }], description: 'the audit policy, as an object or as YAML/JSON text; fixed and hashed before the round' },
            intendedUse: { type: 'string', minLength: 1, maxLength: 2000 },
            dataWindow: { type: 'string', minLength: 1, maxLength: 2000 },
            mitigations: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'mitigation plans applied before this version (consort-audit mitigate)' },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    response: { 202: RUN },
  }, async (request, reply) => {
    const task = await store.getTask(request.params.taskId);
    const body = request.body ?? {};
    const workflow = body.workflow as string | undefined;
    const audit = auditArgsOf(body.audit as AuditBody | undefined);
    // Refused here, before any round: a bad policy, an audit with another workflow, an audit with no policy anywhere.
    if (audit && workflow !== undefined && workflow !== 'audit') {
      throw new ConsortError('INVALID_ARGUMENT', `an audit goes with a training run or workflow "audit", not with workflow "${workflow}"`);
    }
    const wantsAudit = workflow === 'audit' || audit !== undefined;
    if (wantsAudit && !audit?.policy && !task.definition.audit) {
      throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} has no audit policy of its own; give one as audit.policy`);
    }
    const run = runs.start(request.params.taskId, {
      rounds: body.rounds as number | undefined, waitForMembersMs: Number(body.waitSeconds ?? 60) * 1000, startedBy: actorOf(request.account!),
      workflow, version: body.modelVersion as number | undefined, ...(audit ? { audit } : {}),
    });
    return reply.status(202).send(runSnapshot(run));
  });

  const RUN_WITH_REPORTS = { ...RUN, properties: { ...RUN.properties, reports: S.array(S.anyObject) } };
  route(app, 'rounds.run', { params: S.params('taskId'), response: { 200: S.obj({ run: { anyOf: [RUN_WITH_REPORTS, { type: 'null' }] } }) } }, async (request) => {
    await store.getTask(request.params.taskId);
    const run = runs.get(request.params.taskId);
    return { run: run ? runWithReports(run) : null };
  });

  route(app, 'rounds.abort', { params: S.params('taskId'), response: { 200: RUN } }, async (request) => runSnapshot(await runs.abort(request.params.taskId)));

  route(app, 'rounds.list', { params: S.params('taskId'), response: { 200: S.obj({ rounds: S.array(ROUND) }) } }, async (request) => ({
    rounds: (await taskRounds(store, request.params.taskId)).map(roundSnapshot),
  }));

  route(app, 'rounds.show', { params: S.params('roundId'), response: { 200: ROUND } }, async (request) => roundSnapshot(await store.getRound(request.params.roundId)));

  route(app, 'rounds.watch', {
    params: S.params('taskId'),
    querystring: {
      type: 'object',
      properties: {
        follow: { type: 'boolean', default: true, description: 'false: send what is known now and end' },
        untilRunEnds: { type: 'boolean', default: false, description: 'end the stream once the run started over this API has ended' },
        after: { type: 'integer', minimum: 0, default: 0, description: 'only stage events after this event id (or send Last-Event-ID)' },
      },
      additionalProperties: false,
    },
    response: { 200: { type: 'string', description: 'text/event-stream: events `round` (a round record changed), `stage` (an audit event of a round), `run` (the run\'s state)' } },
  }, async (request, reply) => {
    const { taskId } = request.params;
    await store.getTask(taskId);
    const lastEventId = Number(request.headers['last-event-id'] ?? 0) || 0;
    const tracker = new RoundEventTracker(store, taskId, Math.max(Number(request.query.after ?? 0), lastEventId));
    const follow = request.query.follow !== false;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // Send the headers now: a watcher of a quiet task would otherwise wait for the first event to learn it is connected.
    res.flushHeaders();
    let closed = false;
    request.raw.on('close', () => { closed = true; });
    let quietSince = Date.now();
    try {
      for (;;) {
        const run = runs.get(taskId);
        // Whether the run had ended before this poll read the store: then the poll saw all it stored.
        const endedBefore = !run || Boolean(run.finishedAt);
        const events = await tracker.poll(run);
        for (const e of events) res.write(sseFrame(e));
        if (events.length > 0) quietSince = Date.now();
        else if (Date.now() - quietSince > HEARTBEAT_MS) { res.write(': still watching\n\n'); quietSince = Date.now(); }
        // End after a poll that began once the run had ended and found every closed round's last event.
        if (closed || !follow || (request.query.untilRunEnds && endedBefore && tracker.settled)) break;
        await new Promise((r) => setTimeout(r, deps.watchPollMs ?? 500));
      }
    } catch (err) {
      request.log.error({ err, taskId }, 'round watch stream failed');
      res.write(`event: error\ndata: ${JSON.stringify({ code: 'INTERNAL', message: 'the watch stream failed (see the coordinator log); reconnect with Last-Event-ID' })}\n\n`);
    }
    res.end();
  });
}
