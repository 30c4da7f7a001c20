// CLI: generate a synthetic consortium and write one CSV per member plus a manifest.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { commandFailure, integerOption } from '@consort/core';
import { churnRate, generateConsortium, writeConsortium } from '../generator/index.ts';

const program = new Command()
  .name('consort-generate')
  .description('Generate a synthetic, non-IID consortium of small-business customer tables (deterministic by seed)')
  .option('--members <n>', 'number of member businesses', integerOption('--members', 1, 1000), 8)
  .option('--seed <s>', 'random seed (same seed, same files)', integerOption('--seed', 0), 7)
  .option('--customers <n>', 'approximate total number of customers (default 12000)', integerOption('--customers', 1))
  .option('--out <dir>', 'output directory', './consortium-data')
  .option('--cutoff <date>', 'export date, YYYY-MM-DD (default 2025-06-30)')
  // Usage errors are printed once, as `INVALID_ARGUMENT: …`, by the handler at the end (exit 2).
  .exitOverride().configureOutput({ outputError: () => undefined })
  .action((opts: { members: number; seed: number; customers?: number; out: string; cutoff?: string }) => {
    const options = { members: opts.members, seed: opts.seed, totalCustomers: opts.customers, cutoffDate: opts.cutoff };
    // Drop unset options so the generator's own defaults apply.
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as typeof options;
    const datasets = generateConsortium(given);
    const out = resolve(opts.out);
    writeConsortium(out, datasets, { options: given });
    for (const d of datasets) {
      console.log(`${d.memberId}  ${d.name.padEnd(24)}  rows=${String(d.rows.length).padStart(6)}  churn=${(churnRate(d.rows) * 100).toFixed(1)}%`);
    }
    console.log(`wrote ${datasets.length} members to ${out}`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const f = commandFailure(err);
  if (f.stderr) console.error(f.stderr);
  process.exit(f.exitCode);
});
