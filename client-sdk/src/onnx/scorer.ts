// Member-side scoring: streams a CSV through the exported ONNX graph (onnxruntime-node) into scores, risk tiers and reason codes.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import * as ort from 'onnxruntime-node';
import {
  ConsortError, ONNX_IO, modelGraphOfFile, onnxOfModelFile, parseNumericCell, readOnnxMetadata, thresholdDecision, thresholdLookup,
  type FeaturePipeline, type GroupMiss, type ModelFile, type ModelSpec, type ThresholdPlanRecord,
} from '@consort/core';
import { detectDelimiter, readHeaderLine } from '../data/csv-head.ts';
import { verifyOnnxDigest, writeOnnxWithDigest } from './onnx-digest.ts';
import { resolveScoreId, type ScoreId } from './score-id.ts';

/** A model ready to score: the ONNX bytes plus what the scorer needs to feed and read it. */
export interface LoadedModel {
  spec: ModelSpec;
  pipeline: FeaturePipeline;
  /** Original feature columns, in the order of the graph's `contributions` output. */
  features: string[];
  onnx: Uint8Array;
  /** Where the model came from, for messages. */
  source: string;
  /** The model version id the file carries (model file field, or the .onnx provenance), if any. */
  modelVersionId?: string;
}

/** Cut points of the risk tiers (binary tasks): high ≥ high, medium ≥ medium, else low. */
export interface RiskTiers {
  high: number;
  medium: number;
}

/** Default cut points; members override them per campaign budget. */
export const DEFAULT_TIERS: RiskTiers = { high: 0.5, medium: 0.2 };

/** Rows per InferenceSession.run: large enough to amortize the call, small enough to bound memory. */
export const DEFAULT_SCORE_BATCH = 4096;

/** A model file's graph ready to score (core's modelGraphOfFile checks it), with where it came from. */
export function modelFromJson(json: ModelFile, source = 'model JSON'): LoadedModel {
  return { ...modelGraphOfFile(json, source), source, modelVersionId: json.modelVersionId };
}

/**
 * Loads a model for scoring: a model JSON (exported to ONNX in memory; its weights checked
 * against their sha256) or an .onnx file written by export-onnx (checked against its
 * `.sha256` sidecar; its metadata carries the pipeline). Chosen by the file's extension.
 * A mismatch throws MODEL_INTEGRITY naming the file.
 */
export async function loadModel(file: string): Promise<LoadedModel> {
  const bytes = await readModelBytes(file);
  if (file.toLowerCase().endsWith('.onnx')) {
    await verifyOnnxDigest(file, bytes);
    const meta = readOnnxMetadata(bytes, file);
    return { spec: meta.spec, pipeline: meta.pipeline, features: meta.features, onnx: new Uint8Array(bytes), source: file, modelVersionId: meta.props['consort.modelVersionId'] };
  }
  return modelFromJson(parseModelJson(bytes, file), file);
}

async function readModelBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `cannot read model file ${file}: ${(err as Error).message}; check the --model path`, { file });
  }
}

