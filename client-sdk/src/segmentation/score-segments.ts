// Member-side segment scoring of a customer CSV with the exported ONNX graph: adds the segment id, name and distance per customer, locally.
import { createReadStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { ConsortError, parseNumericCell } from '@consort/core';
import { SegmentScorer } from './onnx-centroids.ts';
import { resolveScoreId } from '../onnx/score-id.ts';
import { detectDelimiter, readHeaderLine } from '../data/csv-head.ts';

/** Options of scoreSegmentsCsv. */
export interface ScoreSegmentsOptions {
  /** Customer CSV with a header row holding every segmentation feature column. */
  input: string;
  /** Output CSV `<id>,segment,segment_name,segment_distance`; written to `<output>.partial` then renamed. */
  output: string;
  /** Column identifying the customer, or `row` to number the rows; default `customer_id`, never guessed (see resolveScoreId). */
  idColumn?: string;
  /** Rows per onnxruntime call (default 4096). */
  batchSize?: number;
}

/** What scoring produced: per-segment counts, and every row's segment for local reports. */
export interface ScoreSegmentsResult {
  rows: number;
  countsByName: Record<string, number>;
  /** Segment id per row, in file order (e.g. for membershipChanges against another version). */
  segments: Int32Array;
  ids: string[];
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Scores a member's customer file with a segmentation model (bytes of exportSegmentOnnx). Missing
 * numeric cells (empty, NA...) are NaN, which the graph replaces by the federated mean; a
 * non-numeric cell throws DATA_INVALID naming file, row and column. Nothing leaves the machine.
 */
export async function scoreSegmentsCsv(model: Uint8Array, opts: ScoreSegmentsOptions): Promise<ScoreSegmentsResult> {
  const scorer = await SegmentScorer.create(model);
  const names = scorer.model.features.names;
  const batchSize = opts.batchSize ?? 4096;
  const lines: string[] = [];
  const segments: number[] = [];
  const ids: string[] = [];
  const countsByName: Record<string, number> = {};
  let batch: number[][] = [];
  let batchIds: string[] = [];
  let idColumn = '';
  let byRow = false;
  const flush = async () => {
    const scored = await scorer.score(batch);
    scored.forEach((s, i) => {
      lines.push([csvField(batchIds[i]), String(s.segment), csvField(s.name), s.distance.toFixed(6)].join(','));
      segments.push(s.segment);
      countsByName[s.name] = (countsByName[s.name] ?? 0) + 1;
    });
    ids.push(...batchIds);
    batch = [];
    batchIds = [];
  };
  try {
    // The same delimiter detection as the agent and model scoring: a `;` export scores here too.
    const delimiter = detectDelimiter(await readHeaderLine(opts.input, 'check the --data path'));
    const parser = createReadStream(opts.input).pipe(parse({ bom: true, columns: true, delimiter, skip_empty_lines: true }));
    let row = 1;
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      row++;
      if (row === 2) {
        const header = Object.keys(record);
        const missing = names.filter((c) => !header.includes(c));
        if (missing.length > 0) {
          throw new ConsortError('DATA_INVALID', `${opts.input} lacks the column(s) ${missing.join(', ')}; map your export to the federation's segmentation features`, { file: opts.input, missing });
        }
        const id = resolveScoreId({ file: opts.input, header, features: names, id: opts.idColumn });
        idColumn = id.name;
        byRow = id.kind === 'row';
      }
      const where = { file: opts.input, row };
      batch.push(names.map((c) => parseNumericCell(record[c], c, where) ?? NaN));
      batchIds.push(byRow ? String(row) : record[idColumn]);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    await scorer.release();
  }
  const partial = `${opts.output}.partial`;
  await writeFile(partial, `${[csvField(idColumn || 'customer_id'), 'segment', 'segment_name', 'segment_distance'].join(',')}\n${lines.map((l) => `${l}\n`).join('')}`);
  await rename(partial, opts.output);
  return { rows: segments.length, countsByName, segments: Int32Array.from(segments), ids };
}
