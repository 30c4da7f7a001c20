// `pull-model`: a member fetches the model file of a published version of one of its federation's tasks (signed request).
import type { Command } from 'commander';
import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { modelFileSummary, modelVersionOption } from '@consort/core';
import { MemberClient } from '../agent/member-client.ts';
import { checkModelFileBytes } from '../agent/model-archive.ts';
import { loadIdentity } from '../identity/member-identity.ts';
import { coordinatorAddress, resolveTransport, transportOptions, type TransportFlags } from './transport-options.ts';

interface PullFlags extends TransportFlags {
  task: string;
  version: number;
  out: string;
  identity: string;
  coordinator?: string;
  json?: boolean;
}


/** Adds `pull-model` to the member CLI. */
export function registerPullCommand(program: Command): Command {
  return transportOptions(program.command('pull-model')
    .description('download the model file of a published version of a task (checked before it is written)')
    .requiredOption('--task <id>', 'task id (from your operator)')
    .option('--version <n>', 'version to fetch; 0 = the latest published', modelVersionOption, 0)
    .requiredOption('--out <file>', 'where to write the model file (e.g. model.json)')
    .option('--identity <path>', 'identity file written by enroll', '.consort-member/identity.json')
    .option('--coordinator <address>', 'coordinator host:port (default: CONSORT_COORDINATOR, else the address saved at enrollment)')
    .option('--json', 'print what was written as one JSON line'))
    .action(async (o: PullFlags) => {
      const identity = loadIdentity(o.identity);
      const coordinator = coordinatorAddress(o.coordinator, identity.coordinator);
      const client = new MemberClient(coordinator, identity, resolveTransport(coordinator, o, o.identity));
      try {
        const { bytes } = await client.fetchModelFile({ taskId: o.task, version: o.version });
        const file = checkModelFileBytes(bytes, `model of task ${o.task}`);
        const out = resolve(o.out);
        // Written beside and renamed: a reader never sees half a model file.
        await writeFile(`${out}.partial`, bytes);
        await rename(`${out}.partial`, out);
        const summary = modelFileSummary(file, bytes.byteLength, out);
        console.log(o.json
          ? JSON.stringify(summary)
          : `pulled ${file.kind} version ${file.version} of task ${file.taskId} ("${file.task}"), weights sha256 ${file.sha256}: ${out} (${bytes.byteLength} bytes)`);
      } finally {
        client.close();
      }
    });
}
