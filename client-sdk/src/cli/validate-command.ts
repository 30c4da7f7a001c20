// CLI command `validate`: check a member's mapped export against the federation's task before any round.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConsortError, EXIT_CODES } from '@consort/core';
import { loadMapping } from '../onboarding/mapping.ts';
import { ingestProgress } from '../onboarding/progress.ts';
import { renderReportHtml } from '../onboarding/report-html.ts';
import { formatReport, loadTaskFile, validateMapping } from '../onboarding/validate.ts';

function count(flag: string) {
  return (value: string): number => {
    const v = Number(value);
    if (!Number.isInteger(v) || v < 1) throw new ConsortError('INVALID_ARGUMENT', `${flag} must be an integer ≥ 1 (got "${value}")`, { option: flag });
    return v;
  };
}

/** Adds `validate --mapping m.yaml --task task.yaml [--html report.html]`; fails with DATA_INVALID (exit 3) when any rule fails. */
export function registerValidateCommand(program: Command): Command {
  program.command('validate')
    .description('check your export, through your mapping file, against the federation\'s task (nothing leaves this machine)')
    .requiredOption('--mapping <file>', 'your mapping file (YAML or JSON, see docs/onboarding.md)')
    .requiredOption('--task <file>', 'the federation\'s task file (YAML or JSON)')
    .option('--html <file>', 'also write the report as a self-contained HTML page')
    .option('--min-rows <n>', 'fewest usable rows accepted', count('--min-rows'))
    .option('--min-positives <n>', 'fewest positive labels accepted', count('--min-positives'))
    .option('--json', 'print the report as one JSON document on stdout')
    .action(async (o: { mapping: string; task: string; html?: string; minRows?: number; minPositives?: number; json?: boolean }) => {
      const mapping = loadMapping(o.mapping);
      const task = loadTaskFile(o.task);
      const progress = ingestProgress('validating');
      let report;
      try {
        report = await validateMapping(mapping, task, {
          onProgress: progress.onProgress,
          thresholds: { ...(o.minRows !== undefined ? { minRows: o.minRows } : {}), ...(o.minPositives !== undefined ? { minPositives: o.minPositives } : {}) },
        });
      } finally {
        progress.stop();
      }
      if (o.html) writeFileSync(o.html, renderReportHtml(report), { mode: 0o600 });
      const failed = `validation found ${report.errors} error(s), listed ${o.json ? 'in the report' : 'above'}; fix your export or mapping file and run validate again`;
      if (o.json) {
        // The report is the one JSON document; a failure is still told on stderr and by the exit code.
        console.log(JSON.stringify(report, null, 2));
        if (report.errors > 0) {
          console.error(`DATA_INVALID: ${failed}`);
          process.exitCode = EXIT_CODES.data;
        }
        return;
      }
      console.log(formatReport(report));
      if (o.html) console.log(`report written to ${o.html}`);
      if (report.errors > 0) throw new ConsortError('DATA_INVALID', failed);
    });
  return program;
}
