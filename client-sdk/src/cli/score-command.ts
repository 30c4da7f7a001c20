// CLI commands `score` (local scoring of the member's CSV with the shared model) and `export-onnx`.
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { readFileSync } from 'node:fs';
import { ConsortError, parseThresholdPlan, type ThresholdPlanRecord } from '@consort/core';
import { DEFAULT_TIERS, exportModelFile, scoreCsv, type ScoreCsvOptions, type ScoreProgress, type ScoreSummary } from '../onnx/scorer.ts';
import { loadMapping } from '../onboarding/mapping.ts';

function cutPoint(value: string, flag: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new ConsortError('INVALID_ARGUMENT', `${flag} must be a probability between 0 and 1 (got "${value}")`, { option: flag });
  }
  return v;
}

function batchSizeOf(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1) throw new ConsortError('INVALID_ARGUMENT', `--batch-size must be an integer ≥ 1 (got "${value}")`, { option: '--batch-size' });
  return v;
}

interface ScoreFlags {
  model: string;
  data: string;
  out: string;
  id?: string;
  /** Former name of --id, still accepted. */
  idColumn?: string;
  mapping?: string;
  high: number;
  medium: number;
  batchSize?: number;
  threshold?: number;
  groupThresholds?: string;
  allowOtherVersion?: boolean;
  json?: boolean;
}

