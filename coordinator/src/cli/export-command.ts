// `export-model`: the operator writes the member model file (docs/model-file.md) of a published version of a task.
import type { Command } from 'commander';
import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { modelFileSummary, modelVersionOption, type MemberModelFile } from '@consort/core';
import { operatorOptions, output, withAdmin, type Conn } from './operator-client.ts';

/** Adds `export-model` to the coordinator CLI. */
export function registerExportCommand(program: Command): Command {
  return operatorOptions(program.command('export-model')
    .description('write the member model file of a published version of a task (members score with it)')
    .requiredOption('--task <id>', 'task id')
    .option('--version <n>', 'model version to export; 0 = the latest published', modelVersionOption, 0)
    .requiredOption('--out <file>', 'where to write the model file (e.g. model.json)')
    .option('--unaudited', 'export a version of a task that requires audits although it has no audit report (logged; otherwise AUDIT_MISSING)'))
    .action((o: Conn & { task: string; version: number; out: string; unaudited?: boolean }) => withAdmin(o, async (admin) => {
      const { bytes } = await admin.exportModel(o.task, o.version, o.unaudited ?? false);
      const file = JSON.parse(bytes.toString('utf8')) as MemberModelFile;
      const out = resolve(o.out);
      // Written beside and renamed: a reader never sees half a model file.
      await writeFile(`${out}.partial`, bytes);
      await rename(`${out}.partial`, out);
      if (o.unaudited) console.error(`warning: --unaudited: version ${file.version} may have no audit report; it is not released until audited (consort-audit list --task ${file.taskId})`);
      output(o.json, modelFileSummary(file, bytes.byteLength, out),
        () => [`exported ${file.kind} version ${file.version} of task ${file.taskId} ("${file.task}"), weights sha256 ${file.sha256}: ${out} (${bytes.byteLength} bytes)`]);
    }));
}
