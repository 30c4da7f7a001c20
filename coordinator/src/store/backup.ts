// Online backup of a SQLite coordinator database: VACUUM INTO, a consistent snapshot taken while the coordinator runs.
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createClient } from '@libsql/client';
import { ConsortError } from '@consort/core';
import { sqlitePathOf } from './open-store.ts';

// How long the snapshot waits for a writer's lock before giving up.
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Writes a compacted copy of the SQLite database at `databaseUrl` to `outFile` (mode 600). The
 * copy is one read transaction: it holds every row committed before it began and none after,
 * whatever the running coordinator writes meanwhile. PostgreSQL has pg_dump (docs/operations.md).
 */
export async function backupSqlite(databaseUrl: string, outFile: string): Promise<{ file: string; bytes: number }> {
  if (!databaseUrl.startsWith('file:')) {
    throw new ConsortError('INVALID_ARGUMENT', 'backup copies SQLite databases; for PostgreSQL use pg_dump -Fc (see docs/operations.md, "Backups")');
  }
  const source = sqlitePathOf(databaseUrl);
  const out = resolve(outFile);
  if (!existsSync(source)) throw new ConsortError('NOT_FOUND', `no coordinator database at ${source}; pass --data-dir / --database-url`);
  if (existsSync(out)) throw new ConsortError('INVALID_ARGUMENT', `${out} exists; backup never overwrites a file: choose a new name`);
  mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
  const client = createClient({ url: `file:${source}`, timeout: BUSY_TIMEOUT_MS });
  try {
    await client.execute({ sql: 'VACUUM INTO ?', args: [out] });
  } catch (err) {
    throw new ConsortError('STORE_FAILURE', `backup of ${source} to ${out} failed: ${(err as Error).message}; check the folder is writable and has room, then retry`);
  } finally {
    client.close();
  }
  // Members' identities and every round's aggregates: owner-only, like the database itself.
  chmodSync(out, 0o600);
  return { file: out, bytes: statSync(out).size };
}
