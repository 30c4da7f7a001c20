// `npm run demo`: a full federation on this machine — a coordinator on the embedded SQLite
// default and several member businesses, each training on its own generated customer table.
import { Command, Option } from 'commander';
import { commandFailure, integerOption } from '@consort/core';
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { churnTaskSchema, generateConsortium, writeConsortium } from '../generator/index.ts';
import { runLocalFederation, stopLocalFederation } from '../scenario/local-federation.ts';
import { formatRoundRow, ROUND_TABLE_HEADER, modelVersionTable } from '../scenario/round-table.ts';
import { noModelError } from '@consort/coordinator';

const program = new Command()
  .name('consort-demo')
  .description('Runs a federated churn model over generated member businesses on this machine.')
  .option('--members <n>', 'member businesses', integerOption('--members', 2, 200), 6)
  .option('--rounds <n>', 'training rounds', integerOption('--rounds', 1, 1000), 5)
  .option('--seed <n>', 'seed of the synthetic consortium', integerOption('--seed', 0), 7)
  .option('--customers <n>', 'customers over all members', integerOption('--customers', 100), 12000)
  .addOption(new Option('--model <kind>', 'model kind').choices(['logistic', 'mlp']).default('logistic'))
  .addOption(new Option('--aggregation <mode>', 'secure (pairwise masking) or plain (debug opt-out)').choices(['secure', 'plain']).default('secure'))
  .option('--out <dir>', 'working folder (database, member data, models)', '.consort/demo')
  .option('--database-url <url>', 'coordinator database (default: SQLite file in --out; postgresql://… for PostgreSQL)')
  // Usage errors are printed once, as `INVALID_ARGUMENT: …`, by the handler at the end (exit 2).
  .exitOverride().configureOutput({ outputError: () => undefined });

interface DemoOptions { members: number; rounds: number; seed: number; customers: number; model: string; aggregation: string; out: string; databaseUrl?: string }

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<DemoOptions>();
  const out = resolve(o.out);
  rmSync(out, { recursive: true, force: true });
  const members = o.members;
  console.log(`Consort demo: ${members} member businesses; 1 statistics round, ${o.rounds} training rounds, then 1 evaluation round; ${o.model} model, ${o.aggregation} aggregation\n`);
  const datasets = generateConsortium({ members, seed: o.seed, totalCustomers: o.customers });
  const files = writeConsortium(join(out, 'member-data'), datasets).filter((f) => f.endsWith('.csv'));
  for (const [i, d] of datasets.entries()) {
    const churn = d.rows.filter((r) => String(r.churned) === '1').length / d.rows.length;
    console.log(`  ${d.memberId}  ${d.name.padEnd(26)} ${String(d.rows.length).padStart(6)} customers  churn ${(100 * churn).toFixed(1)}%  ${relative(process.cwd(), files[i])}`);
  }
  const schema = churnTaskSchema();
  console.log('\nround  purpose     members  dropped  train loss  held-out loss  held-out AUC  result');
  console.log(ROUND_TABLE_HEADER);
  const started = Date.now();
  const fed = await runLocalFederation({
    workDir: out,
    databaseUrl: o.databaseUrl,
    // The command prints its own table of rounds: coordinator warnings would repeat it as JSON on stderr.
    logLevel: process.env.CONSORT_LOG_LEVEL ?? 'error',
    memberFiles: datasets.map((d, i) => ({ name: d.name, file: files[i] })),
    rounds: o.rounds,
    task: {
      name: 'churn-demo', label: schema.label, positiveLabel: schema.positiveLabel, numeric: schema.numeric,
      categorical: schema.vocabularies, protected: schema.protected,
      model: { kind: o.model === 'mlp' ? 'mlp' : 'logistic', task: 'binary', hidden: o.model === 'mlp' ? [32, 16] : [] },
      train: { localEpochs: 3, batchSize: 64, learningRate: o.model === 'mlp' ? 0.01 : 0.05 },
      minMembers: Math.min(5, members), stageTimeoutSeconds: 60, aggregation: o.aggregation === 'plain' ? 'plain' : 'secure',
    },
    onReport: (r) => console.log(formatRoundRow(r)),
  });
  try {
    console.log(`\nModel versions (held-out metrics are federated: summed over members' test splits)`);
    console.log(await modelVersionTable(fed.coordinator.store, fed.taskId));
    console.log(`\nbackends: ${[...new Set(fed.agents.map((a) => a.backend))].join(', ')}   time: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`database: ${fed.databaseUrl}`);
    if (fed.modelFile) console.log(`stored model: ${relative(process.cwd(), fed.modelFile)}`);
    console.log(`report: ${relative(process.cwd(), fed.reportFile)} (open in a browser)`);
    if (!fed.modelFile) throw noModelError(fed.reports, 'the rounds above say why');
  } finally {
    await stopLocalFederation(fed);
  }
}

main().catch((err: unknown) => {
  const f = commandFailure(err);
  if (f.stderr) console.error(f.stderr);
  process.exit(f.exitCode);
});
