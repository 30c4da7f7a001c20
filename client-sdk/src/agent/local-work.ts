// What a member computes in a round, independent of transport and of secure aggregation:
// feature statistics, local training plus evaluation, or evaluation alone.
import {
  ConsortError, DP_EVAL_LOSS_CAP, addGaussianNoise, dpSgdSchedule, featureSchemaOf, memberNoiseStd, localFeatureStats, modelSpecOf as taskModelSpec, predictionOf,
  privateFeatureStats, privatizeEvaluation, unclippedIndicator, updateNoiseMultiplier, vocabulariesOf,
  type FeaturePipeline, type FeatureSchema, type ModelSpec, type NormalSource, type PrivacyOptions, type ResolvedTask, type SegmentationPrivacy, type RoundContribution,
} from '@consort/core';
import type { AuditWorkOrder, ModVector, ReweighingWorkOrder, SegmentationWorkOrder, VectorLayout } from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { roundTaskOf } from './round-policy.ts';
import { evaluate, trainLocal } from '../train/trainer.ts';
import { privatizeUpdate } from '../train/dp-fedavg.ts';
import { cryptoNormals, cryptoUint32Source } from '../train/secure-normals.ts';
import { toMatrix } from '../data/csv-table.ts';
import { ReweighingMemory, trainingWeights } from './reweighing-work.ts';

/** A member's rows for one task, already split into train and held-out test rows. */
export interface LocalDataset {
  file: string;
  train: Record<string, string>[];
  test: Record<string, string>[];
}

/** The member's contribution to a round, before any masking. */
export interface LocalInput extends RoundContribution {
  values: Float32Array | Float64Array;
  dtype: 'float32' | 'float64';
  evalHistPos: number[];
  evalHistNeg: number[];
}

export interface RoundContext {
  /** The task the round belongs to (decoded from RoundOpen.task by core). */
  definition: ResolvedTask;
  schema: FeatureSchema;
  vocabularies: Record<string, string[]>;
  task: 'binary' | 'regression';
  /** Held-out fraction and seed of the member's train/test split: fixed by the task. */
  testFraction: number;
  splitSeed: number;
  /** The task's differential privacy (part of the pinned task). */
  privacy?: PrivacyOptions;
  /** A segmentation task's differential privacy (part of the pinned task): every round's sums noised. */
  segmentationPrivacy?: SegmentationPrivacy;
}

/**
 * Where a member's DP randomness comes from and how many members share the noise. Production:
 * the CSPRNG (never the round's seed, which the coordinator picks). `invited` is the count the
 * noise share is sized for: 1 in a plain round, where the coordinator sees each input alone.
 */
export interface PrivacyMeans {
  invited: number;
  normals: NormalSource;
  uniform32: () => number;
}

export function cryptoPrivacyMeans(invited: number): PrivacyMeans {
  return { invited, normals: cryptoNormals(), uniform32: cryptoUint32Source() };
}

/**
 * This member's noise share in a round: the given randomness (tests, simulations) or the CSPRNG,
 * and the member count it is sized for (given, else noiseSharersOf).
 */
export async function noiseShareMeans(open: RoundOpen__Output, means?: Omit<PrivacyMeans, 'invited'> & { invited?: number }, sharers?: Promise<number>): Promise<PrivacyMeans> {
  const invited = means?.invited ?? await noiseSharersOf(open, sharers);
  return { ...(means ?? cryptoPrivacyMeans(invited)), invited };
}

/**
 * The member count a round's noise shares are sized for (agent/noise-sharers.ts): in a secure
 * round the fewer of the announced count and the verified key set (`sharers`, which the agent
 * resolves once it verified the key set); 1 in a plain round. Without `sharers` (local work
 * driven outside the agent) the announced count is used.
 */
export async function noiseSharersOf(open: RoundOpen__Output, sharers?: Promise<number>): Promise<number> {
  if (open.aggregation !== 'secure' || !open.secagg) return 1;
  return sharers ? Math.min(await sharers, open.secagg.invitedMembers) : open.secagg.invitedMembers;
}

