// Opens the coordinator's store: picks SQLite (libsql) or PostgreSQL from the URL, migrates, connects.
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { ClosingPrismaLibSql } from './libsql-adapter.ts';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { ConsortError } from '@consort/core';
import { databaseUrlOf } from '../config/coordinator-config.ts';
import { loadMigrations, migratePostgres, migrateSqlite, MIGRATIONS_DIR, type Migration } from './migrate.ts';
import { PrismaStore, type Db } from './prisma-store.ts';
import type { Store } from './store.ts';

/** The database when none is given and DATABASE_URL is unset: SQLite in the default data folder (config/coordinator-config.ts). */
export const DEFAULT_DATABASE_URL = databaseUrlOf({}, {});

// How long a SQLite statement waits for another process's write lock before failing.
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** Options of openStore (tests point migrationsDir at a copy they can tamper with). */
export interface OpenStoreOptions {
  migrationsDir?: string;
}

/** Absolute database path of a `file:` URL (relative paths are relative to the cwd). */
export function sqlitePathOf(url: string): string {
  if (url.startsWith('file://')) return fileURLToPath(url.split('?')[0]);
  const path = url.slice('file:'.length).split('?')[0];
  if (path === '' || path.includes(':memory:')) {
    throw new ConsortError('INVALID_ARGUMENT', `DATABASE_URL "${url}" names no file: an in-memory SQLite database is lost between connections; use file:./path/to/consort.db`);
  }
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}

// The clients are generated (git-ignored) by scripts/gen-prisma.mjs at install time.
async function loadClient<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new ConsortError('STORE_FAILURE', `The Prisma client is not generated (${(err as Error).message.split('\n')[0]}); run \`pnpm gen:prisma\` (or \`pnpm install\`) at the repository root`);
  }
}

/** Hides the password of a connection URL for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/**
 * Opens the store for `databaseUrl` (default DATABASE_URL, then .consort/consort.db: databaseUrlOf):
 * `file:` -> SQLite through libsql, `postgres://` / `postgresql://` -> PostgreSQL through pg.
 * Pending migrations are applied first, so a fresh database needs no manual step.
 * Keep one Store per SQLite file per process: libsql is synchronous, so a second store's write
 * would block the event loop waiting for the first store's open transaction (busy timeout, then
 * STORE_FAILURE). Several processes, or several PostgreSQL stores, are fine.
 */
export async function openStore(databaseUrl?: string, options: OpenStoreOptions = {}): Promise<Store> {
  const url = databaseUrlOf({ databaseUrl });
  const migrationsDir = options.migrationsDir ?? MIGRATIONS_DIR;
  if (url.startsWith('file:')) return openSqlite(url, migrationsDir);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, migrationsDir);
  throw new ConsortError('INVALID_ARGUMENT', `Unsupported DATABASE_URL "${redact(url)}": use file:./path.db for SQLite or postgresql://user@host:5432/db for PostgreSQL`);
}

async function openSqlite(url: string, migrationsDir: string): Promise<Store> {
  const path = sqlitePathOf(url);
  const fileUrl = `file:${path}`;
  const migrations = loadMigrations('sqlite', migrationsDir);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // The database holds members' identities and every round's aggregates: owner-only, from
    // birth (SQLite gives its journal files the database file's permissions).
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
  } catch (err) {
    throw new ConsortError('STORE_FAILURE', `Cannot create the folder for the SQLite database ${path}: ${(err as Error).message}; choose a writable location with DATABASE_URL`);
  }
  // libsql runs SQLite synchronously: two migrators of one file in one process would block the
  // event loop on each other's lock, so in-process opens of a file take turns.
  const previous = sqliteOpenQueue.get(path) ?? Promise.resolve();
  let release = (): void => undefined;
  const turn = new Promise<void>((r) => (release = r));
  const queued = previous.then(() => turn);
  sqliteOpenQueue.set(path, queued);
  await previous;
  try {
    await migrateSqliteFile(path, fileUrl, migrations);
  } finally {
    release();
    if (sqliteOpenQueue.get(path) === queued) sqliteOpenQueue.delete(path);
  }
  const { PrismaClient } = await loadClient(() => import('./generated/sqlite/client.ts'));
  const db = new PrismaClient({ adapter: new ClosingPrismaLibSql({ url: fileUrl, timeout: SQLITE_BUSY_TIMEOUT_MS }) });
  return new PrismaStore('sqlite', db);
}

const sqliteOpenQueue = new Map<string, Promise<void>>();

async function migrateSqliteFile(path: string, fileUrl: string, migrations: Migration[]): Promise<void> {
  let migrator;
  try {
    migrator = createClient({ url: fileUrl, timeout: SQLITE_BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new ConsortError('STORE_FAILURE', `Cannot open the SQLite database ${path}: ${(err as Error).message}; check the path is writable`);
  }
  try {
    await migrateSqlite(migrator, migrations, `SQLite database ${path}`);
    // Write-ahead log (persistent in the file): one fsync per commit instead of the rollback
    // journal's three, with the same durability (synchronous stays FULL). libsql runs on the event
    // loop, so each saved fsync is time every member's request is not kept waiting.
    await migrator.execute('PRAGMA journal_mode=WAL');
  } finally {
    migrator.close();
  }
}

async function openPostgres(url: string, migrationsDir: string): Promise<Store> {
  const where = `PostgreSQL database ${redact(url)}`;
  const migrations = loadMigrations('postgresql', migrationsDir);
  const migrator = new pg.Client({ connectionString: url });
  try {
    await migrator.connect();
  } catch (err) {
    throw new ConsortError('STORE_FAILURE', `Cannot connect to ${where}: ${(err as Error).message}; check DATABASE_URL and that the server is running`);
  }
  try {
    await migratePostgres(migrator, migrations, where);
  } finally {
    await migrator.end().catch(() => undefined);
  }
  const { PrismaClient } = await loadClient(() => import('./generated/postgresql/client.ts'));
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  // Same model API as the SQLite client (see Db in prisma-store.ts).
  return new PrismaStore('postgresql', db as unknown as Db);
}
