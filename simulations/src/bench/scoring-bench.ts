// ONNX scoring throughput vs the cost of just parsing the same CSV (issue 4), in one run:
// a synthetic member file of N customers and models trained on it (logistic and MLP).
//   npx tsx simulations/src/bench/scoring-bench.ts [--rows 200000]
import { Command } from 'commander';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialWeights, localFeatureStats, pipelineFromStats, pipelineInputDim, resolveTaskDefinition, type ModelSpec } from '@consort/core';
import { benchmarkScoring } from './scoring-throughput.ts';
import { churnTaskSchema, generateConsortium, toCsv, COLUMNS } from '../generator/index.ts';
import { machineLine, writeBenchmarkSection } from './benchmark-section.ts';

const o = new Command().option('--rows <n>', 'customers in the scored file', '200000').option('--out <file>', 'markdown to update', 'docs/benchmarks.md')
  .parse().opts<{ rows: string; out: string }>();

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'consort-scoring-bench-'));
  const rows = generateConsortium({ members: 4, seed: 3, totalCustomers: Number(o.rows) }).flatMap((d) => d.rows);
  const file = join(dir, 'customers.csv');
  writeFileSync(file, toCsv(COLUMNS, rows));
  const s = churnTaskSchema();
  const def = resolveTaskDefinition({ name: 'scoring', label: s.label, positiveLabel: s.positiveLabel, numeric: s.numeric, categorical: s.vocabularies });
  const schema = { numeric: def.numeric, categorical: def.categorical, label: def.label, positiveLabel: def.positiveLabel };
  const records = rows.slice(0, 20_000).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])));
  const pipeline = pipelineFromStats(schema, def.vocabularies, localFeatureStats(schema, def.vocabularies, records), 'binary');
  const lines: string[] = [];
  for (const kind of ['logistic', 'mlp'] as const) {
    const spec: ModelSpec = { kind, task: 'binary', inputDim: pipelineInputDim(pipeline), hidden: kind === 'mlp' ? [32, 16] : [], activation: 'relu', dropout: 0, l2: 0 };
    const modelFile = join(dir, `${kind}.json`);
    writeFileSync(modelFile, JSON.stringify({ task: 'scoring', spec, pipeline, weights: Array.from(initialWeights(spec, 1)) }));
    const b = await benchmarkScoring(file, modelFile);
    console.log(`[scoring-bench] ${kind}: parse ${Math.round(b.parseRowsPerSecond)} rows/s, score ${Math.round(b.scoreRowsPerSecond)} rows/s`);
    lines.push(`| ${kind} | ${b.rows.toLocaleString('en-US')} | ${Math.round(b.parseRowsPerSecond).toLocaleString('en-US')} | ${Math.round(b.scoreRowsPerSecond).toLocaleString('en-US')} | ${b.ratio.toFixed(2)} |`);
  }
  writeBenchmarkSection(o.out, 'scoring', [
    '## ONNX scoring throughput (issue 4)',
    '',
    `Machine: ${machineLine()}. Command: \`npx tsx simulations/src/bench/scoring-bench.ts --rows ${o.rows}\`. One run measures csv-parse alone over the file, then the full \`score\` path (parse, validate every cell, one onnxruntime session run per 4,096-row batch with preprocessing, probability, logit and per-column contributions in the graph, top-3 reasons, CSV output).`,
    '',
    '| model | rows | parse only (rows/s) | scoring (rows/s) | scoring ÷ parse |',
    '|---|---|---|---|---|',
    ...lines,
    '',
    `MLP reason codes cost one occlusion pass per numeric column and per category value with a pooled share (1 + ${pipeline.numeric.length} + ${pipeline.categorical.reduce((n, c) => n + (c.shares ?? [1]).filter((x) => x > 0).length, 0)} forward passes per batch here), since each categorical column is measured against the federation's mix of values (docs/scoring.md).`,
  ].join('\n'));
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); process.exit(1); });
