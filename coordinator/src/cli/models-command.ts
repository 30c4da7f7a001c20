// `models` (the model registry of a task, every published version or one) and `backup` (SQLite copy): offline commands on the coordinator database.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { modelVersionOption } from '@consort/core';
import { openStore } from '../store/open-store.ts';
import { backupSqlite } from '../store/backup.ts';
import { getRegisteredModel, listRegisteredModels, type RegistryEntry } from '../models/registry.ts';
import { offlineDatabaseUrl } from './offline-database.ts';
import { output } from './operator-client.ts';

const metricText = (m: RegistryEntry['metrics']): string => {
  const evaluation = (m.evaluation ?? {}) as Record<string, unknown>;
  const shown = ['evalAuc', 'evalLoss', 'evalAccuracy', 'evalRmse'].flatMap((k) => {
    const v = evaluation[k] ?? m[k];
    return typeof v === 'number' ? [`${k} ${v.toFixed(4)}`] : [];
  });
  return shown.join('  ');
};

function lines(entries: RegistryEntry[]): string[] {
  return entries.flatMap((e) => [
    `v${e.version}  ${e.createdAt}  ${e.round ? `round ${e.round.number} (${e.round.participants} members, ${e.round.dropped} dropped)` : 'no round'}  ${metricText(e.metrics)}`.trimEnd(),
    `    weights sha256 ${e.sha256}  model file ${e.modelFileSha256}  audit report ${e.auditReportId ?? '(none yet)'}`,
  ]);
}

/** Adds `backup` to the coordinator CLI. */
export function registerBackupCommand(program: Command): Command {
  return program.command('backup')
    .description('copy the SQLite database to a new file while the coordinator runs (PostgreSQL: pg_dump, see docs/operations.md)')
    .requiredOption('--out <file>', 'the backup file to write (never overwritten)')
    .option('--data-dir <dir>', 'coordinator data folder (SQLite default)', '.consort')
    .option('--database-url <url>', 'file:… (default: DATABASE_URL, else SQLite in --data-dir)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (o: { out: string; dataDir: string; databaseUrl?: string; json?: boolean }) => {
      const b = await backupSqlite(o.databaseUrl ?? process.env.DATABASE_URL ?? `file:${join(resolve(o.dataDir), 'consort.db')}`, o.out);
      output(o.json, b, () => [`backup written to ${b.file} (${b.bytes} bytes); keep it with a copy of ${join(resolve(o.dataDir), 'coordinator-key.json')}`]);
    });
}

/** Adds `models` to the coordinator CLI. */
export function registerModelsCommand(program: Command): Command {
  return program.command('models')
    .description('list a task\'s published model versions: configuration, rounds, metrics, hashes, audit report (reads the coordinator database)')
    .requiredOption('--task <id>', 'task id')
    .option('--version <n>', 'one version only; 0 = the latest published', modelVersionOption)
    .option('--data-dir <dir>', 'coordinator data folder (SQLite default)', '.consort')
    .option('--database-url <url>', 'file:… or postgresql://… (default: DATABASE_URL, else SQLite in --data-dir)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (o: { task: string; version?: number; dataDir: string; databaseUrl?: string; json?: boolean }) => {
      const store = await openStore(offlineDatabaseUrl(o, 'models'));
      try {
        const entries = o.version === undefined ? await listRegisteredModels(store, o.task) : [await getRegisteredModel(store, o.task, o.version)];
        output(o.json, o.version === undefined ? { task: o.task, models: entries } : entries[0], () => (entries.length === 0
          ? [`task ${o.task} has no published model version yet: consort-coordinator run --task ${o.task}`]
          : lines(entries)));
      } finally {
        await store.close();
      }
    });
}
