// The HTTP API suite, written once and run per database (test/http-api.<db>.test.ts): the
// authorization matrix generated from the policy table, errors, every area's routes, the live stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import {
  buildApp, issueApiToken, MemberConnections, openStore, POLICY, ROUTE_IDS, revokeApiToken, TaskRuns, createTask,
  type RoundRunner, type RouteId, type Store,
} from '@consort/coordinator';
import { weightsSha256Hex, type TaskDefinitionInput } from '@consort/core';
import type { TestDatabase } from './support/databases.ts';

const logger = pino({ level: process.env.CONSORT_TEST_LOG ?? 'silent' });

export const CHURN_TASK: TaskDefinitionInput = {
  name: 'churn', label: 'churned', numeric: ['tenure_days', 'recency_days'], categorical: { plan: ['basic', 'premium'] },
  model: { kind: 'logistic', task: 'binary' }, minMembers: 3, aggregation: 'secure',
} as unknown as TaskDefinitionInput;

type Runner = Pick<RoundRunner, 'runTask'>;

/**
 * A stand-in for the round runner that writes what the real one writes (a round record moving
 * through its stages and the coordinator's audit events), so the API's stream is derived from the
 * store exactly as in a real run. It waits for `release()` before publishing, or for an abort.
 */
function scriptedRunner(store: Store) {
  let release: () => void = () => undefined;
  const runner: Runner = {
    async runTask(taskId, _rounds, options = {}) {
      // Armed before the round exists: a test may release it as soon as it sees the round.
      const released = new Promise<void>((resolve) => { release = resolve; });
      const base = (await store.listModelVersions(taskId))[0];
      options.onWaiting?.(1, 2);
      const number = (await store.listRounds(taskId)).length + 1;
      let r = await store.createRound({ taskId, number, state: 'open', deadlines: { advertise_keys: Date.now() + 60_000 }, baseModelVersionId: base.id, participants: ['m-a', 'm-b', 'm-c'] });
      await store.appendAuditEvent({ actor: 'coordinator', kind: 'round.created', subjectType: 'round', subjectId: r.id, detail: { taskId, number } });
      for (const [from, to] of [['open', 'advertise_keys'], ['advertise_keys', 'share_keys'], ['share_keys', 'masked_input']] as const) {
        r = await store.updateRound(r.id, from, { state: to, ...(to === 'masked_input' ? { dropped: ['m-c: disconnected (masked_input)'] } : {}) });
        await store.appendAuditEvent({ actor: 'coordinator', kind: `round.${to}`, subjectType: 'round', subjectId: r.id, detail: {} });
      }
      const aborted = new Promise<void>((resolve) => (options.signal?.aborted ? resolve() : options.signal?.addEventListener('abort', () => resolve())));
      await Promise.race([aborted, released]);
      if (options.signal?.aborted) {
        await store.updateRound(r.id, 'masked_input', { state: 'aborted', reason: 'cancelled by the operator', finishedAt: new Date() });
        await store.appendAuditEvent({ actor: 'coordinator', kind: 'round.aborted', subjectType: 'round', subjectId: r.id, detail: { reason: 'cancelled by the operator' } });
        return [];
      }
      await store.updateRound(r.id, 'masked_input', { state: 'published', finishedAt: new Date() });
      await store.appendAuditEvent({ actor: 'coordinator', kind: 'round.published', subjectType: 'round', subjectId: r.id, detail: {} });
      const report = { roundId: r.id, number, purpose: 'train', state: 'published', participants: ['m-a', 'm-b'], dropped: [] } as const;
      options.onReport?.(report as never);
      return [report as never];
    },
  };
  return { runner, release: () => release() };
}

interface World {
  store: Store;
  app: Awaited<ReturnType<typeof buildApp>>;
  runs: TaskRuns;
  release: () => void;
  ids: { federation: string; otherFederation: string; member: string; otherMember: string; spareMember: string; task: string; otherTask: string; round: string; model: string; spareToken: string };
  tokens: { operator: string; auditor: string; contact: string; expired: string; revoked: string };
}