/** Reads a per-group thresholds plan file (consort-audit mitigate), refusing a malformed one by its field. */
export function readThresholdPlan(file: string): ThresholdPlanRecord {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `cannot read the thresholds plan ${file}: ${(err as Error).message}; check the --group-thresholds path`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${file} is not JSON (${(err as Error).message}); give the plan consort-audit mitigate wrote`, { file });
  }
  return parseThresholdPlan(json, file);
}

function decisionOf(o: ScoreFlags): ScoreCsvOptions['decision'] {
  if (o.groupThresholds && o.threshold !== undefined) throw new ConsortError('INVALID_ARGUMENT', 'give --threshold or --group-thresholds, not both (the plan holds its own common threshold)', { option: '--threshold' });
  if (o.allowOtherVersion && !o.groupThresholds) throw new ConsortError('INVALID_ARGUMENT', '--allow-other-version only applies with --group-thresholds', { option: '--allow-other-version' });
  if (o.groupThresholds) return { plan: readThresholdPlan(o.groupThresholds), allowOtherVersion: o.allowOtherVersion === true };
  return o.threshold === undefined ? undefined : { threshold: o.threshold };
}

function decisionNote(s: ScoreSummary): string {
  const d = s.decisions;
  if (!d) return '';
  if (!d.plan) return `; decision 1 for ${d.act} rows (score ≥ ${d.threshold})`;
  const groups = Object.entries(d.plan.byGroup).map(([g, x]) => `${g} ${x.act}/${x.rows} at ${x.threshold}`).join(', ');
  const c = d.plan.common;
  return `; decision 1 for ${d.act} rows with per-group thresholds on ${d.plan.grouping} (${groups || 'no row in a planned group'}); `
    + `common threshold ${d.plan.commonThreshold} for ${c.missing} rows with a blank group, ${c.unknown} outside the audited groups, ${c.suppressed} in groups the plan has no threshold for. `
    + `Caveat: ${d.plan.caveat}`;
}

function idNote(s: ScoreSummary): string {
  if (s.idFrom === 'row') return 'rows numbered by spreadsheet row, header = row 1';
  const from = { option: '--id', mapping: 'the mapping\'s id', prepared: 'as prepare writes it' }[s.idFrom];
  return `customers identified by column "${s.idColumn}", ${from}`;
}

/**
 * Adds `score` and `export-onnx` to the member CLI. `score` shows a progress bar (percent of
 * the file, rows, rows/s) when stdout is a terminal and prints one summary line either way, so
 * logs of scheduled runs stay readable.
 */
export function registerScoreCommand(program: Command): Command {
  program.command('score')
    .description('score your customers locally with the shared model: probability (or value), risk tier, top 3 reasons')
    .requiredOption('--model <file>', 'model file from the coordinator (export-model / pull-model), or an .onnx written by export-onnx')
    .requiredOption('--data <csv>', 'your customer CSV with the federation\'s column names')
    .requiredOption('--out <csv>', 'where to write the scores (one row per customer)')
    .option('--id <column>', 'column identifying the customer, copied to the output (default: customer_id, as prepare writes it); "row" numbers the rows instead')
    .option('--mapping <file>', 'your mapping file: its id column identifies the customer (when --id is not given)')
    .addOption(new Option('--id-column <name>', 'former name of --id').hideHelp())
    .option('--high <p>', 'probability from which a customer is "high" risk', (v) => cutPoint(v, '--high'), DEFAULT_TIERS.high)
    .option('--medium <p>', 'probability from which a customer is "medium" risk', (v) => cutPoint(v, '--medium'), DEFAULT_TIERS.medium)
    .option('--batch-size <rows>', 'rows per inference call', batchSizeOf)
    .option('--threshold <p>', 'add a decision column: 1 when the probability is at least p, else 0', (v) => cutPoint(v, '--threshold'))
    .option('--group-thresholds <plan.json>', 'add a decision column with the per-group thresholds of a plan (consort-audit mitigate): each row\'s group from the plan\'s protected columns')
    .option('--allow-other-version', 'apply a --group-thresholds plan made for another model version (warns)')
    .option('--json', 'print the summary as one JSON document on stdout')
    .action(async (o: ScoreFlags) => {
      const tty = process.stdout.isTTY === true && !o.json;
      const bar = tty
        ? new cliProgress.SingleBar({
          format: 'scoring {bar} {percentage}% | {rows} rows | {rate} rows/s | {duration_formatted}',
          hideCursor: true,
        }, cliProgress.Presets.shades_classic)
        : null;
      const started = performance.now();
      let barStarted = false;
      const onProgress = (p: ScoreProgress) => {
        if (!bar) return;
        if (!barStarted) { bar.start(p.totalBytes, 0, { rows: 0, rate: 0 }); barStarted = true; }
        const seconds = (performance.now() - started) / 1000;
        bar.update(p.bytesRead, { rows: p.rows.toLocaleString('en-US'), rate: Math.round(p.rows / Math.max(seconds, 1e-3)).toLocaleString('en-US') });
      };
      try {
        // A transaction export has no id column of its own: prepare writes its customer as customer_id.
        const mappingId = o.mapping ? loadMapping(o.mapping).id ?? 'customer_id' : undefined;
        const s = await scoreCsv({
          modelFile: o.model, input: o.data, output: o.out, idColumn: o.id ?? o.idColumn, mappingId,
          tiers: { high: o.high, medium: o.medium }, batchSize: o.batchSize, onProgress, decision: decisionOf(o),
        });
        if (bar && barStarted) bar.stop();
        if (s.decisions?.plan?.otherVersion) console.error(`warning: ${s.decisions.plan.otherVersion}`);
        if (o.json) {
          console.log(JSON.stringify(s, null, 2));
          return;
        }
        const tiers = s.tiers ? `, tiers high ${s.tiers.high} / medium ${s.tiers.medium} / low ${s.tiers.low}` : '';
        console.log(`scored ${s.rows} rows in ${s.seconds.toFixed(2)} s (${Math.round(s.rows / Math.max(s.seconds, 1e-3))} rows/s)${tiers}; wrote ${s.output} (${idNote(s)})${decisionNote(s)}`);
      } catch (err) {
        if (bar && barStarted) bar.stop();
        throw err;
      }
    });

  program.command('export-onnx')
    .description('write the shared model and its preprocessing as one ONNX file (for scoring elsewhere)')
    .requiredOption('--model <json>', 'model file from the coordinator (export-model / pull-model)')
    .requiredOption('--out <file.onnx>', 'output .onnx file; its SHA-256 goes to <file.onnx>.sha256, which score and segment check')
    .action(async (o: { model: string; out: string }) => {
      const { bytes, features, sha256 } = await exportModelFile(o.model, o.out);
      console.log(`wrote ${o.out} (${bytes} bytes; inputs over ${features.join(', ')}) and ${o.out}.sha256 (${sha256})`);
    });
  return program;
}
