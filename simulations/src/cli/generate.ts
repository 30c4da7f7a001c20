// CLI: generate a synthetic consortium and write one CSV per member plus a manifest.
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { churnRate, generateConsortium, writeConsortium } from '../generator/index.ts';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not an integer');
  return n;
}

const program = new Command()
  .name('consort-generate')
  .description('Generate a synthetic, non-IID consortium of small-business customer tables (deterministic by seed)')
  .option('--members <n>', 'number of member businesses', integer, 8)
  .option('--seed <s>', 'random seed (same seed, same files)', integer, 7)
  .option('--customers <n>', 'approximate total number of customers (default 12000)', integer)
  .option('--out <dir>', 'output directory', './consortium-data')
  .option('--cutoff <date>', 'export date, YYYY-MM-DD (default 2025-06-30)')
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
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
