// Applies coordinator/prisma/migrations/<provider>/*/migration.sql over the raw driver at store open.
// Prisma's own migrate needs the native schema engine, which is not always installable; these are
// the same SQL files in Prisma's folder layout, tracked in our own table `_consort_migrations`.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client as LibsqlClient } from '@libsql/client';
import type pg from 'pg';
import { ConsortError } from '@consort/core';
import type { StoreProvider } from './store.ts';

/** One migration file, with the checksum recorded when it is applied. */
export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The migrations table; not `_prisma_migrations`, whose format belongs to Prisma. */
export const MIGRATIONS_TABLE = '_consort_migrations';

// Any fixed 64-bit key: every coordinator that migrates the same database takes the same lock.
const PG_ADVISORY_LOCK_KEY = 7_243_051_177;

/** Default folder holding one sub-folder of migrations per provider. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

/** SHA-256 hex of the SQL with line endings normalised, so a CRLF checkout is not "tampered". */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads the migrations of one provider, in name order. */
export function loadMigrations(provider: StoreProvider, dir: string = MIGRATIONS_DIR): Migration[] {
  const base = `${dir.replace(/\/$/, '')}/${provider}`;
  if (!existsSync(base)) {
    throw new ConsortError('STORE_FAILURE', `No migrations folder at ${base}: the checkout is incomplete; restore coordinator/prisma/migrations/${provider}/`);
  }
  return readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(`${base}/${e.name}/migration.sql`))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(`${base}/${name}/migration.sql`, 'utf8');
      return { name, sql, checksum: migrationChecksum(sql) };
    });
}

/** Which migrations still need applying; throws on a changed or unknown applied migration. */
function pending(applied: Map<string, string>, migrations: Migration[], where: string): Migration[] {
  const known = new Set(migrations.map((m) => m.name));
  for (const name of applied.keys()) {
    if (!known.has(name)) {
      throw new ConsortError('STORE_FAILURE', `Database ${where} has migration "${name}" that this coordinator does not know: it was migrated by a newer version; upgrade the coordinator or use another database`, { migration: name });
    }
  }
  for (const m of migrations) {
    const stored = applied.get(m.name);
    if (stored !== undefined && stored !== m.checksum) {
      throw new ConsortError('STORE_FAILURE', `Migration "${m.name}" was changed after it was applied to ${where} (checksum ${stored.slice(0, 12)}… in the database, ${m.checksum.slice(0, 12)}… on disk): restore the original migration.sql and put schema changes in a new migration folder`, { migration: m.name });
    }
  }
  return migrations.filter((m) => !applied.has(m.name));
}

/**
 * Brings a SQLite database up to date. Each migration runs in a BEGIN IMMEDIATE transaction that
 * re-reads the table first, so two coordinators starting at once cannot both apply one.
 * Returns the names applied now.
 */
export async function migrateSqlite(client: LibsqlClient, migrations: Migration[], where = 'the SQLite database'): Promise<string[]> {
  await client.execute(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT NOT NULL PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TEXT NOT NULL)`);
  const done: string[] = [];
  for (;;) {
    const tx = await client.transaction('write');
    let next: Migration | undefined;
    try {
      const rows = await tx.execute(`SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}"`);
      const applied = new Map(rows.rows.map((r) => [String(r.name), String(r.checksum)]));
      next = pending(applied, migrations, where)[0];
      if (!next) {
        await tx.rollback();
        return done;
      }
      await tx.executeMultiple(next.sql);
      await tx.execute({
        sql: `INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum", "applied_at") VALUES (?, ?, ?)`,
        args: [next.name, next.checksum, new Date().toISOString()],
      });
      await tx.commit();
      done.push(next.name);
    } catch (err) {
      if (!tx.closed) await tx.rollback().catch(() => undefined);
      throw wrap(err, where, next?.name);
    }
  }
}

/**
 * Brings a PostgreSQL database up to date over one dedicated connection, holding a session
 * advisory lock so concurrent starts apply each migration once. Returns the names applied now.
 */
export async function migratePostgres(client: pg.Client, migrations: Migration[], where = 'the PostgreSQL database'): Promise<string[]> {
  await client.query('SELECT pg_advisory_lock($1)', [PG_ADVISORY_LOCK_KEY]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT NOT NULL PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const rows = await client.query<{ name: string; checksum: string }>(`SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}"`);
    const todo = pending(new Map(rows.rows.map((r) => [r.name, r.checksum])), migrations, where);
    const done: string[] = [];
    for (const m of todo) {
      await client.query('BEGIN');
      try {
        // No parameters: the simple query protocol runs the whole multi-statement file.
        await client.query(m.sql);
        await client.query(`INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum") VALUES ($1, $2)`, [m.name, m.checksum]);
        await client.query('COMMIT');
        done.push(m.name);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw wrap(err, where, m.name);
      }
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PG_ADVISORY_LOCK_KEY]).catch(() => undefined);
  }
}

function wrap(err: unknown, where: string, migration?: string): ConsortError {
  if (err instanceof ConsortError) return err;
  const what = migration ? `Migration "${migration}" failed on ${where}` : `Migrating ${where} failed`;
  return new ConsortError('STORE_FAILURE', `${what}: ${(err as Error).message}. Nothing of that migration was kept; check the database is reachable and writable, then restart`, { migration, cause: String(err) });
}
