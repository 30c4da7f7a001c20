// Real databases for end-to-end tests: a temp SQLite file, or a fresh PostgreSQL database.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.CONSORT_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  kind: 'sqlite' | 'postgresql';
  url: string;
  drop(): Promise<void>;
}

export function sqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'consort-e2e-'));
  return { kind: 'sqlite', url: `file:${join(dir, 'consort.db')}`, drop: async () => undefined };
}

/** Creates an empty database on the local PostgreSQL server; fails (never skips) if it is down. */
export async function postgresDatabase(): Promise<TestDatabase> {
  const name = `consort_e2e_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL} (${err.message}); start it (see .ci/run) — these tests never skip`);
  });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind: 'postgresql',
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Both databases, for suites written once and run per store. */
export const DATABASES: { name: 'sqlite' | 'postgresql'; create: () => Promise<TestDatabase> }[] = [
  { name: 'sqlite', create: async () => sqliteDatabase() },
  { name: 'postgresql', create: postgresDatabase },
];
