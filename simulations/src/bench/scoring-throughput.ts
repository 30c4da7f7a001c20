// Scoring throughput: raw csv-parse over a file vs full scoring of it, measured in the same run (used by scoring-bench.ts).
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { loadModel, scoreCsv } from '@consort/client-sdk';

/** Throughput of parsing alone vs scoring, on one file. */
export interface ScoringBenchmark {
  rows: number;
  parseSeconds: number;
  parseRowsPerSecond: number;
  scoreSeconds: number;
  scoreRowsPerSecond: number;
  /** scoreRowsPerSecond / parseRowsPerSecond: how close scoring gets to the parser's ceiling. */
  ratio: number;
}

/**
 * Times, in one process, a bare csv-parse pass over `file` (the floor any streaming scorer pays)
 * and a full scoreCsv of it with `modelFile` (model loading, validation, inference, output to a
 * temporary file that is removed). The model is loaded before timing so both sides measure row
 * throughput only. The file must have a header and the model's columns.
 */
export async function benchmarkScoring(file: string, modelFile: string, opts: { batchSize?: number; threads?: number } = {}): Promise<ScoringBenchmark> {
  const model = await loadModel(modelFile);
  const parseStart = performance.now();
  let records = 0;
  for await (const _record of createReadStream(file).pipe(parse({ bom: true, skip_empty_lines: true }))) records++;
  const parseSeconds = (performance.now() - parseStart) / 1000;
  const rows = Math.max(0, records - 1);

  const dir = await mkdtemp(join(tmpdir(), 'consort-score-bench-'));
  try {
    const scoreStart = performance.now();
    const summary = await scoreCsv({ modelFile: model, input: file, output: join(dir, 'scores.csv'), batchSize: opts.batchSize, threads: opts.threads });
    const scoreSeconds = (performance.now() - scoreStart) / 1000;
    const parseRowsPerSecond = rows / parseSeconds;
    const scoreRowsPerSecond = summary.rows / scoreSeconds;
    return { rows, parseSeconds, parseRowsPerSecond, scoreSeconds, scoreRowsPerSecond, ratio: scoreRowsPerSecond / parseRowsPerSecond };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
