// Runs the Store contract against PostgreSQL on 127.0.0.1:5432 in throw-away databases.
// Fails (does not skip) when the server is unreachable: CI starts it, and a silent skip would hide
// a broken PostgreSQL path. Override the server with CONSORT_TEST_PG_URL (an admin connection URL).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { storeContract } from '../../test-support/store-contract.ts';

const adminUrl = process.env.CONSORT_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const prefix = `consort_test_${randomBytes(4).toString('hex')}`;
const created: string[] = [];

function urlOf(database: string): string {
  const u = new URL(adminUrl);
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

storeContract({
  provider: 'postgresql',
  async setup() {
    try {
      await withClient(adminUrl, (c) => c.query('SELECT 1'));
    } catch (err) {
      throw new Error(`PostgreSQL is not reachable at ${adminUrl} (${(err as Error).message}): start it (pg_ctlcluster 15 main start) or set CONSORT_TEST_PG_URL`);
    }
  },
  async freshUrl() {
    const name = `${prefix}_${created.length}`;
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
    created.push(name);
    return urlOf(name);
  },
  async query(url, sql) {
    return withClient(url, async (c) => (await c.query(sql)).rows as Record<string, unknown>[]);
  },
  async teardown() {
    await withClient(adminUrl, async (c) => {
      for (const name of created) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  },
});
