// `export-model`: the operator writes the member model file (docs/model-file.md) of a published version of a task.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConsortError, modelFileSummary, modelVersionOption, type MemberModelFile } from '@consort/core';
import { AdminClient } from './admin-client.ts';

interface ExportFlags {
  task: string;
  version: number;
  out: string;
  json?: boolean;
  coordinator: string;
  token?: string;
  dataDir: string;
}


function operatorToken(o: ExportFlags): string {
  if (o.token) return o.token;
  if (process.env.CONSORT_ADMIN_TOKEN) return process.env.CONSORT_ADMIN_TOKEN;
  const file = join(resolve(o.dataDir), 'admin-token');
  if (!existsSync(file)) {
    throw new ConsortError('INVALID_ARGUMENT', `no operator token: ${file} does not exist; pass --token, set CONSORT_ADMIN_TOKEN, or --data-dir of the coordinator's folder`, { file });
  }
  return readFileSync(file, 'utf8').trim();
}

/** Adds `export-model` to the coordinator CLI. */
export function registerExportCommand(program: Command): Command {
  return program.command('export-model')
    .description('write the member model file of a published version of a task (members score with it)')
    .requiredOption('--task <id>', 'task id')
    .option('--version <n>', 'model version to export; 0 = the latest published', modelVersionOption, 0)
    .requiredOption('--out <file>', 'where to write the model file (e.g. model.json)')
    .option('--json', 'print what was written as one JSON line')
    .option('--coordinator <address>', 'the coordinator\'s operator address host:port (CONSORT_ADMIN_ADDRESS when set)', process.env.CONSORT_ADMIN_ADDRESS || '127.0.0.1:50052')
    .option('--token <token>', 'operator token (default: CONSORT_ADMIN_TOKEN or <data-dir>/admin-token)')
    .option('--data-dir <dir>', 'coordinator data folder (for the token file)', '.consort')
    .action(async (o: ExportFlags) => {
      const admin = new AdminClient(o.coordinator, operatorToken(o));
      try {
        const { bytes } = await admin.exportModel(o.task, o.version);
        const file = JSON.parse(bytes.toString('utf8')) as MemberModelFile;
        const out = resolve(o.out);
        // Written beside and renamed: a reader never sees half a model file.
        await writeFile(`${out}.partial`, bytes);
        await rename(`${out}.partial`, out);
        const summary = modelFileSummary(file, bytes.byteLength, out);
        console.log(o.json
          ? JSON.stringify(summary)
          : `exported ${file.kind} version ${file.version} of task ${file.taskId} ("${file.task}"), weights sha256 ${file.sha256}: ${out} (${bytes.byteLength} bytes)`);
      } finally {
        admin.close();
      }
    });
}
