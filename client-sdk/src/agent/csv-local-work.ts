// The default local work of a member agent: the member's CSV export, TensorFlow.js training, segmentation sums.
import { ConsortError, type AuditWorkOrder, type ReweighingWorkOrder, type FeaturePipeline, type FeatureSchema, type ModVector } from '@consort/core';
import { auditNoiseOfTask, auditOrderOf, auditVector } from '../audit/audit-work.ts';
import { readSegmentationAuditRows, segmentationAuditVector } from '../audit/segmentation-audit.ts';
import { readMemberCsv, stratifiedSplit } from '../data/csv-table.ts';
import { selectBackend } from '../train/backend.ts';
import { ReweighingMemory, reweighingVector } from './reweighing-work.ts';
import { checkDataFile, checkPipeline, checkRows } from './data-check.ts';
import {
  modelSpecOf, noiseShareMeans, privateStatisticsInput, roundContextOf, statisticsInput, trainingInput, type LocalDataset, type LocalInput, type LocalRound, type LocalWork, type PrivacyMeans, type SegmentationRound,
} from './local-work.ts';
import { readSegmentationData, segmentationVector, type SegmentationData } from './segmentation-work.ts';

/** Options of CsvLocalWork. */
export interface CsvLocalWorkOptions {
  /** The member's customer-level CSV (mapped to the federation's column names). */
  dataFile: string;
  /** Where "loaded N rows" lines go (default: nowhere). */
  logger?: { info(msg: string, fields?: Record<string, unknown>): void };
  /** The member id put on log lines (the agent's, once enrolled). */
  memberId?: () => string;
}

/**
 * Local work on a CSV file: checks the file at start and selects the TensorFlow.js backend;
 * loads, checks and splits the rows once per task; computes feature statistics, evaluation plus
 * local training, or segmentation sums. Subclass it to change one step (e.g. a simulated member
 * that sends odd inputs) and pass it as `MemberAgent({ localWork })`.
 */
export class CsvLocalWork implements LocalWork {
  readonly dataFile: string;
  private readonly datasets = new Map<string, Promise<LocalDataset>>();
  private readonly segmentationData = new Map<string, Promise<SegmentationData>>();
  private readonly checkedTasks = new Set<string>();
  /** The reweighing rounds this member counted in, and the counts it accepted or refused for each. */
  private readonly reweighing = new ReweighingMemory();

  constructor(private readonly opts: CsvLocalWorkOptions) {
    this.dataFile = opts.dataFile;
  }

  /** Refuses a missing, unreadable or header-less file, then selects the TensorFlow.js backend. */
  async start(): Promise<string> {
    await checkDataFile(this.dataFile);
    return (await selectBackend()).name;
  }

  /** The audit round's counts over the held-out rows of the task's split (the rows training never saw). */
  async auditVector(round: LocalRound, order: AuditWorkOrder, model: () => Promise<Float32Array>, members: number): Promise<ModVector> {
    const { open } = round;
    if (order.model?.kind === 'segmentation') {
      // A segmentation version: every row of the file the segmentation rounds read, assigned with the version's centroids.
      const { rows, columns } = await readSegmentationAuditRows(this.dataFile, order);
      const pipeline = JSON.parse(open.pipelineJson) as FeaturePipeline;
      return segmentationAuditVector(order, { weights: await model(), pipeline, rows, columns, file: this.dataFile }, members);
    }
    const ctx = roundContextOf(open);
    // The noise comes from the pinned task, checked against the work order before any row is read.
    const noise = auditNoiseOfTask(order, ctx.privacy);
    const data = await this.dataset(open.taskId, ctx.schema, ctx.testFraction, ctx.splitSeed);
    const inputs = { spec: modelSpecOf(open), weights: await model(), pipeline: JSON.parse(open.pipelineJson) as FeaturePipeline, rows: data.test, file: data.file };
    const share = () => noiseShareMeans(open, this.privacyMeans(), round.noiseSharers);
    return auditVector(order, inputs, members, noise ? { noise, share } : undefined);
  }

  /** The reweighing round's group × label counts over the training rows of the task's split. */
  async reweighingVector(round: LocalRound, order: ReweighingWorkOrder, members: number): Promise<ModVector> {
    const { open } = round;
    const ctx = roundContextOf(open);
    const data = await this.dataset(open.taskId, ctx.schema, ctx.testFraction, ctx.splitSeed);
    const vector = reweighingVector(ctx.definition, order, data.train, data.file, members);
    this.reweighing.countedIn(open.roundId);
    return vector;
  }