async function enroll(store: Store, federationId: string, name: string): Promise<string> {
  const hash = randomBytes(32).toString('hex');
  await store.createEnrollmentTokens(federationId, [hash], new Date(Date.now() + 60_000));
  return (await store.consumeEnrollmentToken(hash, { displayName: name, identityPublicKey: randomBytes(32) }, new Date())).id;
}

async function makeWorld(url: string): Promise<World> {
  const store = await openStore(url);
  const { runner, release } = scriptedRunner(store);
  const runs = new TaskRuns(runner);
  const app = await buildApp({ store, connections: new MemberConnections(), runs, logger, watchPollMs: 20, authFailuresPerMinute: 10_000 });
  const federation = (await store.createFederation('north')).id;
  const otherFederation = (await store.createFederation('south')).id;
  const member = await enroll(store, federation, 'Shop A');
  const spareMember = await enroll(store, federation, 'Shop Spare');
  const otherMember = await enroll(store, otherFederation, 'Shop Z');
  const { task, modelVersionId } = await createTask(store, federation, CHURN_TASK);
  const otherTask = (await createTask(store, otherFederation, CHURN_TASK)).task.id;
  const v0 = await store.getModelVersion(modelVersionId!);
  const round = await store.createRound({ taskId: task.id, number: 1, state: 'open', deadlines: {}, baseModelVersionId: modelVersionId, participants: [member] });
  await store.updateRound(round.id, 'open', { state: 'aborted', reason: 'test', finishedAt: new Date() });
  const model = await store.createModelVersion({ taskId: task.id, version: 1, roundId: round.id, weights: v0.weights.map((w) => w + 0.5), sha256: weightsSha256Hex(Float32Array.from(v0.weights.map((w) => w + 0.5))), metrics: { evalLoss: 0.5, evaluation: { auc: 0.7 } } });
  const past = new Date(Date.now() - 7_200_000);
  const issue = async (role: 'operator' | 'auditor' | 'member-contact', name: string, extra: { memberId?: string; lifetimeMs?: number; now?: Date } = {}) =>
    issueApiToken(store, { name, role, issuedBy: 'test', ...extra });
  const tokens = {
    operator: (await issue('operator', 'olga')).token,
    auditor: (await issue('auditor', 'alice')).token,
    contact: (await issue('member-contact', 'carl', { memberId: member })).token,
    expired: (await issue('operator', 'eve', { lifetimeMs: 3_600_000, now: past })).token,
    revoked: '',
  };
  const revoked = await issue('operator', 'rex');
  await revokeApiToken(store, revoked.account.id, 'test');
  tokens.revoked = revoked.token;
  const spareToken = (await issue('auditor', 'spare')).account.id;
  return {
    store, app, runs, release,
    ids: { federation, otherFederation, member, otherMember, spareMember, task: task.id, otherTask, round: round.id, model: model.id, spareToken },
    tokens,
  };
}

/** A request for a route, its path parameters filled with subjects of the member contact's federation. */
function requestFor(w: World, id: RouteId): { method: 'GET' | 'POST'; url: string; payload?: unknown } {
  const p = POLICY[id];
  const values: Record<string, string> = {
    federationId: w.ids.federation, memberId: id === 'members.revoke' ? w.ids.spareMember : w.ids.member, taskId: w.ids.task, roundId: w.ids.round,
    modelVersionId: w.ids.model, reportId: 'no-such-report', tokenId: w.ids.spareToken,
  };
  let url: string = p.url.replace(/:(\w+)/g, (_, name: string) => values[name]);
  if (id === 'models.compare') url += '?a=0&b=1';
  if (id === 'rounds.watch') url += '?follow=false';
  const bodies: Partial<Record<RouteId, unknown>> = {
    'federations.create': { name: 'matrix' }, 'members.invite': { count: 1 }, 'tasks.create': CHURN_TASK,
    'accounts.create': { name: 'matrix', role: 'auditor', expires: '1d' }, 'rounds.start': {},
  };
  return { method: p.method, url, payload: p.method === 'POST' ? bodies[id] ?? {} : undefined };
}

