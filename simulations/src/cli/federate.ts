// `npm run federate`: a federation over your own CSV files on one machine, without code — each
// file is one member (its own agent, its own identity), the task comes from a YAML/JSON file.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { ConsortError, commandFailure, integerOption } from '@consort/core';
import { noModelError, readTaskFile, runPlan } from '@consort/coordinator';
import { runLocalFederation, stopLocalFederation } from '../scenario/local-federation.ts';
import { formatRoundRow, modelVersionTable, ROUND_TABLE_HEADER, segmentSummary } from '../scenario/round-table.ts';

interface FederateOptions { task: string; member: string[]; rounds?: number; out: string; databaseUrl?: string; json?: boolean }

const program = new Command()
  .name('consort-federate')
  .description('Run a federation on this machine over member CSV files (one file per member).')
  .requiredOption('--task <file>', 'task definition (YAML or JSON; see docs/task-definition.md)')
  .requiredOption('--member <csv...>', 'one customer-level CSV per member (at least the task\'s minMembers)')
  .option('--rounds <n>', 'training rounds at most (default: the task\'s maxRounds, 200 unless set; training stops earlier when the held-out loss stops improving; a segmentation task runs until k-means converges)', integerOption('--rounds', 1, 10_000))
  .option('--out <dir>', 'working folder (database, identities, model, report)', '.consort/federate')
  .option('--database-url <url>', 'coordinator database (default SQLite in --out)')
  .option('--json', 'print one JSON document on stdout (rounds, model and report files)')
  // Usage errors are printed once, as `INVALID_ARGUMENT: …`, by the handler at the end (exit 2).
  .exitOverride().configureOutput({ outputError: () => undefined });

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<FederateOptions>();
  // Resolved here, so a typo in the task file is refused before anything starts.
  const { input: task, task: def } = readTaskFile(o.task);
  for (const file of o.member) {
    if (!existsSync(file)) throw new ConsortError('FILE_UNREADABLE', `member file ${file} does not exist; check the path (relative paths are read from your current folder)`);
  }
  const say = (line: string) => { if (!o.json) console.log(line); };
  say(`federation "${task.name}": ${o.member.length} members; ${runPlan(def, o.rounds ?? (def.kind === 'model' ? def.maxRounds : 0))}\n`);
  say('round  purpose     members  dropped  train loss  held-out loss  held-out AUC  result');
  say(ROUND_TABLE_HEADER);
  const fed = await runLocalFederation({
    workDir: resolve(o.out), databaseUrl: o.databaseUrl,
    // The command prints its own table of rounds: coordinator warnings would repeat it as JSON on stderr.
    logLevel: process.env.CONSORT_LOG_LEVEL ?? 'error', task, rounds: o.rounds,
    memberFiles: o.member.map((file) => ({ name: basename(file).replace(/\.csv$/i, ''), file: resolve(file) })),
    onReport: (r) => say(formatRoundRow(r)),
  });
  try {
    if (o.json) {
      console.log(JSON.stringify({ task: fed.taskId, modelFile: fed.modelFile ?? null, reportFile: fed.reportFile, rounds: fed.reports }, null, 2));
    } else {
      console.log(`\n${await modelVersionTable(fed.coordinator.store, fed.taskId)}`);
      const segments = await segmentSummary(fed.coordinator.store, fed.taskId);
      if (segments) console.log(`\n${segments}`);
      if (fed.modelFile) console.log(`\nmodel: ${relative(process.cwd(), fed.modelFile)} (members use it locally: npm run agent -- score … for a churn/propensity model, npm run agent -- segment … for a segmentation)`);
      console.log(`report: ${relative(process.cwd(), fed.reportFile)}`);
    }
    if (!fed.modelFile) throw noModelError(fed.reports, 'check the member files with `npm run agent -- validate` and run again');
  } finally {
    await stopLocalFederation(fed);
  }
}

main().catch((err: unknown) => {
  const f = commandFailure(err, { json: process.argv.includes('--json') });
  if (f.stdout) console.log(f.stdout);
  if (f.stderr) console.error(f.stderr);
  process.exit(f.exitCode);
});