/** The columns, vocabularies and split a task asks of the member's rows. */
export function contextOfTask(definition: ResolvedTask): RoundContext {
  return {
    definition, schema: featureSchemaOf(definition), vocabularies: vocabulariesOf(definition), task: predictionOf(definition),
    // A segmentation task fits on every row: nothing is held out.
    testFraction: definition.kind === 'model' ? definition.testFraction : 0,
    splitSeed: definition.seed,
    ...(definition.kind === 'model' && definition.privacy ? { privacy: definition.privacy } : {}),
    ...(definition.kind === 'segmentation' && definition.privacy ? { segmentationPrivacy: definition.privacy } : {}),
  };
}

/** The round's task context, decoded from RoundOpen.task (hash checked) by core's one decoder. */
export function roundContextOf(open: RoundOpen__Output): RoundContext {
  return contextOfTask(roundTaskOf(open));
}

/** The model a round trains, derived from its task (a segmentation task trains none). */
export function modelSpecOf(open: RoundOpen__Output): ModelSpec {
  const task = roundTaskOf(open);
  if (task.kind !== 'model') throw new ConsortError('INVALID_ARGUMENT', `round ${open.roundId} belongs to a ${task.kind} task, which trains no model`);
  return taskModelSpec(task);
}

/**
 * Exact feature statistics over the member's training rows (and the label's, for regression):
 * the coordinator fits the preprocessing from their total. A value beyond ±1e12 is refused
 * with its file, row and column.
 */
export function statisticsInput(ctx: RoundContext, data: LocalDataset): LocalInput {
  const values = localFeatureStats(ctx.schema, ctx.vocabularies, data.train, data.file, ctx.task);
  return { values, dtype: 'float64', numExamples: data.train.length, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [] };
}

/**
 * The statistics under differential privacy (task key privacy.statistics): values clipped to the
 * task's bounds, this member's noise share added (sized, as for training, from the verified key
 * set), and no row count (weight 1). core/src/privacy/statistics-release.ts.
 */
export async function privateStatisticsInput(open: RoundOpen__Output, ctx: RoundContext, data: LocalDataset,
  means?: Omit<PrivacyMeans, 'invited'> & { invited?: number }, sharers?: Promise<number>): Promise<LocalInput> {
  const statistics = ctx.privacy?.statistics ?? ctx.segmentationPrivacy?.statistics;
  if (!statistics) return statisticsInput(ctx, data);
  // Checks every cell exactly as without DP first (a bad cell is refused, not clipped away).
  localFeatureStats(ctx.schema, ctx.vocabularies, data.train, data.file, ctx.task);
  const { invited, normals } = await noiseShareMeans(open, means, sharers);
  const values = privateFeatureStats(ctx.schema, ctx.vocabularies, data.train, data.file, ctx.task, { statistics, invited, normals });
  return { values, dtype: 'float64', numExamples: 1, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [] };
}

/**
 * Evaluates the incoming global model on the held-out rows (its quality, reported for the model
 * version the round started from), then trains locally from it. Under differential privacy
 * (docs/privacy.md): customer level trains with DP-SGD; member level clips the update and adds
 * this member's noise share; either way the member reports weight 1 (its row count is not
 * released), no training loss, and an evaluation with its noise share (or none, when the task
 * sets no releaseNoiseMultiplier). A reweighed task trains with the weights this member derives
 * from the round's released counts (`reweighing` remembers the counting rounds it took part in).
 */
