// The Store contract suite, written once and run against SQLite and PostgreSQL by *.test.ts files.
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConsortError, resolveTask, type ErrorCode } from '@consort/core';
import { MIGRATIONS_DIR, MIGRATIONS_TABLE, loadMigrations } from '../src/store/migrate.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Store, StoreProvider, TaskInput } from '../src/store/store.ts';

/** How the suite gets databases of one provider. */
export interface StoreHarness {
  provider: StoreProvider;
  /** Called once before the suite (e.g. to check the server is up). */
  setup(): Promise<void>;
  /** A URL of a new, empty database. */
  freshUrl(): Promise<string>;
  /** Runs raw SQL on a database (to inspect or tamper with it); returns the rows. */
  query(url: string, sql: string): Promise<Record<string, unknown>[]>;
  /** Removes every database made by freshUrl. */
  teardown(): Promise<void>;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (!isConsortError(err, code)) throw new Error(`expected ConsortError ${code}, got ${String(err)}`, { cause: err });
    return err;
  }
  throw new Error(`expected ConsortError ${code}, but the call succeeded`);
}

const hash = (token: string): string => createHash('sha256').update(token).digest('hex');
const key = (): Uint8Array => new Uint8Array(randomBytes(32));

function taskInput(federationId: string, name = 'churn'): TaskInput {
  return {
    federationId,
    definition: resolveTask({ name, label: 'churned', numeric: ['recency'], categorical: { plan: ['a', 'b'] }, protected: ['gender'] }),
    modelSpec: { kind: 'logistic', task: 'binary', inputDim: 3 },
    pipeline: { steps: ['standardize'] },
  };
}

