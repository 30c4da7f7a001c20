// Databases for the contract suites (store, audit log): throw-away SQLite files and PostgreSQL databases.
// PostgreSQL fails (does not skip) when the server is unreachable: CI starts it, and a silent skip
// would hide a broken PostgreSQL path. Override the server with CONSORT_TEST_PG_URL (an admin URL).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import pg from 'pg';
import type { StoreHarness } from './store-contract.ts';

/** SQLite (libsql) databases in a temporary folder. */
export function sqliteHarness(): StoreHarness {
  let dir: string | undefined;
  let count = 0;
  return {
    provider: 'sqlite',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'consort-store-'));
    },
    async freshUrl() {
      count += 1;
      // A nested folder that does not exist yet: openStore must create it.
      return `file:${join(dir!, `db${count}`, 'consort.db')}`;
    },
    async query(url, sql) {
      const client = createClient({ url });
      try {
        const res = await client.execute(sql);
        return res.rows.map((r) => ({ ...r }));
      } finally {
        client.close();
      }
    },
    async teardown() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

const pgAdminUrl = process.env.CONSORT_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A URL of `database` on the test PostgreSQL server. */
export function pgUrlOf(database: string): string {
  const u = new URL(pgAdminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Throw-away databases on the PostgreSQL server at CONSORT_TEST_PG_URL (default 127.0.0.1:5432). */
export function postgresHarness(): StoreHarness & { adminUrl: string } {
  const prefix = `consort_test_${randomBytes(4).toString('hex')}`;
  const created: string[] = [];
  return {
    provider: 'postgresql',
    adminUrl: pgAdminUrl,
    async setup() {
      try {
        await withClient(pgAdminUrl, (c) => c.query('SELECT 1'));
      } catch (err) {
        throw new Error(`PostgreSQL is not reachable at ${pgAdminUrl} (${(err as Error).message}): start it (pg_ctlcluster 15 main start) or set CONSORT_TEST_PG_URL`);
      }
    },
    async freshUrl() {
      const name = `${prefix}_${created.length}`;
      await withClient(pgAdminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
      created.push(name);
      return pgUrlOf(name);
    },
    async query(url, sql) {
      return withClient(url, async (c) => (await c.query(sql)).rows as Record<string, unknown>[]);
    },
    async teardown() {
      await withClient(pgAdminUrl, async (c) => {
        for (const name of created) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
  };
}
