// Which database an offline command (report, models, verify-log) reads: the coordinator's one resolution (flags > environment > defaults).
import { existsSync } from 'node:fs';
import { ConsortError } from '@consort/core';
import { databaseUrlOf } from '../config/coordinator-config.ts';
import { sqlitePathOf } from '../store/open-store.ts';

/** The database URL of an offline command; refuses a SQLite file that is not there. */
export function offlineDatabaseUrl(o: { dataDir: string; databaseUrl?: string }, command = 'the command'): string {
  const url = databaseUrlOf(o);
  // Opening a SQLite file that is not there would create an empty database: refuse instead.
  if (url.startsWith('file:') && !existsSync(sqlitePathOf(url))) {
    throw new ConsortError('NOT_FOUND', `no coordinator database at ${sqlitePathOf(url)}; run ${command} in the folder where serve ran, or pass --data-dir / --database-url`);
  }
  return url;
}