function parseModelJson(bytes: Buffer, file: string): ModelFile {
  try {
    return JSON.parse(bytes.toString('utf8')) as ModelFile;
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${file} is neither JSON nor .onnx (${(err as Error).message}); pass the published model JSON or an exported .onnx`, { file });
  }
}

/**
 * Writes the ONNX graph of a model JSON (a path or the parsed object) to `outOnnxPath` and its
 * SHA-256 to the sidecar `<outOnnxPath>.sha256`; the graph is self-contained (pipeline and
 * provenance in its metadata). A segmentation model file gets its nearest-centroid graph.
 * Returns the graph's size in bytes and its SHA-256 (hex).
 */
export async function exportModelFile(modelJson: string | ModelFile, outOnnxPath: string): Promise<{ bytes: number; features: string[]; sha256: string }> {
  const source = typeof modelJson === 'string' ? modelJson : 'model JSON';
  const json = typeof modelJson === 'string' ? parseModelJson(await readModelBytes(modelJson), modelJson) : modelJson;
  const { onnx, features } = onnxOfModelFile(json, source);
  const sha256 = await writeOnnxWithDigest(outOnnxPath, onnx);
  return { bytes: onnx.byteLength, features, sha256 };
}

/** Risk tier of a probability; `tiers` must satisfy 0 ≤ medium ≤ high ≤ 1 (see checkTiers). */
export function riskTier(score: number, tiers: RiskTiers = DEFAULT_TIERS): 'high' | 'medium' | 'low' {
  return score >= tiers.high ? 'high' : score >= tiers.medium ? 'medium' : 'low';
}

/** Throws INVALID_ARGUMENT unless 0 ≤ medium ≤ high ≤ 1. */
export function checkTiers(tiers: RiskTiers): void {
  const ok = [tiers.high, tiers.medium].every((v) => typeof v === 'number' && v >= 0 && v <= 1) && tiers.medium <= tiers.high;
  if (!ok) {
    throw new ConsortError('INVALID_ARGUMENT', `risk tier cut points must satisfy 0 ≤ medium ≤ high ≤ 1 (got high ${tiers.high}, medium ${tiers.medium})`, { ...tiers });
  }
}

/** A blank cell in a reason code: a blank category is "no category" to the model, which can be a reason. */
export const MISSING_VALUE = '(missing)';

/**
 * A numeric value as a reason shows it, in the column's own units: integers as they are, other
 * values to 6 significant digits (29.85, 1889.5, 0.000123).
 */
export function formatReasonValue(value: number): string {
  if (Number.isNaN(value)) return MISSING_VALUE;
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return String(Number(value.toPrecision(6)));
}

/**
 * A reason code as written to the output: the column, the customer's value and the signed
 * contribution against the federation's reference customer, in logit units for binary tasks
 * (output units for regression), e.g. `contract=month_to_month:+0.64`, `tenure_months=2:+1.10`.
 */
export function formatReason(feature: string, value: string, contribution: number): string {
  return `${feature}=${value}:${contribution < 0 ? '-' : '+'}${Math.abs(contribution).toFixed(2)}`;
}

/**
 * Indices of the `k` largest |contributions| of one row (row-major [rows, F] at `offset`),
 * largest first; exact zeros are not reasons (a blank numeric cell sits at the reference).
 */
export function topContributions(contributions: Float32Array, offset: number, F: number, k = 3): number[] {
  const best: number[] = [];
  for (let j = 0; j < F; j++) {
    const a = Math.abs(contributions[offset + j]);
    if (!(a > 0)) continue;
    let pos = best.length;
    while (pos > 0 && Math.abs(contributions[offset + best[pos - 1]]) < a) pos--;
    if (pos < k) {
      best.splice(pos, 0, j);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

// RFC 4180 quoting only when needed: ids rarely contain delimiters, so most cells are written as-is.
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Options of scoreCsv. */
export interface ScoreCsvOptions {
  /** Model JSON or .onnx file (see loadModel), or an already loaded model. */
  modelFile: string | LoadedModel;
  /** The member's CSV (header row; `,`, `;` or tab detected from the header). */
  input: string;
  /** Output CSV; written to `<output>.partial` and renamed when complete. */
  output: string;
  /**
   * Column copied to the output to identify the customer, or `row` to number the rows; default
   * `customer_id`. Without either, scoring fails listing candidate columns (see resolveScoreId).
   */
  idColumn?: string;
  /** The `id:` of the member's mapping file: used when idColumn is not given. */
  mappingId?: string;
  /** Risk tier cut points (binary tasks); default DEFAULT_TIERS. */
  tiers?: RiskTiers;
  /** Rows per inference call; default DEFAULT_SCORE_BATCH. */
  batchSize?: number;
  /**
   * Adds a `decision` column (1 = act, 0 = not) after the score (binary tasks): per-group
   * thresholds of a checked plan (`plan`, core parseThresholdPlan; the plan's model version is
   * checked against the model's unless `allowOtherVersion`), or one threshold for every row.
   * Without it the output columns are as before.
   */
  decision?: { threshold: number } | { plan: ThresholdPlanRecord; allowOtherVersion?: boolean };
  /**
   * onnxruntime intra-op threads; default 1, 0 = onnxruntime's default (one per core). These
   * graphs are a few small matrix products per batch: more threads measured no faster here and
   * their spinning competes with whatever else runs on a member's machine.
   */
  threads?: number;
  /** Called after each batch is written. */
  onProgress?: (p: ScoreProgress) => void;
}

/** Progress of a scoring run; bytes because the row count of a file is unknown until the end. */
export interface ScoreProgress {
  rows: number;
  bytesRead: number;
  totalBytes: number;
}

/** Outcome of scoreCsv. */
export interface ScoreSummary {
  rows: number;
  /** Rows per tier (binary tasks), null for regression. */
  tiers: { high: number; medium: number; low: number } | null;
  seconds: number;
  output: string;
  /** The output's id column: the input column copied, or `row` when rows were numbered. */
  idColumn: string;
  /** Where the id came from: --id, the mapping, the prepared file's customer_id, or row numbers. */
  idFrom: 'option' | 'mapping' | 'prepared' | 'row';
  /** Output header, e.g. customer_id,score,risk_tier,reason_1,reason_2,reason_3. */
  columns: string[];
  /** With a decision column: rows decided 1, and (per-group thresholds) the rows per group and those given the common threshold, by reason. */
  decisions?: ScoreDecisions;
}

/** What the decision column amounts to. */
export interface ScoreDecisions {
  /** Rows with decision 1. */
  act: number;
  /** One threshold for every row, or the plan's per-group thresholds. */
  threshold?: number;
  plan?: {
    fromModelVersionId: string;
    grouping: string;
    commonThreshold: number;
    /** Rows placed in a group with its own threshold, by group (key joined with " × "). */
    byGroup: Record<string, { rows: number; threshold: number; act: number }>;
    /** Rows given the common threshold: blank group value, value outside the audited groups, group without a threshold in the plan (withheld in the report). */
    common: Record<GroupMiss, number>;
    /** Set when the plan was made for another model version and --allow-other-version was given. */
    otherVersion?: string;
    caveat: string;
  };
}

/**
 * Refuses a plan made for another model version than the one scored (MITIGATION_PLAN_MISMATCH),
 * unless allowed: thresholds are bin edges of that version's score histograms and mean little on
 * another's. Returns a warning text when allowed anyway.
 */
export function checkPlanVersion(plan: ThresholdPlanRecord, model: Pick<LoadedModel, 'modelVersionId' | 'source'>, allowOtherVersion: boolean): string | undefined {
  if (plan.fromModelVersionId === model.modelVersionId) return undefined;
  const scored = model.modelVersionId === undefined ? 'a model file that names no model version' : `model version ${model.modelVersionId}`;
  const text = `the per-group thresholds were computed for model version ${plan.fromModelVersionId}, but ${model.source} is ${scored}`;
  if (!allowOtherVersion) {
    throw new ConsortError('MITIGATION_PLAN_MISMATCH', `${text}; plan again from this version's audit report (consort-audit mitigate), or pass --allow-other-version to apply them anyway`,
      { planModelVersionId: plan.fromModelVersionId, modelVersionId: model.modelVersionId ?? null });
  }
  return `${text}; applied anyway (--allow-other-version): the thresholds were not measured on this version`;
}