export async function trainingInput(open: RoundOpen__Output, global: Float32Array, data: LocalDataset,
  onEpoch?: (epoch: number, loss: number) => void, means?: Omit<PrivacyMeans, 'invited'> & { invited?: number }, sharers?: Promise<number>,
  reweighing: ReweighingMemory = new ReweighingMemory()): Promise<LocalInput> {
  const spec = modelSpecOf(open);
  const { privacy } = roundContextOf(open);
  const pipeline = JSON.parse(open.pipelineJson) as FeaturePipeline;
  const test = toMatrix(pipeline, data.test, data.file);
  const rowLossCap = privacy ? DP_EVAL_LOSS_CAP[spec.task] : undefined;
  let ev = test.rows > 0
    ? await evaluate({ spec, weights: global, x: test.x, y: test.y, rowLossCap })
    : { lossSum: 0, absErrSum: 0, labelSum: 0, labelSquareSum: 0, count: 0, histPos: [], histNeg: [] };
  const random = privacy ? means ?? cryptoPrivacyMeans(1) : undefined;
  // The count noise shares are sized for is awaited only now that noise is due: the key set is
  // verified while this member evaluates and trains (customer-level DP-SGD needs no count).
  const shareCount = async () => means?.invited ?? noiseSharersOf(open, sharers);
  /** The evaluation as released: under DP with this member's noise share (or nothing). */
  const release = (invited: number) => {
    if (!privacy || !random) return ev;
    const bins = spec.task === 'binary' ? ev.histPos.length : 0;
    const released = privacy.releaseNoiseMultiplier > 0
      ? privatizeEvaluation({ count: ev.count, lossSum: ev.lossSum, histPos: ev.histPos, histNeg: ev.histNeg },
        { noiseMultiplier: privacy.releaseNoiseMultiplier, invited, lossCap: rowLossCap!, normals: random.normals })
      : { count: 0, lossSum: 0, histPos: new Array<number>(bins).fill(0), histNeg: new Array<number>(bins).fill(0) };
    // Absolute errors and label sums have no noisy form yet: not released under DP.
    return { ...released, absErrSum: 0, labelSum: 0, labelSquareSum: 0 };
  };
  if (open.purpose === 'evaluate') {
    ev = release(privacy ? await shareCount() : 1);
    // Regression labels and errors are in the target's standardized units (toMatrix encodes them so).
    return { values: new Float32Array(0), dtype: 'float32', numExamples: privacy ? 1 : Math.max(1, ev.count), trainLossSum: 0, evalLossSum: ev.lossSum, evalAbsErrSum: ev.absErrSum, evalExamples: ev.count, evalHistPos: ev.histPos, evalHistNeg: ev.histNeg, evalLabelSum: ev.labelSum, evalLabelSquareSum: ev.labelSquareSum };
  }
  const train = toMatrix(pipeline, data.train, data.file);
  const t = open.train!;
  if (privacy?.level === 'customer' && train.rows < privacy.minRows) {
    throw new ConsortError('DATA_INVALID', `this member has ${train.rows} training rows; the task's customer-level privacy needs at least privacy.minRows = ${privacy.minRows} (fewer rows would weaken every customer's guarantee)`, { rows: train.rows, minRows: privacy.minRows });
  }
  // Reweighing (the pinned task's mitigation): weights this member derives from the round's released counts.
  const reweighed = trainingWeights(open, roundTaskOf(open), data.train, reweighing);
  const dp = privacy?.level === 'customer' && random
    ? { clipNorm: privacy.clipNorm, noiseMultiplier: privacy.noiseMultiplier, ...dpSgdSchedule(privacy, t), normals: random.normals, uniform32: random.uniform32 }
    : undefined;
  const result = await trainLocal({
    spec, weights: global, x: train.x, y: train.y,
    epochs: t.localEpochs, batchSize: t.batchSize, learningRate: t.learningRate, proximalMu: t.proximalMu,
    seed: open.seed, onEpoch, ...(dp ? { dp } : {}), ...(reweighed ? { sampleWeights: reweighed.weights } : {}),
  });
  const invited = privacy ? await shareCount() : 1;
  ev = release(invited);
  let weights = result.weights;
  let dpClipCount: number | undefined;
  if (privacy?.level === 'member' && random) {
    const adaptive = privacy.adaptiveClipping;
    // Adaptive clipping: the round's bound comes with the round; σ is split between update and count (Andrew et al. 2021).
    const clipNorm = adaptive && t.dpClipNorm && t.dpClipNorm > 0 ? t.dpClipNorm : privacy.clipNorm;
    const noiseMultiplier = adaptive ? updateNoiseMultiplier(privacy.noiseMultiplier, adaptive.countNoiseMultiplier) : privacy.noiseMultiplier;
    const u = privatizeUpdate({ global, local: result.weights, clipNorm, noiseMultiplier, invited, normals: random.normals });
    weights = u.weights;
    if (adaptive) {
      dpClipCount = addGaussianNoise([unclippedIndicator(u.updateNorm, clipNorm)], memberNoiseStd(adaptive.countNoiseMultiplier, 1, invited), random.normals)[0];
    }
  }
  return {
    ...(dpClipCount !== undefined ? { dpClipCount } : {}),
    // Reweighed: the member's FedAvg weight is its rows' total weight (rounded), so the federation fits Σ w·loss over all rows.
    values: weights, dtype: 'float32', numExamples: privacy ? 1 : result.weighted ? Math.max(1, Math.round(result.weighted.weightSum)) : result.numExamples,
    trainLossSum: privacy ? 0 : result.weighted ? result.weighted.lossSum : result.lossSum,
    evalLossSum: ev.lossSum, evalAbsErrSum: ev.absErrSum, evalExamples: ev.count, evalHistPos: ev.histPos, evalHistNeg: ev.histNeg,
    evalLabelSum: ev.labelSum, evalLabelSquareSum: ev.labelSquareSum,
  };
}

