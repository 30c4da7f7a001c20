// docs/operations.md, tested: back up a running coordinator's database (SQLite VACUUM INTO via
// `backup`, PostgreSQL pg_dump), restore it onto a fresh database, and the registry and the
// audit log verify there; an old database upgrades by migration and its log gets chained.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditCheckpointer, withAuditCheckpoints } from '../ledger/checkpointer.ts';
import { seedRegistry } from '../../test-support/registry-fixture.ts';
import { listRegisteredModels, type RegistryEntry } from '../models/registry.ts';
import { loadOrCreateCoordinatorKey } from '../signing/coordinator-key.ts';
import { COORDINATOR_CLI, runCli } from '../../test-support/run-cli.ts';
import { MIGRATIONS_DIR } from './migrate.ts';
import { openStore } from './open-store.ts';
import { postgresHarness, sqliteHarness } from '../../test-support/store-harness.ts';
import type { Store } from './store.ts';

let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'consort-backup-')); });
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A coordinator's data as it runs: registry data written through a store that checkpoints its log. */
async function runningCoordinator(url: string, dataDir: string): Promise<{ store: Store; checkpointer: AuditCheckpointer; taskId: string; before: RegistryEntry[] }> {
  const raw = await openStore(url);
  const checkpointer = new AuditCheckpointer(raw, loadOrCreateCoordinatorKey(dataDir), { every: 4 });
  const store = withAuditCheckpoints(raw, checkpointer);
  const { taskId } = await seedRegistry(store, 3);
  await checkpointer.checkpoint();
  return { store, checkpointer, taskId, before: await listRegisteredModels(store, taskId) };
}

/** verify-log and models on the restored database, as the operator runs them. */
async function expectRestoredVerifies(args: string[], taskId: string, before: RegistryEntry[], entries: number, keyArgs: string[] = []): Promise<void> {
  const v = await runCli(COORDINATOR_CLI, ['verify-log', ...args, ...keyArgs, '--json'], { cwd: work });
  expect(v.code, v.stderr).toBe(0);
  expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, entries, head: { seq: entries }, entriesAfterLastCheckpoint: 0 });
  const m = await runCli(COORDINATOR_CLI, ['models', '--task', taskId, ...args, '--json'], { cwd: work });
  expect(m.code, m.stderr).toBe(0);
  expect((JSON.parse(m.stdout) as { models: RegistryEntry[] }).models).toEqual(before);
}

describe('backup and restore (SQLite)', () => {
  it('backs up while the coordinator writes, restores into a fresh folder, and registry and log verify', async () => {
    const live = join(work, 'live');
    mkdirSync(live);
    const { store, taskId, before } = await runningCoordinator(`file:${join(live, 'consort.db')}`, live);
    const entries = (await store.listAuditEvents()).length;
    // Online: the store stays open (its WAL holds recent commits) while the backup runs.
    const b = await runCli(COORDINATOR_CLI, ['backup', '--data-dir', live, '--out', join(work, 'backups', 'consort-backup.db'), '--json'], { cwd: work });
    expect(b.code, b.stderr).toBe(0);
    const backupFile = (JSON.parse(b.stdout) as { file: string }).file;
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    const again = await runCli(COORDINATOR_CLI, ['backup', '--data-dir', live, '--out', backupFile], { cwd: work });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^INVALID_ARGUMENT: .* exists; backup never overwrites a file/);
    // Written after the backup: not in it.
    await store.appendAuditEvent({ actor: 'operator', kind: 'federation.created', subjectType: 'federation', subjectId: 'later', detail: {} });
    await store.close();

    // Restore: the backup file becomes consort.db of a fresh data folder, beside the key backed up with it.
    const restored = join(work, 'restored');
    mkdirSync(restored);
    copyFileSync(backupFile, join(restored, 'consort.db'));
    copyFileSync(join(live, 'coordinator-key.json'), join(restored, 'coordinator-key.json'));
    await expectRestoredVerifies(['--data-dir', restored], taskId, before, entries);

    // The restored coordinator carries on: its chain continues from the backup's head.
    const reopened = await openStore(`file:${join(restored, 'consort.db')}`);
    const next = await reopened.appendAuditEvent({ actor: 'coordinator', kind: 'coordinator.started', subjectType: 'coordinator', subjectId: 'x', detail: {} });
    await reopened.close();
    expect(next.seq).toBe(entries + 1);
    const v = await runCli(COORDINATOR_CLI, ['verify-log', '--data-dir', restored], { cwd: work });
    expect(v.code, v.stderr).toBe(0);
  }, 120_000);

  it('PostgreSQL is pointed at pg_dump', async () => {
    const r = await runCli(COORDINATOR_CLI, ['backup', '--database-url', 'postgresql://127.0.0.1/x', '--out', join(work, 'pg.db')], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^INVALID_ARGUMENT: backup copies SQLite databases; for PostgreSQL use pg_dump -Fc/);
  }, 60_000);
});