function parseErrorToConsort(err: unknown, file: string): unknown {
  const e = err as Error & { code?: string; lines?: number };
  if (err instanceof ConsortError || !(e.code?.startsWith('CSV_') || e.code === 'INVALID_OPENING_QUOTE')) return err;
  const hint = e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
    ? 'the row has a different number of fields than the header; look for a missing or extra delimiter (quote values that contain it)'
    : `${e.message}; fix the quoting or delimiters of that line`;
  return new ConsortError('DATA_INVALID', `${file}, line ${e.lines ?? '?'}: ${hint}`, { file, line: e.lines, cause: e.code });
}

/** One batch of raw model inputs, reused from batch to batch. */
interface Batch {
  numeric: Float64Array;
  categorical: string[];
  ids: string[];
  /** Per row, the group columns' values (per-group thresholds only). */
  groups: Array<Record<string, string>>;
  rows: number;
}

/**
 * Scores a member's CSV with a model, streaming: csv-parse → batches of `batchSize` rows → one
 * InferenceSession.run per batch → CSV rows `<id>,score[,risk_tier],reason_1,reason_2,reason_3`
 * in input order, one per input row. Memory is bounded by one batch: the parser is only read
 * while the batch fills (async iteration pauses the file stream meanwhile), and output waits
 * for 'drain'. onnxruntime-node runs a session on the JS thread (deferred by setImmediate), so
 * parsing and inference do not overlap; a profile puts inference at under a tenth of the time.
 *
 * Each row is validated before the graph sees it, since the graph cannot reject input: a missing
 * column, a non-numeric value or an unknown category throws ConsortError(DATA_INVALID) naming
 * the file, the spreadsheet row (header = row 1), the column and the value; nothing is left at
 * `output` then.
 */