/** Registers the whole contract suite for one provider. */
export function storeContract(harness: StoreHarness): void {
  describe(`Store contract (${harness.provider})`, () => {
    let store: Store;
    let url: string;

    beforeAll(async () => {
      await harness.setup();
      url = await harness.freshUrl();
      store = await openStore(url);
    });

    afterAll(async () => {
      await store?.close();
      await harness.teardown();
    });

    describe('migrations', () => {
      const shipped = () => loadMigrations(harness.provider).map((m) => m.name);

      it('gives a fresh database its schema and records the migration', async () => {
        expect(store.provider).toBe(harness.provider);
        const rows = await harness.query(url, `SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}" ORDER BY "name"`);
        expect(shipped()).toEqual(['0001_init', '0002_member_revocation', '0003_task_definition', '0004_strategy_state', '0005_api_tokens', '0006_audit_chain_registry', '0007_audit_reports']);
        expect(rows.map((r) => r.name)).toEqual(shipped());
        expect(String(rows[0].checksum)).toMatch(/^[0-9a-f]{64}$/);
      });

      it('re-opening is idempotent and keeps the data', async () => {
        const fresh = await harness.freshUrl();
        const first = await openStore(fresh);
        const fed = await first.createFederation('reopen');
        await first.close();
        const second = await openStore(fresh);
        expect((await second.getFederation(fed.id)).name).toBe('reopen');
        await second.close();
        const rows = await harness.query(fresh, `SELECT "name" FROM "${MIGRATIONS_TABLE}"`);
        expect(rows).toHaveLength(shipped().length);
      });

      it('concurrent opens of a fresh database apply each migration once', async () => {
        const fresh = await harness.freshUrl();
        const stores = await Promise.all([openStore(fresh), openStore(fresh), openStore(fresh)]);
        await Promise.all(stores.map((s) => s.close()));
        const rows = await harness.query(fresh, `SELECT "name" FROM "${MIGRATIONS_TABLE}"`);
        expect(rows).toHaveLength(shipped().length);
      });

      it('refuses a migration whose file changed after it was applied, naming it', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'consort-migrations-'));
        try {
          cpSync(MIGRATIONS_DIR, dir, { recursive: true });
          appendFileSync(join(dir, harness.provider, '0001_init', 'migration.sql'), '\n-- edited later\n');
          const err = await expectCode(openStore(url, { migrationsDir: dir }), 'STORE_FAILURE');
          expect(err.message).toContain('"0001_init"');
          expect(err.message).toMatch(/changed after it was applied/);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('refuses a database migrated by a newer coordinator', async () => {
        const fresh = await harness.freshUrl();
        await (await openStore(fresh)).close();
        await harness.query(fresh, `INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum", "applied_at") VALUES ('9999_future', 'x', '2030-01-01')`);
        const err = await expectCode(openStore(fresh), 'STORE_FAILURE');
        expect(err.message).toContain('9999_future');
      });

      it('rolls back a failing migration entirely', async () => {
        const fresh = await harness.freshUrl();
        const dir = mkdtempSync(join(tmpdir(), 'consort-migrations-'));
        try {
          cpSync(MIGRATIONS_DIR, dir, { recursive: true });
          const bad = join(dir, harness.provider, '0002_bad');
          cpSync(join(dir, harness.provider, '0001_init'), bad, { recursive: true });
          writeFileSync(join(bad, 'migration.sql'), 'CREATE TABLE "Half" ("id" INTEGER);\nTHIS IS NOT SQL;\n');
          const err = await expectCode(openStore(fresh, { migrationsDir: dir }), 'STORE_FAILURE');
          expect(err.message).toContain('0002_bad');
          const rows = await harness.query(fresh, `SELECT "name" FROM "${MIGRATIONS_TABLE}"`);
          expect(rows.map((r) => r.name)).toEqual(['0001_init']);
          // The half-applied table went with the rollback, so a fixed 0002 can run later.
          const s = await openStore(fresh);
          await s.close();
          await expect(harness.query(fresh, 'SELECT * FROM "Half"')).rejects.toThrow();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('migrates a task stored before 0003 (definition in featuresJson, copies in trainConfigJson/stageTimeoutMs) and still loads it', async () => {
        const fresh = await harness.freshUrl();
        const dir = mkdtempSync(join(tmpdir(), 'consort-migrations-'));
        try {
          cpSync(MIGRATIONS_DIR, dir, { recursive: true });
          rmSync(join(dir, harness.provider, '0003_task_definition'), { recursive: true });
          const old = await openStore(fresh, { migrationsDir: dir });
          const fed = await old.createFederation('before');
          await old.close();
          const legacy = {
            name: 'seg', kind: 'segmentation', label: '', positiveLabel: [], numeric: ['r', 'f'], categorical: [], vocabularies: {}, protected: [],
            model: { kind: 'logistic', task: 'binary', hidden: [], activation: 'relu', dropout: 0, l2: 0 }, train: { localEpochs: 2, batchSize: 64, learningRate: 0.05, proximalMu: 0 },
            minMembers: 4, stageTimeoutSeconds: 15, aggregation: 'secure', testFraction: 0.2, seed: 3, strategy: { name: 'fedavg' },
            segmentation: { features: ['r', 'f'], ks: [2, 3], restarts: 5, minClusterCount: 20, roles: {}, profileLabels: [], maxIterations: 30 },
          };
          const now = harness.provider === 'sqlite' ? String(Date.now()) : 'now()';
          await harness.query(fresh, 'INSERT INTO "Task" ("id", "federationId", "name", "modelSpecJson", "featuresJson", "trainConfigJson", "pipelineJson", "aggregation", "minMembers", "stageTimeoutMs", "createdAt") '
            + `VALUES ('old-task', '${fed.id}', 'seg', '{"kind":"logistic"}', '${JSON.stringify(legacy)}', '{}', 'null', 'secure', 4, 15000, ${now})`);
          const store = await openStore(fresh);
          try {
            const task = await store.getTask('old-task');
            expect(task.definition).toEqual(resolveTask({ name: 'seg', kind: 'segmentation', minMembers: 4, stageTimeoutSeconds: 15, seed: 3, segmentation: { features: ['r', 'f'], k: { min: 2, max: 3 } } }));
            expect(task).toMatchObject({ name: 'seg', aggregation: 'secure', minMembers: 4 });
          } finally {
            await store.close();
          }
          const cols = harness.provider === 'sqlite'
            ? (await harness.query(fresh, 'PRAGMA table_info("Task")')).map((r) => r.name)
            : (await harness.query(fresh, `SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'Task'`)).map((r) => r.name);
          expect(cols).toContain('definitionJson');
          expect(cols).not.toContain('featuresJson');
          expect(cols).not.toContain('trainConfigJson');
          expect(cols).not.toContain('stageTimeoutMs');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('rejects URLs it cannot serve', async () => {
        await expectCode(openStore('mysql://localhost/x'), 'INVALID_ARGUMENT');
        await expectCode(openStore('file::memory:'), 'INVALID_ARGUMENT');
      });
    });

    describe('federations', () => {
      it('creates, reads, refuses duplicates and reports unknown ids', async () => {
        const fed = await store.createFederation('gyms');
        expect(fed.createdAt).toBeInstanceOf(Date);
        expect(await store.getFederation(fed.id)).toEqual(fed);
        await expectCode(store.createFederation('gyms'), 'INVALID_ARGUMENT');
        await expectCode(store.getFederation('nope'), 'NOT_FOUND');
      });

      it('lists federations oldest first', async () => {
        const a = await store.createFederation('list-a');
        const b = await store.createFederation('list-b');
        const listed = (await store.listFederations()).map((f) => f.id);
        expect(listed).toContain(a.id);
        expect(listed.indexOf(a.id)).toBeLessThan(listed.indexOf(b.id));
        expect((await store.listFederations()).find((f) => f.id === b.id)).toEqual(b);
      });
    });

    describe('enrollment and members', () => {
      let fedId: string;
      const now = new Date('2026-01-01T12:00:00Z');
      const later = new Date('2026-01-02T12:00:00Z');

      beforeAll(async () => {
        fedId = (await store.createFederation('clinics')).id;
      });

      it('creates tokens and enrolls a member with one of them', async () => {
        const tokens = await store.createEnrollmentTokens(fedId, [hash('a'), hash('b')], later);
        expect(tokens.map((t) => t.tokenHash)).toEqual([hash('a'), hash('b')]);
        expect(tokens[0].usedAt).toBeUndefined();
        const pk = key();
        const m = await store.consumeEnrollmentToken(hash('a'), { displayName: 'Clinic A', identityPublicKey: pk }, now);
        expect(m.federationId).toBe(fedId);
        expect(m.displayName).toBe('Clinic A');
        expect(Array.from(m.identityPublicKey)).toEqual(Array.from(pk));
        expect(m.enrolledAt.getTime()).toBe(now.getTime());
        expect(m.lastSeenAt).toBeUndefined();
        const read = await store.getMember(m.id);
        expect(read).toEqual(m);
        expect(read?.identityPublicKey).toBeInstanceOf(Uint8Array);
      });

      it('refuses unknown, used and expired tokens', async () => {
        await expectCode(store.consumeEnrollmentToken(hash('zzz'), { displayName: 'x', identityPublicKey: key() }, now), 'ENROLLMENT_TOKEN_UNKNOWN');
        await expectCode(store.consumeEnrollmentToken(hash('a'), { displayName: 'x', identityPublicKey: key() }, now), 'ENROLLMENT_TOKEN_USED');
        await store.createEnrollmentTokens(fedId, [hash('old')], now);
        await expectCode(store.consumeEnrollmentToken(hash('old'), { displayName: 'x', identityPublicKey: key() }, now), 'ENROLLMENT_TOKEN_EXPIRED');
        await expectCode(store.consumeEnrollmentToken(hash('old'), { displayName: 'x', identityPublicKey: key() }, later), 'ENROLLMENT_TOKEN_EXPIRED');
        // A used token reports "used" even once it has expired.
        await expectCode(store.consumeEnrollmentToken(hash('a'), { displayName: 'x', identityPublicKey: key() }, new Date('2027-01-01')), 'ENROLLMENT_TOKEN_USED');
        await expectCode(store.createEnrollmentTokens(fedId, [hash('b')], later), 'INVALID_ARGUMENT');
      });

      it('refuses an already enrolled identity key and leaves the token unused', async () => {
        const pk = key();
        await store.createEnrollmentTokens(fedId, [hash('k1'), hash('k2')], later);
        await store.consumeEnrollmentToken(hash('k1'), { displayName: 'K', identityPublicKey: pk }, now);
        await expectCode(store.consumeEnrollmentToken(hash('k2'), { displayName: 'K again', identityPublicKey: pk }, now), 'INVALID_ARGUMENT');
        const m = await store.consumeEnrollmentToken(hash('k2'), { displayName: 'K2', identityPublicKey: key() }, now);
        expect(m.displayName).toBe('K2');
      });

      it('lets exactly one of many concurrent consumers of a token win', async () => {
        await store.createEnrollmentTokens(fedId, [hash('race')], later);
        const attempts = Array.from({ length: 8 }, (_, i) =>
          store.consumeEnrollmentToken(hash('race'), { displayName: `racer ${i}`, identityPublicKey: key() }, now),
        );
        const results = await Promise.allSettled(attempts);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(isConsortError(r.reason, 'ENROLLMENT_TOKEN_USED')).toBe(true);
      });

      it('lets exactly one of two stores (two connection pools) win a token race', async () => {
        if (harness.provider === 'sqlite') {
          // libsql is synchronous: two stores of one file in one process would block each other
          // (see the note in open-store.ts); the in-process race above covers SQLite.
          return;
        }
        const other = await openStore(url);
        try {
          for (let round = 0; round < 5; round++) {
            const token = hash(`pool-race-${round}`);
            await store.createEnrollmentTokens(fedId, [token], later);
            const results = await Promise.allSettled([
              store.consumeEnrollmentToken(token, { displayName: 'left', identityPublicKey: key() }, now),
              other.consumeEnrollmentToken(token, { displayName: 'right', identityPublicKey: key() }, now),
            ]);
            expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
            const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
            expect(isConsortError(lost.reason, 'ENROLLMENT_TOKEN_USED')).toBe(true);
          }
        } finally {
          await other.close();
        }
      });

      it('lists and touches members', async () => {
        const members = await store.listMembers(fedId);
        expect(members.length).toBeGreaterThanOrEqual(3);
        expect(members.every((m) => m.federationId === fedId)).toBe(true);
        const id = members[0].id;
        await store.touchMember(id, { lastSeenAt: later, backend: 'tfjs-node' });
        let m = await store.getMember(id);
        expect(m?.lastSeenAt?.getTime()).toBe(later.getTime());
        expect(m?.backend).toBe('tfjs-node');
        const evenLater = new Date(later.getTime() + 1000);
        await store.touchMember(id, { lastSeenAt: evenLater });
        m = await store.getMember(id);
        expect(m?.lastSeenAt?.getTime()).toBe(evenLater.getTime());
        expect(m?.backend).toBe('tfjs-node');
        expect(await store.getMember('missing')).toBeUndefined();
        await expectCode(store.touchMember('missing', { lastSeenAt: later }), 'NOT_FOUND');
        expect(await store.listMembers('no-such-federation')).toEqual([]);
      });

      it('revokes a member once and keeps the first revocation time', async () => {
        const [member] = await store.listMembers(fedId);
        expect(member.revokedAt).toBeUndefined();
        const first = await store.revokeMember(member.id, later);
        expect(first.revokedAt?.getTime()).toBe(later.getTime());
        const again = await store.revokeMember(member.id, new Date(later.getTime() + 5000));
        expect(again.revokedAt?.getTime()).toBe(later.getTime());
        expect((await store.getMember(member.id))?.revokedAt?.getTime()).toBe(later.getTime());
        await expectCode(store.revokeMember('missing', later), 'NOT_FOUND');
      });
    });

    describe('nonces', () => {
      it('refuses a replayed nonce and forgets expired ones', async () => {
        const t0 = new Date('2026-03-01T00:00:00Z');
        const t1 = new Date('2026-03-01T00:05:00Z');
        await store.recordNonce('m1', 'n1', t0);
        await store.recordNonce('m2', 'n1', t1); // same nonce, other member: fine
        await store.recordNonce('m1', 'n2', t1);
        await expectCode(store.recordNonce('m1', 'n1', t1), 'REPLAYED_REQUEST');
        const replays = await Promise.allSettled([store.recordNonce('m3', 'x', t1), store.recordNonce('m3', 'x', t1)]);
        expect(replays.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await store.pruneNonces(new Date('2026-03-01T00:01:00Z'))).toBe(1);
        await store.recordNonce('m1', 'n1', t1); // pruned, so accepted again
        await expectCode(store.recordNonce('m1', 'n2', t1), 'REPLAYED_REQUEST');
      });

      it('group-commits concurrent nonces: a replay inside one batch is refused, the rest is durable once recorded', async () => {
        const expires = new Date(Date.now() + 600_000);
        const nonces = Array.from({ length: 40 }, (_, i) => `g${i}`);
        // 40 distinct nonces plus a replay of every fourth one, all in the same few milliseconds.
        const calls = [...nonces, ...nonces.filter((_, i) => i % 4 === 0)].map((n) => store.recordNonce('mg', n, expires));
        const results = await Promise.allSettled(calls);
        expect(results.slice(0, 40).every((r) => r.status === 'fulfilled')).toBe(true);
        for (const r of results.slice(40)) {
          expect(r.status).toBe('rejected');
          expect(isConsortError((r as PromiseRejectedResult).reason, 'REPLAYED_REQUEST')).toBe(true);
        }
        // Every accepted nonce is in the database as soon as its call resolved, with its expiry.
        const rows = await harness.query(url, `SELECT "nonce", "expiresAt" FROM "UsedNonce" WHERE "memberId" = 'mg'`);
        expect(rows.map((r) => r.nonce).sort()).toEqual([...nonces].sort());
        // A store that never saw them (a restarted coordinator) refuses them from the database.
        const other = await openStore(url);
        try {
          const again = await Promise.allSettled([other.recordNonce('mg', 'g1', expires), other.recordNonce('mg', 'g-new', expires)]);
          expect(again[0].status).toBe('rejected');
          expect(isConsortError((again[0] as PromiseRejectedResult).reason, 'REPLAYED_REQUEST')).toBe(true);
          expect(again[1].status).toBe('fulfilled');
        } finally {
          await other.close();
        }
        // Expiry is stored as Prisma stores dates: pruning at the expiry instant keeps the rows, just after removes them.
        await store.pruneNonces(expires);
        expect(await store.pruneNonces(new Date(expires.getTime() + 1))).toBe(41);
        await store.recordNonce('mg', 'g2', expires); // pruned, so accepted again (the memory follows the prune)
      });
    });

    describe('tasks, model versions and rounds', () => {
      let fedId: string;
      let taskId: string;
      let v1Id: string;

      beforeAll(async () => {
        fedId = (await store.createFederation('shops')).id;
      });

      it('creates and reads a task with parsed JSON', async () => {
        const input = taskInput(fedId);
        const task = await store.createTask(input);
        taskId = task.id;
        expect(task).toMatchObject({ ...input, name: 'churn', aggregation: 'secure', minMembers: 5 });
        expect(await store.getTask(task.id)).toEqual(task);
        const rows = await harness.query(url, `SELECT "definitionJson" FROM "Task" WHERE "id" = '${task.id}'`);
        expect(JSON.parse(String(rows[0].definitionJson))).toMatchObject({ schemaVersion: 1, task: { name: 'churn', kind: 'model' } });
        await expectCode(store.getTask('nope'), 'NOT_FOUND');
        await expectCode(store.createTask(taskInput('no-such-federation')), 'NOT_FOUND');
      });

      it('lists a federation\'s tasks', async () => {
        const listed = await store.listTasks(fedId);
        expect(listed.map((t) => t.id)).toEqual([taskId]);
        expect(listed[0]).toEqual(await store.getTask(taskId));
        expect(await store.listTasks('no-such-federation')).toEqual([]);
      });

      it('stores model versions and lists them without weights', async () => {
        expect(await store.latestModelVersion(taskId)).toBeUndefined();
        const w = new Float32Array([0.5, -1.25, 3]);
        const v1 = await store.createModelVersion({ taskId, version: 1, weights: w, sha256: 'aa', metrics: { loss: 0.7 } });
        v1Id = v1.id;
        expect(v1).toMatchObject({ taskId, version: 1, parameterCount: 3, sha256: 'aa', metrics: { loss: 0.7 } });
        expect(v1.roundId).toBeUndefined();
        const v2 = await store.createModelVersion({ taskId, version: 2, roundId: 'r-x', weights: new Float32Array(2), sha256: 'bb', metrics: {} });
        const read = await store.getModelVersion(v1.id);
        expect(Array.from(read.weights)).toEqual([0.5, -1.25, 3]);
        expect(read.weights).toBeInstanceOf(Float32Array);
        const meta = await store.getModelVersionMeta(v2.id);
        expect(meta).toMatchObject({ version: 2, roundId: 'r-x', parameterCount: 2 });
        expect('weights' in meta).toBe(false);
        expect((await store.latestModelVersion(taskId))?.id).toBe(v2.id);
        const list = await store.listModelVersions(taskId);
        expect(list.map((m) => m.version)).toEqual([1, 2]);
        expect(list.every((m) => !('weights' in m))).toBe(true);
        await expectCode(store.createModelVersion({ taskId, version: 2, weights: w, sha256: 'cc', metrics: {} }), 'INVALID_ARGUMENT');
        await expectCode(store.getModelVersion('nope'), 'NOT_FOUND');
        await expectCode(store.getModelVersionMeta('nope'), 'NOT_FOUND');
      });

      it('stores a fitted pipeline and a model evaluation, keeping other metrics', async () => {
        await store.updateTaskPipeline(taskId, { numeric: [{ name: 'recency', mean: 3, std: 2 }] });
        expect((await store.getTask(taskId)).pipeline).toEqual({ numeric: [{ name: 'recency', mean: 3, std: 2 }] });
        await expectCode(store.updateTaskPipeline('nope', {}), 'NOT_FOUND');
        await store.recordModelEvaluation(v1Id, { evalAuc: 0.81, evalExamples: 120 });
        expect((await store.getModelVersionMeta(v1Id)).metrics).toEqual({ loss: 0.7, evaluation: { evalAuc: 0.81, evalExamples: 120 } });
        await expectCode(store.recordModelEvaluation('nope', {}), 'NOT_FOUND');
      });

      it('round-trips 5 million floats bit for bit', async () => {
        const n = 5_000_000;
        const w = new Float32Array(n);
        const bits = new Uint32Array(w.buffer);
        for (let i = 0; i < n; i++) bits[i] = (Math.imul(i, 2654435761) ^ (i >>> 3)) >>> 0;
        bits[0] = 0x7fc00001; // a NaN with payload
        bits[1] = 0x80000000; // -0
        bits[2] = 0x7f800000; // +Infinity
        const sha = createHash('sha256').update(new Uint8Array(w.buffer)).digest('hex');
        const mv = await store.createModelVersion({ taskId, version: 100, weights: w, sha256: sha, metrics: {} });
        expect(mv.parameterCount).toBe(n);
        const read = await store.getModelVersion(mv.id);
        expect(read.weights.length).toBe(n);
        const back = new Uint32Array(read.weights.buffer, read.weights.byteOffset, n);
        let diff = -1;
        for (let i = 0; i < n && diff < 0; i++) if (back[i] !== bits[i]) diff = i;
        expect(diff).toBe(-1);
        expect(createHash('sha256').update(new Uint8Array(read.weights.buffer, read.weights.byteOffset, n * 4)).digest('hex')).toBe(sha);
      });

      it('creates, reads and lists rounds', async () => {
        const r1 = await store.createRound({ taskId, number: 1, state: 'open', deadlines: { open: 1000 }, baseModelVersionId: v1Id, participants: ['m1', 'm2'] });
        expect(r1).toMatchObject({ taskId, number: 1, state: 'open', deadlines: { open: 1000 }, participants: ['m1', 'm2'], dropped: [], baseModelVersionId: v1Id });
        expect(r1.secagg).toBeUndefined();
        expect(r1.metrics).toBeUndefined();
        expect(r1.finishedAt).toBeUndefined();
        expect(await store.getRound(r1.id)).toEqual(r1);
        const r2 = await store.createRound({ taskId, number: 2, state: 'masked_input', deadlines: {}, baseModelVersionId: v1Id, participants: [] });
        await expectCode(store.createRound({ taskId, number: 2, state: 'open', deadlines: {}, baseModelVersionId: v1Id, participants: [] }), 'INVALID_ARGUMENT');
        expect((await store.listRounds(taskId)).map((r) => r.number)).toEqual([1, 2]);
        const active = await store.listRoundsInStates(['open', 'masked_input']);
        expect(active.map((r) => r.id)).toEqual(expect.arrayContaining([r1.id, r2.id]));
        expect((await store.listRoundsInStates(['masked_input'])).map((r) => r.id)).toContain(r2.id);
        expect((await store.listRoundsInStates(['masked_input'])).map((r) => r.id)).not.toContain(r1.id);
        expect(await store.listRoundsInStates([])).toEqual([]);
        await expectCode(store.getRound('nope'), 'NOT_FOUND');
      });

      it('updateRound is a compare-and-set on state', async () => {
        const r = await store.createRound({ taskId, number: 3, state: 'open', deadlines: { open: 1 }, baseModelVersionId: v1Id, participants: ['a', 'b', 'c'] });
        const moved = await store.updateRound(r.id, 'open', {
          state: 'advertise_keys',
          deadlines: { open: 1, advertise_keys: 2 },
          participants: ['a', 'b'],
          dropped: ['c'],
          secagg: { threshold: 2 },
          metrics: { n: 2 },
          reason: 'c left',
        });
        expect(moved).toMatchObject({ state: 'advertise_keys', deadlines: { open: 1, advertise_keys: 2 }, participants: ['a', 'b'], dropped: ['c'], secagg: { threshold: 2 }, metrics: { n: 2 }, reason: 'c left' });
        expect(moved.updatedAt.getTime()).toBeGreaterThanOrEqual(r.updatedAt.getTime());

        const err = await expectCode(store.updateRound(r.id, 'open', { state: 'aborted', reason: 'late' }), 'INVALID_TRANSITION');
        expect(err.message).toContain('advertise_keys');
        expect(await store.getRound(r.id)).toEqual(moved);

        // Concurrent transitions from the same state: exactly one wins.
        const racers = await Promise.allSettled([
          store.updateRound(r.id, 'advertise_keys', { state: 'share_keys' }),
          store.updateRound(r.id, 'advertise_keys', { state: 'aborted', reason: 'timeout' }),
        ]);
        expect(racers.filter((x) => x.status === 'fulfilled')).toHaveLength(1);

        const cleared = await store.updateRound(r.id, (await store.getRound(r.id)).state, { reason: null, secagg: null, metrics: null, finishedAt: new Date('2026-05-01T00:00:00Z') });
        expect(cleared.reason).toBeUndefined();
        expect(cleared.secagg).toBeUndefined();
        expect(cleared.metrics).toBeUndefined();
        expect(cleared.finishedAt?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
        await expectCode(store.updateRound('nope', 'open', { state: 'aborted' }), 'NOT_FOUND');
      });

      it('completeRound stores the version and moves the round together', async () => {
        const r = await store.createRound({ taskId, number: 4, state: 'aggregated', deadlines: {}, baseModelVersionId: v1Id, participants: ['a'] });
        const finishedAt = new Date('2026-06-01T00:00:00Z');
        const { round, modelVersion } = await store.completeRound(
          r.id,
          'aggregated',
          { taskId, version: 3, weights: new Float32Array([1, 2]), sha256: 'dd', metrics: { auc: 0.8 } },
          { state: 'published', finishedAt, metrics: { auc: 0.8 } },
        );
        expect(modelVersion).toMatchObject({ version: 3, roundId: r.id, parameterCount: 2 });
        expect(round).toMatchObject({ state: 'published', resultModelVersionId: modelVersion.id, metrics: { auc: 0.8 } });
        expect(round.finishedAt?.getTime()).toBe(finishedAt.getTime());
        expect(Array.from((await store.getModelVersion(modelVersion.id)).weights)).toEqual([1, 2]);
      });

      it('completeRound stores nothing when the version is a duplicate', async () => {
        const r = await store.createRound({ taskId, number: 5, state: 'aggregated', deadlines: {}, baseModelVersionId: v1Id, participants: ['a'] });
        const before = await store.listModelVersions(taskId);
        await expectCode(
          store.completeRound(r.id, 'aggregated', { taskId, version: 3, weights: new Float32Array([9]), sha256: 'ee', metrics: {} }, { state: 'published' }),
          'INVALID_ARGUMENT',
        );
        expect(await store.getRound(r.id)).toEqual(r);
        expect(await store.listModelVersions(taskId)).toEqual(before);
      });

      it('completeRound stores nothing when the round moved on', async () => {
        const r = await store.createRound({ taskId, number: 6, state: 'unmask', deadlines: {}, baseModelVersionId: v1Id, participants: ['a'] });
        await expectCode(
          store.completeRound(r.id, 'aggregated', { taskId, version: 4, weights: new Float32Array([9]), sha256: 'ff', metrics: {} }, { state: 'published' }),
          'INVALID_TRANSITION',
        );
        expect(await store.getRound(r.id)).toEqual(r);
        expect((await store.listModelVersions(taskId)).some((m) => m.version === 4)).toBe(false);
      });

      it('closeRound stores a round\'s result (version, optimizer state of any size, evaluation, pipeline) with its move, or nothing', async () => {
        const r = await store.createRound({ taskId, number: 7, state: 'unmask', deadlines: {}, baseModelVersionId: v1Id, participants: ['a'] });
        // Above the 250k numbers that once made the state too big to keep inside a version's metrics.
        const velocity = Array.from({ length: 300_000 }, (_, i) => i / 4);
        const { round, modelVersion } = await store.closeRound(r.id, 'unmask', { state: 'aggregated', metrics: { purpose: 'train' } }, {
          modelVersion: { taskId, version: 4, weights: new Float32Array([4, 4]), sha256: 'a4', metrics: { trainLoss: 0.3 } },
          strategyState: { velocity, steps: 3 },
          evaluation: { modelVersionId: v1Id, evaluation: { evalAuc: 0.71 } },
          pipeline: { taskId, pipeline: { fittedBy: r.id } },
        });
        expect(round).toMatchObject({ state: 'aggregated', resultModelVersionId: modelVersion!.id, metrics: { purpose: 'train' } });
        expect(modelVersion).toMatchObject({ version: 4, roundId: r.id });
        const saved = (await store.latestStrategyState(taskId))!;
        expect(saved.modelVersionId).toBe(modelVersion!.id);
        expect(saved.state.steps).toBe(3);
        expect(saved.state.velocity).toEqual(velocity);
        expect((await store.getModelVersionMeta(modelVersion!.id)).metrics).toEqual({ trainLoss: 0.3 });
        expect((await store.getModelVersionMeta(v1Id)).metrics.evaluation).toEqual({ evalAuc: 0.71 });
        expect((await store.getTask(taskId)).pipeline).toEqual({ fittedBy: r.id });

        // The round moved on: none of the result is kept.
        const late = await store.createRound({ taskId, number: 8, state: 'open', deadlines: {}, baseModelVersionId: v1Id, participants: ['a'] });
        await expectCode(store.closeRound(late.id, 'unmask', { state: 'aggregated' }, {
          modelVersion: { taskId, version: 5, weights: new Float32Array([5]), sha256: 'a5', metrics: {} },
          strategyState: { steps: 4 }, evaluation: { modelVersionId: v1Id, evaluation: { evalAuc: 0.1 } }, pipeline: { taskId, pipeline: { fittedBy: late.id } },
        }), 'INVALID_TRANSITION');
        expect(await store.getRound(late.id)).toEqual(late);
        expect((await store.listModelVersions(taskId)).some((m) => m.version === 5)).toBe(false);
        expect((await store.latestStrategyState(taskId))!.modelVersionId).toBe(modelVersion!.id);
        expect((await store.getModelVersionMeta(v1Id)).metrics.evaluation).toEqual({ evalAuc: 0.71 });
        expect((await store.getTask(taskId)).pipeline).toEqual({ fittedBy: r.id });
        // Optimizer state belongs to the version it produced: refused without one.
        await expectCode(store.closeRound(late.id, 'open', { state: 'aborted' }, { strategyState: { steps: 1 } }), 'INVALID_ARGUMENT');
        expect(await store.latestStrategyState('no-such-task')).toBeUndefined();
      });
    });

    describe('audit reports', () => {
      it('stores one signed report per model version, reads it back and lists without bodies', async () => {
        const fed = await store.createFederation('audited shops');
        const task = await store.createTask(taskInput(fed.id));
        const v1 = await store.createModelVersion({ taskId: task.id, version: 1, weights: new Float32Array([1]), sha256: 'aa', metrics: {} });
        const v2 = await store.createModelVersion({ taskId: task.id, version: 2, weights: new Float32Array([2]), sha256: 'bb', metrics: {} });
        expect(await store.getAuditReportForModelVersion(v1.id)).toBeUndefined();
        const input = { taskId: task.id, modelVersionId: v1.id, policyHash: 'p'.repeat(64), reportSha256: 'r'.repeat(64), verdict: 'fail', bodyJson: '{"a":"é","b":[1,2.5]}', signature: 'c2ln', publicKey: 'a2V5' };
        const saved = await store.saveAuditReport(input);
        expect(saved).toMatchObject(input);
        expect(saved.createdAt).toBeInstanceOf(Date);
        expect(await store.getAuditReportForModelVersion(v1.id)).toEqual(saved);
        expect(await store.getAuditReport(saved.id)).toEqual(saved);
        await expectCode(store.saveAuditReport(input), 'INVALID_ARGUMENT');
        await expectCode(store.saveAuditReport({ ...input, modelVersionId: 'nope' }), 'NOT_FOUND');
        await expectCode(store.getAuditReport('nope'), 'NOT_FOUND');
        const second = await store.saveAuditReport({ ...input, modelVersionId: v2.id, verdict: 'pass' });
        const list = await store.listAuditReports(task.id);
        expect(list.map((r) => [r.modelVersionId, r.verdict])).toEqual([[v1.id, 'fail'], [v2.id, 'pass']]);
        expect(list[1]).not.toHaveProperty('bodyJson');
        expect(list[1].id).toBe(second.id);
        expect(await store.listAuditReports('no-such-task')).toEqual([]);
      });
    });

    describe('audit events', () => {
      it('appends and lists in order, with filters', async () => {
        const a = await store.appendAuditEvent({ actor: 'operator', kind: 'federation.created', subjectType: 'federation', subjectId: 'f1', detail: { name: 'x' } });
        const b = await store.appendAuditEvent({ actor: 'coordinator', kind: 'round.aborted', subjectType: 'round', subjectId: 'r1', detail: { reason: 'timeout' } });
        const c = await store.appendAuditEvent({ actor: 'coordinator', kind: 'round.published', subjectType: 'round', subjectId: 'r1', detail: {} });
        expect(a.at).toBeInstanceOf(Date);
        expect(b.id).toBeGreaterThan(a.id);
        const all = await store.listAuditEvents();
        expect(all.slice(-3)).toEqual([a, b, c]);
        expect(await store.listAuditEvents({ subjectId: 'r1' })).toEqual([b, c]);
        expect(await store.listAuditEvents({ kind: 'round.aborted' })).toEqual([b]);
        expect(await store.listAuditEvents({ subjectId: 'r1', kind: 'round.published' })).toEqual([c]);
        expect(b.detail).toEqual({ reason: 'timeout' });
        expect(await store.listAuditEvents({ afterId: a.id, limit: 1 })).toEqual([b]);
        expect(await store.listAuditEvents({ subjectId: 'r1', afterId: b.id })).toEqual([c]);
      });
    });

    describe('API tokens', () => {
      it('creates, finds by hash, lists and revokes (idempotently), unknown ids NOT_FOUND', async () => {
        const expiresAt = new Date(Date.now() + 3_600_000);
        const a = await store.createApiToken({ name: 'alice', role: 'auditor', tokenHash: 'a'.repeat(64), expiresAt });
        const b = await store.createApiToken({ name: 'bob', role: 'member-contact', memberId: 'm1', tokenHash: 'b'.repeat(64) });
        expect(a).toMatchObject({ name: 'alice', role: 'auditor', expiresAt, memberId: undefined, revokedAt: undefined });
        expect(b.memberId).toBe('m1');
        expect(b.expiresAt).toBeUndefined();
        expect(await store.findApiTokenByHash('a'.repeat(64))).toEqual(a);
        expect(await store.findApiTokenByHash('c'.repeat(64))).toBeUndefined();
        expect((await store.listApiTokens()).map((t) => t.id)).toEqual([a.id, b.id]);
        await expectCode(store.createApiToken({ name: 'dup', role: 'operator', tokenHash: 'a'.repeat(64) }), 'INVALID_ARGUMENT');
        const at = new Date();
        const revoked = await store.revokeApiToken(a.id, at);
        expect(revoked.revokedAt).toEqual(at);
        expect((await store.revokeApiToken(a.id, new Date(at.getTime() + 5000))).revokedAt).toEqual(at);
        expect((await store.findApiTokenByHash('a'.repeat(64)))?.revokedAt).toEqual(at);
        await expectCode(store.revokeApiToken('no-such-token', at), 'NOT_FOUND');
      });
    });
  });
}
