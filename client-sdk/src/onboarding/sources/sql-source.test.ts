// SQL sources against real databases: PostgreSQL through a server-side cursor (paged), SQLite by LIMIT/OFFSET pages.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlSource, redactUrl } from './sql-source.ts';

// Same server as the coordinator's PostgreSQL tests (CI provides it; see README).
const PG_URL = process.env.CONSORT_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const table = `consort_onboarding_${process.pid}`;

async function collect(rows: AsyncIterable<{ values: Record<string, string>; row: number }>) {
  const out = [];
  for await (const r of rows) out.push(r);
  return out;
}

describe('PostgreSQL source', () => {
  const admin = new pg.Client({ connectionString: PG_URL });
  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id text, spend numeric, since date, secret text)`);
    await admin.query(`INSERT INTO ${table} VALUES ('a', 1.5, '2024-01-02', 'x'), ('b', NULL, NULL, 'y'), ('c', 3, '2024-02-03', 'z')`);
  });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  it('streams a table page by page, only the requested columns, NULL as empty', async () => {
    const src = await openSqlSource({ url: PG_URL, table, pageSize: 2 });
    expect(src.columns).toEqual(['id', 'spend', 'since', 'secret']);
    const rows = await collect(src.rows(['id', 'spend']));
    expect(rows).toEqual([
      { values: { id: 'a', spend: '1.5' }, row: 1 }, { values: { id: 'b', spend: '' }, row: 2 }, { values: { id: 'c', spend: '3' }, row: 3 },
    ]);
  });

  it('runs a query and names a bad one clearly', async () => {
    const src = await openSqlSource({ url: PG_URL, query: `SELECT id FROM ${table} WHERE spend > 1 ORDER BY id;` });
    expect((await collect(src.rows(['id']))).map((r) => r.values.id)).toEqual(['a', 'c']);
    await expect(openSqlSource({ url: PG_URL, table: 'no_such_table_here' }))
      .rejects.toThrow(`${redactUrl(PG_URL)}: cannot read table no_such_table_here: relation "no_such_table_here" does not exist; check "source.table"/"source.query" in the mapping`);
  });

  it('cannot be made to write: a second statement is refused and the rows stay', async () => {
    // The escape found in review: end the read-only transaction, then delete.
    await expect(openSqlSource({ url: PG_URL, query: `SELECT id FROM ${table}; COMMIT; DELETE FROM ${table}` }))
      .rejects.toThrow('"source.query" must be a single SELECT statement');
    await expect(openSqlSource({ url: PG_URL, query: `SELECT 1 AS x) AS y; DELETE FROM ${table}; SELECT * FROM (SELECT 1` }))
      .rejects.toThrow('must be a single SELECT statement');
    // One statement that writes: refused by the read-only session.
    await expect(openSqlSource({ url: PG_URL, query: `SELECT id, pg_catalog.set_config('transaction_read_only', 'off', false) FROM ${table}` }).then((s) => collect(s.rows(['id']))))
      .rejects.toThrow(/cannot read query/);
    expect(Number((await admin.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n)).toBe(3);
    // A ';' inside a string literal is not a second statement.
    const src = await openSqlSource({ url: PG_URL, query: `SELECT id FROM ${table} WHERE secret <> 'a;b' ORDER BY id` });
    expect((await collect(src.rows(['id']))).length).toBe(3);
  });
});

describe('SQLite source', () => {
  it('pages through a table and refuses table names that are not plain identifiers', async () => {
    const url = `file:${join(mkdtempSync(join(tmpdir(), 'consort-sqlite-')), 'shop.db')}`;
    const db = createClient({ url });
    await db.execute('CREATE TABLE t (id TEXT, v REAL)');
    await db.execute("INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', NULL)");
    db.close();
    const src = await openSqlSource({ url, table: 't', pageSize: 2 });
    expect((await collect(src.rows(['id', 'v']))).map((r) => r.values)).toEqual([{ id: 'a', v: '1' }, { id: 'b', v: '2' }, { id: 'c', v: '' }]);
    await expect(openSqlSource({ url, table: 't; DROP TABLE t' })).rejects.toThrow('table name "t; DROP TABLE t" must be letters, digits and _ (optionally schema.table); use "query" for anything else');
  });

  it('hides passwords in connection URLs', () => {
    expect(redactUrl('postgresql://shop:s3cret@db.local/crm')).toBe('postgresql://shop:***@db.local/crm');
  });
});