export async function scoreCsv(opts: ScoreCsvOptions): Promise<ScoreSummary> {
  const started = performance.now();
  const model = typeof opts.modelFile === 'string' ? await loadModel(opts.modelFile) : opts.modelFile;
  const tiers = opts.tiers ?? DEFAULT_TIERS;
  checkTiers(tiers);
  const batchSize = opts.batchSize ?? DEFAULT_SCORE_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConsortError('INVALID_ARGUMENT', `batchSize must be an integer ≥ 1 (got ${batchSize})`);
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 0)) {
    throw new ConsortError('INVALID_ARGUMENT', `threads must be an integer ≥ 0 (got ${opts.threads})`);
  }
  const file = opts.input;
  const { pipeline, features } = model;
  const binary = model.spec.task === 'binary';
  const decide = opts.decision;
  if (decide && !binary) throw new ConsortError('INVALID_ARGUMENT', `${model.source} is a regression model: a decision column needs a probability (binary task)`, { file: model.source });
  if (decide && 'threshold' in decide && !(decide.threshold >= 0 && decide.threshold <= 1)) {
    throw new ConsortError('INVALID_ARGUMENT', `the decision threshold must be a probability between 0 and 1 (got ${decide.threshold})`, { option: '--threshold' });
  }
  const plan = decide && 'plan' in decide ? decide.plan : undefined;
  const otherVersion = plan ? checkPlanVersion(plan, model, decide !== undefined && 'plan' in decide && decide.allowOtherVersion === true) : undefined;
  const lookup = plan ? thresholdLookup(plan) : undefined;
  const groupColumns = plan ? [...new Set(plan.attributes.map((a) => a.column))] : [];
  const decisions: ScoreDecisions | undefined = !decide ? undefined : plan
    ? {
      act: 0,
      plan: {
        fromModelVersionId: plan.fromModelVersionId, grouping: plan.grouping, commonThreshold: plan.plan.commonThreshold,
        byGroup: {}, common: { missing: 0, unknown: 0, suppressed: 0 }, ...(otherVersion ? { otherVersion } : {}), caveat: plan.caveat,
      },
    }
    : { act: 0, threshold: (decide as { threshold: number }).threshold };
  const numNumeric = pipeline.numeric.length;
  const numCat = pipeline.categorical.length;
  const F = features.length;
  const vocabularies = pipeline.categorical.map((c) => new Set(c.vocabulary));
  // Quoting decided once per numeric feature (a formatted number never needs it): the output
  // loop is hot. A category value may hold a delimiter, so categorical reasons are checked each.
  const quoted = features.map((f, j) => j >= numNumeric || csvCell(`${f}=`) !== `${f}=`);
  const reasonCell = (b: Batch, i: number, j: number, c: number) => {
    const value = j < numNumeric ? formatReasonValue(b.numeric[i * numNumeric + j]) : (b.categorical[i * numCat + j - numNumeric] || MISSING_VALUE);
    const text = formatReason(features[j], value, c);
    return quoted[j] ? csvCell(text) : text;
  };

  const header = await readHeaderLine(file, 'check the --data path');
  if (header.trim() === '') throw new ConsortError('DATA_INVALID', `${file} is empty; export the customer table with a header row first`, { file });
  const delimiter = detectDelimiter(header);
  const totalBytes = (await stat(file)).size;

  const threads = opts.threads ?? 1;
  const session = await ort.InferenceSession.create(model.onnx, {
    graphOptimizationLevel: 'all',
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
  });
  const input = createReadStream(file);
  const parser = input.pipe(parse({ bom: true, delimiter, skip_empty_lines: true, relax_column_count: false }));
  const partial = `${opts.output}.partial`;
  const out: WriteStream = createWriteStream(partial, { mode: 0o600 });
  const counts = { high: 0, medium: 0, low: 0 };
  let rows = 0;
  let id: ScoreId | null = null;
  const columns: string[] = [];

  // A listener at all times: an fs write error (disk full) or a write cut short by cleanup must not crash the process.
  let outError: Error | null = null;
  out.on('error', (e) => { outError = e; });
  const write = async (text: string) => {
    if (outError) throw outError;
    if (!out.write(text)) await once(out, 'drain');
  };
  const newBatch = (): Batch => ({ numeric: new Float64Array(batchSize * numNumeric), categorical: new Array<string>(batchSize * numCat), ids: new Array<string>(batchSize), groups: [], rows: 0 });

  const runBatch = async (b: Batch): Promise<void> => {
    const n = b.rows;
    const feeds: Record<string, ort.Tensor> = {};
    if (numNumeric > 0) feeds[ONNX_IO.numeric] = new ort.Tensor('float64', b.numeric.subarray(0, n * numNumeric), [n, numNumeric]);
    if (numCat > 0) feeds[ONNX_IO.categorical] = new ort.Tensor('string', n === batchSize ? b.categorical : b.categorical.slice(0, n * numCat), [n, numCat]);
    const result = await session.run(feeds);
    const score = result[ONNX_IO.score].data as Float32Array;
    const contrib = result[ONNX_IO.contributions].data as Float32Array;
    const lines: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const s = score[i];
      let line = `${b.ids[i]},${binary ? s.toFixed(6) : String(Number(s.toPrecision(7)))}`;
      if (binary) {
        const tier = riskTier(s, tiers);
        counts[tier]++;
        line += `,${tier}`;
      }
      if (decisions) line += `,${decideRow(decisions, s, b.groups[i])}`;
      const top = topContributions(contrib, i * F, F, 3);
      for (let r = 0; r < 3; r++) {
        line += r < top.length ? `,${reasonCell(b, i, top[r], contrib[i * F + top[r]])}` : ',';
      }
      lines[i] = line;
    }
    await write(`${lines.join('\n')}\n`);
    rows += n;
    b.rows = 0;
    opts.onProgress?.({ rows, bytesRead: input.bytesRead, totalBytes });
  };

  // The decision uses the audit's own rule (score bin ≥ threshold bin), so the rates the audit measured apply exactly.
  const bins = plan?.plan.histogramBins ?? 0;
  const decideRow = (d: ScoreDecisions, score: number, groupValues: Record<string, string> | undefined): 0 | 1 => {
    let act: 0 | 1;
    if (lookup && d.plan) {
      const t = lookup(groupValues ?? {});
      act = thresholdDecision(score, t.edge, bins);
      if (t.miss) d.plan.common[t.miss]++;
      else {
        const name = t.group!.join(' × ');
        const g = (d.plan.byGroup[name] ??= { rows: 0, threshold: t.threshold, act: 0 });
        g.rows++;
        g.act += act;
      }
    } else act = score >= d.threshold! ? 1 : 0;
    d.act += act;
    return act;
  };

  let ok = false;
  try {
    let picksGroup: number[] = [];
    let picksNumeric: number[] = [];
    let picksCat: number[] = [];
    let idIndex = 0;
    let headerSeen = false;
    const current = newBatch();
    let row = 1;
    const where = { file, row };
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!headerSeen) {
        headerSeen = true;
        const names = record.map((c) => c.trim());
        const required = [...pipeline.numeric.map((c) => c.name), ...pipeline.categorical.map((c) => c.name)];
        const missing = required.filter((c) => !names.includes(c));
        if (missing.length > 0) {
          throw new ConsortError('DATA_INVALID',
            `${file}, row 1 (header): missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}; the file has ${names.map((c) => `"${c}"`).join(', ')}. Rename or map a column to each missing name`,
            { file, row: 1, column: missing[0], missing, found: names });
        }
        id = resolveScoreId({ file, header: names, features: required, label: pipeline.label, id: opts.idColumn, mappingId: opts.mappingId });
        idIndex = id.kind === 'column' ? id.index : -1;
        const missingGroup = groupColumns.filter((c) => !names.includes(c));
        if (missingGroup.length > 0) {
          throw new ConsortError('DATA_INVALID',
            `${file}, row 1 (header): the per-group thresholds place rows by column${missingGroup.length > 1 ? 's' : ''} ${missingGroup.map((m) => `"${m}"`).join(', ')}, which the file lacks; score the prepared file that has the protected columns`,
            { file, row: 1, column: missingGroup[0], missing: missingGroup });
        }
        picksGroup = groupColumns.map((c) => names.indexOf(c));
        picksNumeric = pipeline.numeric.map((c) => names.indexOf(c.name));
        picksCat = pipeline.categorical.map((c) => names.indexOf(c.name));
        columns.push(id.name, 'score', ...(binary ? ['risk_tier'] : []), ...(decisions ? ['decision'] : []), 'reason_1', 'reason_2', 'reason_3');
        await write(`${columns.map(csvCell).join(',')}\n`);
        continue;
      }
      row++;
      where.row = row;
      const k = current.rows;
      for (let j = 0; j < numNumeric; j++) {
        const v = parseNumericCell(record[picksNumeric[j]], pipeline.numeric[j].name, where);
        current.numeric[k * numNumeric + j] = v === null ? NaN : v;
      }
      for (let j = 0; j < numCat; j++) {
        const raw = record[picksCat[j]];
        const s = raw.trim();
        if (s !== '' && !vocabularies[j].has(s)) {
          const c = pipeline.categorical[j];
          throw new ConsortError('DATA_INVALID',
            `${file}, row ${row}, column "${c.name}": "${raw}" is not one of the federation's values (${c.vocabulary.join(', ')}); map it to one of them or leave it empty`,
            { file, row, column: c.name, value: raw, allowed: c.vocabulary });
        }
        current.categorical[k * numCat + j] = s;
      }
      current.ids[k] = idIndex >= 0 ? csvCell(record[idIndex]) : String(row);
      if (lookup) current.groups[k] = Object.fromEntries(groupColumns.map((c, j) => [c, record[picksGroup[j]]]));
      current.rows++;
      if (current.rows === batchSize) await runBatch(current);
    }
    if (!headerSeen) throw new ConsortError('DATA_INVALID', `${file} is empty; export the customer table with a header row first`, { file });
    if (current.rows > 0) await runBatch(current);
    out.end();
    await once(out, 'finish');
    await rename(partial, opts.output);
    ok = true;
  } catch (err) {
    throw parseErrorToConsort(err, file);
  } finally {
    if (!ok) {
      parser.destroy();
      input.destroy();
      if (!out.closed) {
        const closed = once(out, 'close').catch(() => undefined);
        out.destroy();
        await closed;
      }
      await unlink(partial).catch(() => undefined);
    }
    await session.release();
  }
  return {
    rows,
    tiers: binary ? counts : null,
    seconds: (performance.now() - started) / 1000,
    output: opts.output,
    idColumn: id?.name ?? '',
    idFrom: id === null ? 'option' : id.kind === 'row' ? 'row' : id.from,
    columns,
    ...(decisions ? { decisions } : {}),
  };
}