/** A round as the agent hands it to local work: its RoundOpen and, for segmentation, the decoded work order. */
export interface LocalRound {
  open: RoundOpen__Output;
  segmentation?: SegmentationWorkOrder;
  /**
   * Secure rounds: the member count DP noise shares are sized for, resolved once the agent has
   * verified the round's key set (rejected if the round ends first). Pass it to trainingInput.
   */
  noiseSharers?: Promise<number>;
}

/** A segmentation round (its work order decoded). */
export type SegmentationRound = LocalRound & { segmentation: SegmentationWorkOrder };

/**
 * The member's local work, behind one seam (`MemberAgent({ localWork })`): the agent owns the
 * connection, round admission, secure aggregation and uploads; a LocalWork owns the member's data
 * and what is computed on it. The default is CsvLocalWork (the member's CSV, TensorFlow.js);
 * simulations, benchmarks and tests plug in their own, e.g. a member that sends odd inputs.
 */
export interface LocalWork {
  /**
   * Runs once before the agent connects: checks the data and readies compute. Returns the compute
   * backend's name (told to the coordinator); a rejection keeps the agent from starting.
   */
  start(): Promise<string>;
  /**
   * Whether this member answers a round at all. False ignores the round without a word (not even
   * a refusal), as a member that vanished would: simulations of silent members. Default: every round.
   */
  takesPart?(round: LocalRound): boolean;
  /** Checks the round's columns and rows against the member's data before any work; a throw declines the round. */
  check(round: LocalRound): Promise<void>;
  /**
   * The member's input to a statistics, training or evaluation round (a segmentation task's
   * statistics round included), before any masking. `model` downloads the round's global model.
   */
  contribution(round: LocalRound, model: () => Promise<Float32Array>): Promise<LocalInput>;
  /** The packed sums of a secure segmentation round past its statistics round. */
  segmentationVector(round: SegmentationRound, members: number): Promise<ModVector>;
  /**
   * The packed counts of a fairness audit round: the audited model (`model` downloads it) scores
   * the held-out rows, counted per group as `order`'s policy lays out (client-sdk/src/audit).
   */
  auditVector(round: LocalRound, order: AuditWorkOrder, model: () => Promise<Float32Array>, members: number): Promise<ModVector>;
  /**
   * The packed group × label counts of a reweighing round over the member's training rows
   * (reweighing-work.ts), laid out from the pinned task: refused when it does not ask for reweighing.
   */
  reweighingVector(round: LocalRound, order: ReweighingWorkOrder, members: number): Promise<ModVector>;
  /**
   * Changes a secure round's packed vector in place before it is masked. Only adversarial
   * simulations set it (forged inputs the coordinator's sum checks must catch). Default: none.
   */
  alterPacked?(vector: ModVector, layout: VectorLayout): void;
}
