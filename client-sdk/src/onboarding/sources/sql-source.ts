// SQL source: a table or query in SQLite (libsql) or PostgreSQL (pg), read in pages so memory stays bounded.
import { createClient, type Client as LibsqlClient } from '@libsql/client';
import pg from 'pg';
import { ConsortError } from '@consort/core';
import type { RecordSource, SourceRow } from './source.ts';

/** Options for openSqlSource: exactly one of table or query. */
export interface SqlSourceOptions {
  /** postgresql://user@host/db, or a SQLite file path / file: URL. */
  url: string;
  table?: string;
  query?: string;
  /** Rows fetched per round trip (default 5000). */
  pageSize?: number;
}

/** Hides a password in a connection URL so it never reaches a report or a log. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

function quoteIdent(name: string, url: string): string {
  // Identifiers cannot be bound as parameters: accept only plain (optionally schema-qualified) names.
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name)) {
    throw new ConsortError('INVALID_ARGUMENT', `${redactUrl(url)}: table name "${name}" must be letters, digits and _ (optionally schema.table); use "query" for anything else`, { table: name });
  }
  return name.split('.').map((p) => `"${p}"`).join('.');
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) return '';
  return String(v);
}

/**
 * A member's `source.query` must be ONE read-only statement: a second statement (`…; COMMIT;
 * DELETE …`) could end the read-only transaction and run outside it. Scans past quoted text and
 * comments so a ';' inside a string is allowed.
 */
export function assertSingleStatement(sql: string): void {
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') { quote = c; continue; }
    if (c === '-' && sql[i + 1] === '-') { const nl = sql.indexOf('\n', i); i = nl < 0 ? sql.length : nl; continue; }
    if (c === '/' && sql[i + 1] === '*') { const end = sql.indexOf('*/', i + 2); i = end < 0 ? sql.length : end + 1; continue; }
    if (c === ';') {
      throw new ConsortError('INVALID_ARGUMENT',
        `"source.query" must be a single SELECT statement; it has a second statement after character ${i + 1}. Remove it (Consort only ever reads your database)`, { position: i + 1 });
    }
  }
}

function sqlError(err: unknown, url: string, what: string): ConsortError {
  return new ConsortError('DATA_INVALID', `${redactUrl(url)}: cannot read ${what}: ${(err as Error).message}; check "source.table"/"source.query" in the mapping`, { source: redactUrl(url) });
}

async function openPostgres(opts: SqlSourceOptions, sql: string, what: string): Promise<RecordSource> {
  // Every session is read-only from its first statement; queries go through the extended
  // protocol (values: []), which the server refuses to run with more than one statement.
  const connect = () => new pg.Client({ connectionString: opts.url, options: '-c default_transaction_read_only=on' });
  const probe = connect();
  let columns: string[];
  try {
    await probe.connect();
    await probe.query('BEGIN READ ONLY');
    const r = await probe.query({ text: `SELECT * FROM (${sql}) AS consort_probe LIMIT 0`, values: [], rowMode: 'array' });
    await probe.query('ROLLBACK');
    columns = r.fields.map((f) => f.name);
  } catch (err) {
    throw sqlError(err, opts.url, what);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const page = opts.pageSize ?? 5000;
  return {
    describe: `${redactUrl(opts.url)} (${what})`,
    columns,
    async *rows(keep: string[]): AsyncGenerator<SourceRow> {
      const client = connect();
      await client.connect();
      const idx = keep.filter((c) => columns.includes(c)).map((c) => [c, columns.indexOf(c)] as const);
      let n = 0;
      try {
        // A server-side cursor: the server keeps the result, we hold one page at a time.
        await client.query('BEGIN READ ONLY');
        await client.query({ text: `DECLARE consort_cursor NO SCROLL CURSOR FOR ${sql}`, values: [] });
        for (;;) {
          const r = await client.query({ text: `FETCH ${page} FROM consort_cursor`, values: [], rowMode: 'array' });
          for (const row of r.rows as unknown[][]) {
            const values: Record<string, string> = {};
            for (const [name, i] of idx) values[name] = cell(row[i]);
            yield { values, row: ++n };
          }
          if (r.rows.length < page) break;
        }
        await client.query('ROLLBACK');
      } catch (err) {
        throw err instanceof ConsortError ? err : sqlError(err, opts.url, what);
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

async function openLibsql(opts: SqlSourceOptions, sql: string, what: string): Promise<RecordSource> {
  let client: LibsqlClient;
  let columns: string[];
  try {
    client = createClient({ url: opts.url });
    // SQLite's own read-only switch for this connection: a write fails whatever the query says.
    await client.execute('PRAGMA query_only = ON');
    const r = await client.execute(`SELECT * FROM (${sql}) LIMIT 0`);
    columns = r.columns;
  } catch (err) {
    throw sqlError(err, opts.url, what);
  }
  const page = opts.pageSize ?? 5000;
  return {
    describe: `${opts.url} (${what})`,
    columns,
    async *rows(keep: string[]): AsyncGenerator<SourceRow> {
      const idx = keep.filter((c) => columns.includes(c)).map((c) => [c, columns.indexOf(c)] as const);
      let n = 0;
      try {
        // The client has no cursor API: page with LIMIT/OFFSET (a table keeps its rowid order).
        for (let offset = 0; ; offset += page) {
          const r = await client.execute({ sql: `SELECT * FROM (${sql}) LIMIT ? OFFSET ?`, args: [page, offset] });
          for (const row of r.rows) {
            const values: Record<string, string> = {};
            for (const [name, i] of idx) values[name] = cell(row[i]);
            yield { values, row: ++n };
          }
          if (r.rows.length < page) break;
        }
      } catch (err) {
        throw err instanceof ConsortError ? err : sqlError(err, opts.url, what);
      } finally {
        client.close();
      }
    },
  };
}

/** Opens a SQL table or query as a RecordSource (PostgreSQL for postgres:// URLs, SQLite otherwise). */
export async function openSqlSource(opts: SqlSourceOptions): Promise<RecordSource> {
  if ((opts.table === undefined) === (opts.query === undefined)) {
    throw new ConsortError('INVALID_ARGUMENT', 'a SQL source needs exactly one of "table" or "query"');
  }
  const sql = opts.table !== undefined ? `SELECT * FROM ${quoteIdent(opts.table, opts.url)}` : opts.query!.trim().replace(/;\s*$/, '');
  const what = opts.table !== undefined ? `table ${opts.table}` : 'query';
  if (opts.query !== undefined) assertSingleStatement(sql);
  return /^postgres(ql)?:\/\//.test(opts.url) ? openPostgres(opts, sql, what) : openLibsql(opts, sql, what);
}
