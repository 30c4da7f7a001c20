// Fixtures for the ONNX export and scoring tests: a pipeline, random weights, synthetic member rows and CSVs.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import {
  SeededRandom, parameterCount, pipelineInputDim, type FeaturePipeline, type ModelFile, type ModelSpec,
} from '@consort/core';

/** A churn-like pipeline: four numeric columns on different scales and two categorical ones (with pooled shares, as fitted). */
export function churnPipeline(task: 'binary' | 'regression' = 'binary'): FeaturePipeline {
  return {
    numeric: [
      { name: 'recency_days', mean: 42.5, std: 30.2 },
      { name: 'frequency', mean: 6.1, std: 4.4 },
      { name: 'monetary', mean: 1234.56, std: 987.6 },
      { name: 'nps', mean: 7.2, std: 2.1 },
    ],
    categorical: [
      { name: 'plan', vocabulary: ['basic', 'plus', 'premium'], shares: [0.5, 0.3, 0.2] },
      { name: 'channel', vocabulary: ['web', 'store', 'phone', 'partner'], shares: [0.4, 0.3, 0.2, 0.1] },
    ],
    label: task === 'binary' ? 'churned' : 'next_spend',
    task,
  };
}

/** A spec over the pipeline: logistic, or an MLP with the given activation. */
export function specFor(pipeline: FeaturePipeline, kind: 'logistic' | 'mlp', activation: 'relu' | 'tanh' = 'relu'): ModelSpec {
  const inputDim = pipelineInputDim(pipeline);
  return kind === 'logistic'
    ? { kind, task: pipeline.task, inputDim }
    : { kind, task: pipeline.task, inputDim, hidden: [8, 5], activation };
}

/** Random weights of a plausible size (biases non-zero so they are exercised too). */
export function randomWeights(spec: ModelSpec, seed: number, scale = 0.6): Float32Array {
  const rng = new SeededRandom(seed);
  const w = new Float32Array(parameterCount(spec));
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * scale;
  return w;
}

/** A model file as the coordinator publishes it. */
export function modelFile(spec: ModelSpec, pipeline: FeaturePipeline, weights: Float32Array): ModelFile {
  return { task: 'test-churn', modelVersionId: 'mv-test', version: 3, spec, pipeline, weights: Array.from(weights) };
}

/**
 * Synthetic member records (string cells as in a CSV) with ~10% blanks in every feature
 * column: numeric values around the pipeline's means, categories from the vocabularies.
 */
export function randomRecords(pipeline: FeaturePipeline, rows: number, seed: number): Record<string, string>[] {
  const rng = new SeededRandom(seed);
  const out: Record<string, string>[] = [];
  for (let i = 0; i < rows; i++) {
    const r: Record<string, string> = { customer_id: `C${String(i + 1).padStart(6, '0')}` };
    for (const n of pipeline.numeric) {
      r[n.name] = rng.next() < 0.1 ? '' : (n.mean + n.std * rng.normal() * 1.5).toFixed(2);
    }
    for (const c of pipeline.categorical) {
      r[c.name] = rng.next() < 0.1 ? '' : c.vocabulary[rng.int(c.vocabulary.length)];
    }
    r[pipeline.label] = pipeline.task === 'binary' ? String(rng.int(2)) : (rng.next() * 500).toFixed(2);
    out.push(r);
  }
  return out;
}

/** Raw graph inputs for records: float64 numeric (NaN for blanks) and category strings. */
export function rawInputs(pipeline: FeaturePipeline, records: Record<string, string>[]): { numeric: Float64Array; categorical: string[] } {
  const numeric = new Float64Array(records.length * pipeline.numeric.length);
  const categorical: string[] = [];
  records.forEach((r, i) => {
    pipeline.numeric.forEach((n, j) => {
      numeric[i * pipeline.numeric.length + j] = r[n.name] === '' ? NaN : Number(r[n.name]);
    });
    for (const c of pipeline.categorical) categorical.push(r[c.name]);
  });
  return { numeric, categorical };
}

/** Writes `rows` synthetic records (plus an unused `region` column) as a CSV, streaming. */
export async function writeMemberCsv(file: string, pipeline: FeaturePipeline, rows: number, seed: number): Promise<void> {
  const columns = ['customer_id', 'region', ...pipeline.numeric.map((n) => n.name), ...pipeline.categorical.map((c) => c.name), pipeline.label];
  const out = createWriteStream(file);
  out.write(`${columns.join(',')}\n`);
  const chunk = 10_000;
  for (let start = 0; start < rows; start += chunk) {
    const records = randomRecords(pipeline, Math.min(chunk, rows - start), seed + start);
    const text = records.map((r, i) => {
      r.customer_id = `C${String(start + i + 1).padStart(7, '0')}`;
      r.region = ['north', 'south', 'east'][(start + i) % 3];
      return columns.map((c) => r[c]).join(',');
    }).join('\n');
    if (!out.write(`${text}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