const bearer = (token: string | undefined) => (token ? { authorization: `Bearer ${token}` } : {});

export function httpApiSuite(db: { name: string; create: () => Promise<TestDatabase> }): void {
  describe(`HTTP API (${db.name})`, () => {
    let database: TestDatabase;
    let w: World;

    beforeAll(async () => {
      database = await db.create();
      w = await makeWorld(database.url);
    });

    afterAll(async () => {
      await w?.runs.abortAll();
      await w?.app.close();
      await w?.store.close();
      await database?.drop();
    });

    const call = async (token: string | undefined, r: { method: 'GET' | 'POST'; url: string; payload?: unknown }) =>
      w.app.inject({ method: r.method, url: r.url, headers: bearer(token), ...(r.payload !== undefined ? { payload: r.payload as object } : {}) });

    describe('authorization matrix (every role × every route, from the policy table)', () => {
      const identities = ['none', 'expired', 'revoked', 'operator', 'auditor', 'member-contact'] as const;
      for (const id of ROUTE_IDS) {
        for (const who of identities) {
          const p = POLICY[id];
          const isPublic = 'public' in p && p.public;
          const access = (p.access as Record<string, string | undefined>)[who];
          const expected = isPublic ? 'allowed' : ['none', 'expired', 'revoked'].includes(who) ? 'unauthenticated' : access ? 'allowed' : 'forbidden';
          it(`${id} as ${who}: ${expected}`, async () => {
            const token = who === 'none' ? undefined : who === 'member-contact' ? w.tokens.contact : w.tokens[who];
            const res = await call(token, requestFor(w, id));
            const body = res.headers['content-type']?.toString().includes('json') ? res.json() : undefined;
            if (expected === 'unauthenticated') {
              expect(res.statusCode).toBe(401);
              expect(body.code).toBe('API_TOKEN_INVALID');
            } else if (expected === 'forbidden') {
              expect(res.statusCode).toBe(403);
              expect(body.code).toBe('UNAUTHORIZED');
            } else {
              expect([401, 403, 500], `${res.statusCode} ${res.body.slice(0, 300)}`).not.toContain(res.statusCode);
            }
          });
        }
      }
    });

    describe('member contacts see only their own member', () => {
      it('refuses another member and another federation\'s task, allows its own', async () => {
        const own = await call(w.tokens.contact, { method: 'GET', url: `/api/v1/members/${w.ids.member}` });
        expect(own.statusCode).toBe(200);
        expect(own.json()).toMatchObject({ id: w.ids.member, displayName: 'Shop A', state: 'offline', online: false, lastSeenAt: null });
        const other = await call(w.tokens.contact, { method: 'GET', url: `/api/v1/members/${w.ids.spareMember}` });
        expect(other.statusCode).toBe(403);
        const otherTask = await call(w.tokens.contact, { method: 'GET', url: `/api/v1/tasks/${w.ids.otherTask}/models` });
        expect(otherTask.statusCode).toBe(403);
        expect(otherTask.json().code).toBe('UNAUTHORIZED');
        const ownTask = await call(w.tokens.contact, { method: 'GET', url: `/api/v1/tasks/${w.ids.task}/models` });
        expect(ownTask.statusCode).toBe(200);
      });
    });

    describe('accounts and the log', () => {
      it('says why a token is refused, and logs refusals and requests with the actor', async () => {
        const expired = await call(w.tokens.expired, { method: 'GET', url: '/api/v1/me' });
        expect(expired.json().message).toMatch(/eve expired on/);
        const revoked = await call(w.tokens.revoked, { method: 'GET', url: '/api/v1/me' });
        expect(revoked.json().message).toMatch(/rex was revoked/);
        const unknown = await call('cst_not-a-token', { method: 'GET', url: '/api/v1/me' });
        expect(unknown.json().message).toMatch(/not one this coordinator issued/);
        await call(w.tokens.auditor, { method: 'POST', url: '/api/v1/federations', payload: { name: 'nope' } });
        const me = await call(w.tokens.operator, { method: 'GET', url: '/api/v1/me' });
        expect(me.json()).toMatchObject({ name: 'olga', role: 'operator', memberId: null, revokedAt: null });
        expect(me.body).not.toMatch(/tokenHash/);
        const log = await call(w.tokens.auditor, { method: 'GET', url: '/api/v1/log?limit=1000&after=0' });
        expect(log.statusCode).toBe(200);
        const events = log.json().events as { id: number; actor: string; kind: string; subjectId: string; detail: Record<string, unknown> }[];
        expect(events.some((e) => e.kind === 'api.auth_failed' && e.actor === 'anonymous' && e.subjectId === 'me')).toBe(true);
        expect(events.some((e) => e.kind === 'api.denied' && e.actor === 'auditor:alice' && e.subjectId === 'federations.create')).toBe(true);
        expect(events.some((e) => e.kind === 'api.request' && e.actor === 'operator:olga' && e.subjectId === 'me' && e.detail.status === 200)).toBe(true);
        // A repeated identical read (a polling dashboard) is not written again within the window.
        const meReads = async () => ((await call(w.tokens.auditor, { method: 'GET', url: '/api/v1/log?kind=api.request&limit=1000' })).json().events as { actor: string; subjectId: string }[])
          .filter((e) => e.actor === 'operator:olga' && e.subjectId === 'me').length;
        const before = await meReads();
        await call(w.tokens.operator, { method: 'GET', url: '/api/v1/me' });
        expect(await meReads()).toBe(before);
        const paged = await call(w.tokens.auditor, { method: 'GET', url: `/api/v1/log?limit=2&after=${events[0].id}` });
        expect(paged.json().events).toHaveLength(2);
        expect(paged.json().next).toBe(paged.json().events[1].id);
        const filtered = await call(w.tokens.auditor, { method: 'GET', url: '/api/v1/log?kind=api.denied' });
        expect((filtered.json().events as { kind: string }[]).every((e) => e.kind === 'api.denied')).toBe(true);
      });

      it('creates an account whose token works once shown, and revokes it', async () => {
        const created = await call(w.tokens.operator, { method: 'POST', url: '/api/v1/api-tokens', payload: { name: 'dora', role: 'auditor', expires: '30d' } });
        expect(created.statusCode).toBe(201);
        const { token, account } = created.json() as { token: string; account: { id: string; expiresAt: string } };
        expect(token).toMatch(/^cst_/);
        expect(Date.parse(account.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
        expect((await call(token, { method: 'GET', url: '/api/v1/audits' })).statusCode).toBe(200);
        const list = await call(w.tokens.operator, { method: 'GET', url: '/api/v1/api-tokens' });
        expect(list.body).not.toContain(token);
        expect((await call(w.tokens.operator, { method: 'POST', url: `/api/v1/api-tokens/${account.id}/revoke` })).statusCode).toBe(200);
        expect((await call(token, { method: 'GET', url: '/api/v1/audits' })).statusCode).toBe(401);
        const bad = await call(w.tokens.operator, { method: 'POST', url: '/api/v1/api-tokens', payload: { name: 'x', role: 'member-contact' } });
        expect(bad.statusCode).toBe(400);
        expect(bad.json().message).toMatch(/--member/);
      });
    });

    describe('errors', () => {
      it('answers unknown paths, bad input and unknown ids with catalog codes', async () => {
        const missing = await call(w.tokens.operator, { method: 'GET', url: '/api/v1/nothing-here' });
        expect(missing.statusCode).toBe(404);
        expect(missing.json().code).toBe('NOT_FOUND');
        const invalid = await call(w.tokens.operator, { method: 'POST', url: '/api/v1/federations', payload: { name: '' } });
        expect(invalid.statusCode).toBe(400);
        expect(invalid.json().code).toBe('INVALID_ARGUMENT');
        const unknownTask = await call(w.tokens.operator, { method: 'GET', url: '/api/v1/tasks/no-such-task' });
        expect(unknownTask.statusCode).toBe(404);
        expect(unknownTask.json().code).toBe('NOT_FOUND');
        const noReport = await call(w.tokens.auditor, { method: 'GET', url: '/api/v1/audits/r1' });
        expect(noReport.statusCode).toBe(404);
        expect(noReport.json().code).toBe('NO_AUDIT_REPORT');
        const badTask = await call(w.tokens.operator, { method: 'POST', url: `/api/v1/federations/${w.ids.federation}/tasks`, payload: { name: 'x' } });
        expect(badTask.statusCode).toBe(400);
        expect(badTask.json().code).toBe('INVALID_ARGUMENT');
      });
    });

    describe('rate limit and unexpected errors', () => {
      it('refuses an address after its failed logins, others go on', async () => {
        const app = await buildApp({ store: w.store, connections: new MemberConnections(), runs: w.runs, logger, authFailuresPerMinute: 3 });
        try {
          const from = (ip: string, token: string) => app.inject({ method: 'GET', url: '/api/v1/me', remoteAddress: ip, headers: bearer(token) });
          for (let i = 0; i < 3; i++) expect((await from('10.1.1.1', `cst_guess${i}`)).statusCode).toBe(401);
          const blocked = await from('10.1.1.1', w.tokens.operator);
          expect(blocked.statusCode).toBe(429);
          expect(blocked.json()).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/too many failed API logins from 10\.1\.1\.1/) });
          expect((await from('10.2.2.2', w.tokens.operator)).statusCode).toBe(200);
        } finally {
          await app.close();
        }
      });

      it('answers 500 INTERNAL without the details of an unexpected failure', async () => {
        const broken = new Proxy(w.store, {
          get: (target, prop, receiver) => (prop === 'listFederations' ? async () => { throw new Error('secret connection string'); } : Reflect.get(target, prop, receiver) as unknown),
        });
        const app = await buildApp({ store: broken, connections: new MemberConnections(), runs: w.runs, logger });
        try {
          const res = await app.inject({ method: 'GET', url: '/api/v1/federations', headers: bearer(w.tokens.operator) });
          expect(res.statusCode).toBe(500);
          expect(res.json().code).toBe('INTERNAL');
          expect(res.body).not.toContain('secret');
        } finally {
          await app.close();
        }
      });
    });

    describe('areas', () => {
      it('federations, invitations, members, tasks', async () => {
        const f = await call(w.tokens.operator, { method: 'POST', url: '/api/v1/federations', payload: { name: 'east' } });
        expect(f.statusCode).toBe(201);
        const fid = f.json().id as string;
        const list = await call(w.tokens.operator, { method: 'GET', url: '/api/v1/federations' });
        expect(list.json().federations).toContainEqual(expect.objectContaining({ id: fid, name: 'east', members: 0, tasks: 0 }));
        const invite = await call(w.tokens.operator, { method: 'POST', url: `/api/v1/federations/${fid}/enrollment-tokens`, payload: { count: 3, ttlSeconds: 600 } });
        expect(invite.statusCode).toBe(201);
        expect(invite.json().tokens).toHaveLength(3);
        const t = await call(w.tokens.operator, { method: 'POST', url: `/api/v1/federations/${fid}/tasks`, payload: CHURN_TASK });
        expect(t.statusCode).toBe(201);
        expect(t.json().parameterCount).toBeGreaterThan(0);
        const shown = await call(w.tokens.operator, { method: 'GET', url: `/api/v1/tasks/${t.json().id as string}` });
        expect(shown.json().definition).toMatchObject({ name: 'churn', label: 'churned', aggregation: 'secure' });
        const tasks = await call(w.tokens.operator, { method: 'GET', url: `/api/v1/federations/${fid}/tasks` });
        expect(tasks.json().tasks).toEqual([expect.objectContaining({ id: t.json().id, kind: 'logistic', latestVersion: 0, rounds: 0 })]);
        await w.store.touchMember(w.ids.member, { lastSeenAt: new Date('2026-01-02T03:04:05Z'), backend: 'wasm' });
        const members = await call(w.tokens.operator, { method: 'GET', url: `/api/v1/federations/${w.ids.federation}/members` });
        expect(members.json().members).toContainEqual(expect.objectContaining({ id: w.ids.member, state: 'offline', lastSeenAt: '2026-01-02T03:04:05.000Z', backend: 'wasm' }));
      });

      it('model versions: list, compare, the member model file and its ONNX graph', async () => {
        const list = await call(w.tokens.operator, { method: 'GET', url: `/api/v1/tasks/${w.ids.task}/models` });
        expect(list.json().models.map((m: { version: number }) => m.version)).toEqual([0, 1]);
        const cmp = await call(w.tokens.operator, { method: 'GET', url: `/api/v1/tasks/${w.ids.task}/models/compare?a=0&b=1` });
        expect(cmp.json().metrics).toContainEqual({ name: 'evaluation.auc', a: null, b: 0.7, delta: null });
        const file = await call(w.tokens.contact, { method: 'GET', url: `/api/v1/models/${w.ids.model}/model-file` });
        expect(file.statusCode).toBe(200);
        expect(file.headers['content-disposition']).toMatch(/churn-v1\.json/);
        expect(file.json()).toMatchObject({ modelVersionId: w.ids.model, version: 1, sha256: weightsSha256Hex(Float32Array.from(file.json().weights as number[])) });
        // This version was stored without a fitted pipeline (no statistics round): no graph, and the answer says why.
        // A served graph of a trained version is compared byte for byte with export-onnx's in test/http-cli.test.ts.
        const onnx = await call(w.tokens.operator, { method: 'GET', url: `/api/v1/models/${w.ids.model}/onnx` });
        expect(onnx.statusCode).toBe(400);
        expect(onnx.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/no fitted preprocessing/) });
      });

      it('openapi document lists every route of the policy table', async () => {
        const res = await w.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
        expect(res.statusCode).toBe(200);
        const doc = res.json() as { paths: Record<string, Record<string, { operationId: string }>> };
        for (const id of ROUTE_IDS) {
          const p = POLICY[id];
          const path = p.url.replace(/:(\w+)/g, '{$1}');
          expect(doc.paths[path]?.[p.method.toLowerCase()]?.operationId, id).toBe(id);
        }
      });
    });

    describe('rounds: start, watch live, abort', () => {
      const frames = (body: string) => body.split('\n\n').filter((f) => f.startsWith('event:') || f.startsWith('id:')).map((f) => {
        const event = /event: (\w+)/.exec(f)![1];
        return { event, data: JSON.parse(/data: (.*)/.exec(f)![1]) as Record<string, unknown> };
      });

      it('streams the stages of a run as they are stored, and its end', async () => {
        const number = (await w.store.listRounds(w.ids.task)).length + 1;
        const started = await call(w.tokens.operator, { method: 'POST', url: `/api/v1/tasks/${w.ids.task}/runs`, payload: { waitSeconds: 5 } });
        expect(started.statusCode).toBe(202);
        expect(started.json()).toMatchObject({ state: 'waiting', startedBy: 'operator:olga' });
        const again = await call(w.tokens.operator, { method: 'POST', url: `/api/v1/tasks/${w.ids.task}/runs`, payload: {} });
        expect(again.statusCode).toBe(400);
        expect(again.json().message).toMatch(/already in progress/);
        // Publish once the watcher has seen the round reach masked_input.
        const watch = w.app.inject({ method: 'GET', url: `/api/v1/tasks/${w.ids.task}/events?untilRunEnds=true`, headers: bearer(w.tokens.auditor) });
        await expect.poll(async () => (await w.store.listRounds(w.ids.task)).at(-1)?.state, { timeout: 20_000 }).toBe('masked_input');
        await new Promise((r) => setTimeout(r, 100));
        w.release();
        const res = await watch;
        expect(res.headers['content-type']).toMatch(/text\/event-stream/);
        const events = frames(res.body);
        const rounds = events.filter((e) => e.event === 'round' && e.data.number === number);
        expect(rounds.at(-1)?.data).toMatchObject({ state: 'published', participants: 3, survivors: 2 });
        const stages = events.filter((e) => e.event === 'stage' && e.data.number === number).map((e) => e.data.kind);
        expect(stages, JSON.stringify(events)).toEqual(['round.created', 'round.advertise_keys', 'round.share_keys', 'round.masked_input', 'round.published']);
        expect(events.at(-1)).toMatchObject({ event: 'run', data: { state: 'finished', rounds: 1 } });
        // The stream of the older, finished round was sent too (round 1, aborted).
        expect(events.some((e) => e.event === 'round' && e.data.number === 1 && e.data.state === 'aborted')).toBe(true);
        const run = await call(w.tokens.auditor, { method: 'GET', url: `/api/v1/tasks/${w.ids.task}/run` });
        expect(run.json().run).toMatchObject({ state: 'finished', error: null });
      });

      it('aborts the run in progress', async () => {
        expect((await call(w.tokens.operator, { method: 'POST', url: `/api/v1/tasks/${w.ids.task}/runs`, payload: {} })).statusCode).toBe(202);
        await expect.poll(async () => (await w.store.listRounds(w.ids.task)).at(-1)?.state, { timeout: 20_000 }).toBe('masked_input');
        const aborted = await call(w.tokens.operator, { method: 'POST', url: `/api/v1/tasks/${w.ids.task}/run/abort` });
        expect(aborted.statusCode).toBe(200);
        expect(aborted.json().state).toBe('aborted');
        const rounds = await call(w.tokens.auditor, { method: 'GET', url: `/api/v1/tasks/${w.ids.task}/rounds` });
        expect(rounds.json().rounds.at(-1)).toMatchObject({ state: 'aborted', reason: 'cancelled by the operator' });
        const none = await call(w.tokens.operator, { method: 'POST', url: `/api/v1/tasks/${w.ids.task}/run/abort` });
        expect(none.statusCode).toBe(404);
      });

      it('starts audits for operators only, refusing before any round what it cannot run', async () => {
        const start = (token: string, payload: unknown) => call(token, { method: 'POST', url: `/api/v1/tasks/${w.ids.task}/runs`, payload });
        const before = (await w.store.listRounds(w.ids.task)).length;
        const policy = { attributes: [{ name: 'gender', groups: ['F', 'M'] }] };
        expect((await start(w.tokens.auditor, { workflow: 'audit', audit: { policy } })).statusCode).toBe(403);
        const refusals: Array<[unknown, RegExp]> = [
          [{ workflow: 'audit', audit: { policy: { attributes: [] } } }, /audit policy field "attributes"/],
          [{ workflow: 'audit', audit: { policy: 'attributes: [' } }, /not valid YAML/],
          [{ workflow: 'evaluate', audit: { policy } }, /not with workflow "evaluate"/],
          // The task pins no policy of its own, and none was given.
          [{ workflow: 'audit' }, /has no audit policy of its own/],
          [{ audit: { intendedUse: 'retention' } }, /has no audit policy of its own/],
          [{ workflow: 'audit', audit: { polcy: policy } }, /./],
        ];
        for (const [payload, message] of refusals) {
          const res = await start(w.tokens.operator, payload);
          expect(res.statusCode).toBe(400);
          expect(res.json()).toMatchObject({ code: 'INVALID_ARGUMENT' });
          expect(res.json().message).toMatch(message);
        }
        expect((await w.store.listRounds(w.ids.task)).length).toBe(before);
      });
    });
  });
}