describe('backup and restore (PostgreSQL, pg_dump / pg_restore)', () => {
  const pg = postgresHarness();
  beforeAll(async () => pg.setup());
  afterAll(async () => pg.teardown());

  it('dumps a running coordinator\'s database, restores it onto a fresh database, and registry and log verify', async () => {
    for (const tool of ['pg_dump', 'pg_restore']) {
      try {
        execFileSync(tool, ['--version']);
      } catch {
        throw new Error(`${tool} is not installed: install the PostgreSQL client tools (apt-get install postgresql-client) to run this test`);
      }
    }
    const url = await pg.freshUrl();
    const dataDir = join(work, 'pg-live');
    mkdirSync(dataDir);
    const { store, taskId, before } = await runningCoordinator(url, dataDir);
    const entries = (await store.listAuditEvents()).length;
    const dump = join(work, 'consort.dump');
    // The documented commands: a custom-format dump while the coordinator runs, restored into an empty database.
    execFileSync('pg_dump', ['--format=custom', '--no-owner', '--file', dump, url]);
    await store.close();
    const fresh = await pg.freshUrl();
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', fresh, dump]);
    const keyB64 = (JSON.parse(readFileSync(join(dataDir, 'coordinator-key.json'), 'utf8')) as { publicKey: string }).publicKey;
    await expectRestoredVerifies(['--database-url', fresh], taskId, before, entries, ['--public-key', keyB64]);
  }, 120_000);
});

describe('upgrading with migrations', () => {
  const sq = sqliteHarness();
  beforeAll(async () => sq.setup());
  afterAll(async () => sq.teardown());

  it('a database of the previous release gets migration 0003 at open; its audit events are chained at the first append and verify', async () => {
    // The previous release: migrations 0001 and 0002 only.
    const old = join(work, 'old-migrations');
    for (const provider of ['sqlite', 'postgresql']) {
      for (const m of ['0001_init', '0002_member_revocation']) cpSync(join(MIGRATIONS_DIR, provider, m), join(old, provider, m), { recursive: true });
    }
    const url = await sq.freshUrl();
    const previous = await openStore(url, { migrationsDir: old });
    await previous.close();
    for (let i = 1; i <= 3; i++) {
      await sq.query(url, `INSERT INTO "AuditEvent" ("at", "actor", "kind", "subjectType", "subjectId", "detailJson") VALUES ('2026-0${i}-01 00:00:00', 'operator', 'tokens.issued', 'federation', 'f', '{"count":${i}}')`);
    }
    const upgraded = await openStore(url);
    const applied = await sq.query(url, 'SELECT "name" FROM "_consort_migrations" ORDER BY "name"');
    expect(applied.map((r) => r.name)).toContain('0006_audit_chain_registry');
    await upgraded.appendAuditEvent({ actor: 'coordinator', kind: 'coordinator.started', subjectType: 'coordinator', subjectId: 'x', detail: {} });
    const events = await upgraded.listAuditEvents();
    await upgraded.close();
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(events[0].at.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  }, 60_000);
});