  /**
   * Columns present, enough rows, every cell the round reads parses (once per task while the
   * file loads fine; after a failure the file is read again at the next round, as the member
   * may have fixed it meanwhile).
   */
  async check(round: LocalRound): Promise<void> {
    const { open, segmentation } = round;
    if (segmentation) {
      await this.segmentationRows({ ...round, segmentation });
      return;
    }
    const audit = auditOrderOf(open.payloadJson);
    if (audit?.model?.kind === 'segmentation') {
      // A segmentation version's audit reads the segmentation file (features and audited columns), not a model task's split.
      await readSegmentationAuditRows(this.dataFile, audit);
      return;
    }
    const ctx = roundContextOf(open);
    const data = await this.dataset(open.taskId, ctx.schema, ctx.testFraction, ctx.splitSeed);
    if (this.checkedTasks.has(open.taskId)) return;
    const fitted = open.pipelineJson ? JSON.parse(open.pipelineJson) as FeaturePipeline : undefined;
    try {
      checkRows(checkPipeline(ctx.schema, ctx.vocabularies, ctx.task, fitted), [...data.train, ...data.test], data.file);
    } catch (err) {
      this.datasets.delete(open.taskId);
      throw err;
    }
    this.checkedTasks.add(open.taskId);
  }

  /** Feature sums (statistics rounds, segmentation's included), else evaluation plus local training. */
  async contribution(round: LocalRound, model: () => Promise<Float32Array>): Promise<LocalInput> {
    const { open, segmentation } = round;
    const ctx = roundContextOf(open);
    if (segmentation) {
      // Segmentation fits its standardization on every row: there is no held-out evaluation.
      const rows = await this.segmentationRows({ ...round, segmentation });
      const all = { file: rows.file, train: rows.records, test: [] };
      // Under DP the standardization's statistics are noised too (privacy.statistics is required there).
      return ctx.segmentationPrivacy ? privateStatisticsInput(open, ctx, all, this.privacyMeans(), round.noiseSharers) : statisticsInput(ctx, all);
    }
    const data = await this.dataset(open.taskId, ctx.schema, ctx.testFraction, ctx.splitSeed);
    if (open.purpose === 'statistics') return ctx.privacy?.statistics ? privateStatisticsInput(open, ctx, data, this.privacyMeans(), round.noiseSharers) : statisticsInput(ctx, data);
    return trainingInput(open, await model(), data, undefined, this.privacyMeans(), round.noiseSharers, this.reweighing);
  }

  /**
   * Where DP noise is drawn from; undefined (default) is the operating system's CSPRNG. The count
   * of members the share is sized for is never taken from here but from the round's key set.
   */
  protected privacyMeans(): Omit<PrivacyMeans, 'invited'> | undefined {
    return undefined;
  }

  /** The packed sums of a segmentation round, over rows standardized with the task's fitted pipeline. */
  async segmentationVector(round: SegmentationRound, members: number): Promise<ModVector> {
    const data = await this.segmentationRows(round);
    const pipeline = JSON.parse(round.open.pipelineJson) as FeaturePipeline;
    const privacy = roundContextOf(round.open).segmentationPrivacy;
    if (!privacy) return segmentationVector(round.segmentation, pipeline, data, members);
    // The noise share is sized from the verified key set (a rejected count: the round is not sent).
    const { invited, normals } = await noiseShareMeans(round.open, this.privacyMeans(), round.noiseSharers);
    return segmentationVector(round.segmentation, pipeline, data, members, { privacy, invited, normals });
  }

  /** Loads, validates and splits the member's rows for a task (once per task). */
  dataset(taskId: string, schema: FeatureSchema, testFraction: number, splitSeed: number): Promise<LocalDataset> {
    let ds = this.datasets.get(taskId);
    if (!ds) {
      ds = (async () => {
        const file = this.dataFile;
        const columns = [...schema.numeric, ...schema.categorical, schema.label];
        const table = await readMemberCsv(file, schema);
        if (table.rowCount < 2) throw new ConsortError('DATA_INVALID', `${file} has ${table.rowCount} usable rows; a member needs at least 2`, { file, rows: table.rowCount });
        // The split must stay the same for every round of a task: the task fixes its seed.
        const positive = new Set(schema.positiveLabel ?? ['1']);
        const { train, test } = stratifiedSplit(table.records, (r) => (positive.has(r[schema.label]) ? 1 : 0), testFraction, splitSeed);
        this.info(`loaded ${table.rowCount} rows (${train.length} train, ${test.length} test) with ${columns.length} columns`);
        return { file, train, test };
      })();
      this.datasets.set(taskId, ds);
      ds.catch(() => this.datasets.delete(taskId));
    }
    return ds;
  }

  /** The member's segmentation rows for a task (once per task): features and profile labels only. */
  private segmentationRows({ open, segmentation: order }: SegmentationRound): Promise<SegmentationData> {
    let data = this.segmentationData.get(open.taskId);
    if (!data) {
      const file = this.dataFile;
      data = readSegmentationData(file, order).then((d) => {
        if (d.raw.length < 2) throw new ConsortError('DATA_INVALID', `${file} has ${d.raw.length} usable rows; a member needs at least 2`, { file, rows: d.raw.length });
        this.info(`loaded ${d.raw.length} rows for segmentation on ${order.features.length} features`);
        return d;
      });
      this.segmentationData.set(open.taskId, data);
      data.catch(() => this.segmentationData.delete(open.taskId));
    }
    return data;
  }

  private info(msg: string): void {
    this.opts.logger?.info(msg, { member: this.opts.memberId?.() ?? '' });
  }
}
