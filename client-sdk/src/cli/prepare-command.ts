// CLI command `prepare`: turn a member's own export into the customer-level CSV the agent's --data reads.
import type { Command } from 'commander';
import { loadMapping } from '../onboarding/mapping.ts';
import { prepareFeatures } from '../onboarding/prepare.ts';
import { ingestProgress } from '../onboarding/progress.ts';
import { loadTaskFile } from '../onboarding/validate.ts';

/** Adds `prepare --mapping m.yaml --task task.yaml --out features.csv`. */
export function registerPrepareCommand(program: Command): Command {
  program.command('prepare')
    .description('map your export (CSV or SQL, customer or transaction level) to the federation\'s columns; writes only the columns the task uses')
    .requiredOption('--mapping <file>', 'your mapping file (YAML or JSON, see docs/onboarding.md)')
    .requiredOption('--task <file>', 'the federation\'s task file (YAML or JSON)')
    .requiredOption('--out <csv>', 'where to write the prepared features (pass it to `run --data`)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (o: { mapping: string; task: string; out: string; json?: boolean }) => {
      const mapping = loadMapping(o.mapping);
      const { task } = loadTaskFile(o.task);
      const progress = ingestProgress('preparing');
      const started = performance.now();
      let r;
      try {
        r = await prepareFeatures(mapping, task, o.out, { onProgress: progress.onProgress });
      } finally {
        progress.stop();
      }
      const s = (performance.now() - started) / 1000;
      const c = r.counts;
      if (o.json) {
        console.log(JSON.stringify({ out: r.out, rows: r.rows, seconds: s, counts: c, sourceColumnsRead: r.sourceColumnsRead, columns: r.columns }, null, 2));
        return;
      }
      console.log(`read ${c.read} ${mapping.transactions ? 'lines' : 'rows'} in ${s.toFixed(2)} s (${Math.round(c.read / Math.max(s, 1e-3))}/s); wrote ${r.rows} customer rows to ${r.out}`);
      console.log(`  excluded: ${c.filteredOut} outside the filter, ${c.noConsent} without consent${mapping.transactions ? `, ${c.noCustomer} lines without customer id` : ''}`);
      console.log(`  columns read from the export: ${r.sourceColumnsRead.join(', ')}; written: ${r.columns.join(', ')}`);
    });
  return program;
}
