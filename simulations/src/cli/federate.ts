// `npm run federate`: a federation over your own CSV files on one machine, without code — each
// file is one member (its own agent, its own identity), the task comes from a YAML/JSON file.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { resolveTaskDefinition, type TaskDefinitionInput } from '@consort/core';
import { runLocalFederation, stopLocalFederation } from '../scenario/local-federation.ts';
import { formatRoundRow, modelVersionTable, ROUND_TABLE_HEADER } from '../scenario/round-table.ts';

const o = new Command()
  .name('consort-federate')
  .description('Run a federation on this machine over member CSV files (one file per member).')
  .requiredOption('--task <file>', 'task definition (YAML or JSON; see docs/task-definition.md)')
  .requiredOption('--member <csv...>', 'one customer-level CSV per member (at least the task\'s minMembers)')
  .option('--rounds <n>', 'training rounds at most (default: the task\'s maxRounds, 200 unless set; training stops earlier when the held-out loss stops improving)')
  .option('--out <dir>', 'working folder (database, identities, model, report)', '.consort/federate')
  .option('--database-url <url>', 'coordinator database (default SQLite in --out)')
  .parse()
  .opts<{ task: string; member: string[]; rounds?: string; out: string; databaseUrl?: string }>();

async function main(): Promise<void> {
  const text = readFileSync(o.task, 'utf8');
  const task = (o.task.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as TaskDefinitionInput;
  const rounds = o.rounds === undefined ? undefined : Number(o.rounds);
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be an integer ≥ 1 (got "${o.rounds}"); leave it out to train until early stopping`);
  const resolved = resolveTaskDefinition(task);
  const cap = rounds ?? resolved.maxRounds;
  const plan = resolved.kind === 'segmentation' ? `${o.member.length} members`
    : resolved.earlyStopping ? `${o.member.length} members, training until the held-out loss stops improving (at most ${cap} rounds)` : `${o.member.length} members, ${cap} training rounds`;
  console.log(`federation "${task.name}": ${plan}\n`);
  console.log('round  purpose     members  dropped  train loss  held-out loss  held-out AUC  result');
  console.log(ROUND_TABLE_HEADER);
  const fed = await runLocalFederation({
    workDir: resolve(o.out), databaseUrl: o.databaseUrl, task, rounds,
    memberFiles: o.member.map((file) => ({ name: basename(file).replace(/\.csv$/i, ''), file: resolve(file) })),
    onReport: (r) => console.log(formatRoundRow(r)),
  });
  try {
    console.log(`\n${await modelVersionTable(fed.coordinator.store, fed.taskId)}`);
    if (fed.modelFile) console.log(`\nmodel: ${relative(process.cwd(), fed.modelFile)} (members use it locally: npm run agent -- score … for a churn/propensity model, npm run agent -- segment … for a segmentation)`);
    console.log(`report: ${relative(process.cwd(), fed.reportFile)}`);
  } finally {
    await stopLocalFederation(fed);
  }
}

main().catch((err: Error & { details?: string }) => {
  console.error(`federate failed: ${err.details ?? err.message}`);
  process.exit(1);
});
