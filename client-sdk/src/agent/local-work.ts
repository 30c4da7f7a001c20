// What a member computes in a round, independent of transport and of secure aggregation:
// feature statistics, local training plus evaluation, or evaluation alone.
import {
  ConsortError, DP_EVAL_LOSS_CAP, addGaussianNoise, dpSgdSchedule, memberNoiseStd, unclippedIndicator, updateNoiseMultiplier, localFeatureStats, privatizeEvaluation, resolvePrivacyOptions, validateModelSpec,
  type FeaturePipeline, type FeatureSchema, type ModelSpec, type NormalSource, type PrivacyOptions, type RoundContribution,
} from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { evaluate, trainLocal } from '../train/trainer.ts';
import { privatizeUpdate } from '../train/dp-fedavg.ts';
import { cryptoNormals, cryptoUint32Source } from '../train/secure-normals.ts';
import { toMatrix } from '../data/csv-table.ts';

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
  schema: FeatureSchema;
  vocabularies: Record<string, string[]>;
  task: 'binary' | 'regression';
  /** The task's differential privacy (pinned with the task: it rides in vocabularies_json). */
  privacy?: PrivacyOptions;
}

/**
 * Where a member's DP randomness comes from and how many members share the noise. Production:
 * the CSPRNG (never the round's seed, which the coordinator picks). `invited` is the secure
 * round's member count; 1 in a plain round, where the coordinator sees each input alone.
 */
export interface PrivacyMeans {
  invited: number;
  normals: NormalSource;
  uniform32: () => number;
}

export function cryptoPrivacyMeans(invited: number): PrivacyMeans {
  return { invited, normals: cryptoNormals(), uniform32: cryptoUint32Source() };
}

/** Reads the task's schema and vocabularies out of a RoundOpen. */
export function roundContextOf(open: RoundOpen__Output): RoundContext {
  const extra = JSON.parse(open.vocabulariesJson || '{}') as { vocabularies?: Record<string, string[]>; positiveLabel?: string[]; task?: 'binary' | 'regression'; privacy?: unknown };
  const privacy = resolvePrivacyOptions(extra.privacy);
  const f = open.features!;
  return {
    schema: {
      numeric: f.numericFeatures, categorical: f.categoricalFeatures, label: f.label,
      positiveLabel: extra.positiveLabel, protected: f.protectedAttributes,
    },
    vocabularies: extra.vocabularies ?? {},
    task: extra.task ?? 'binary',
    ...(privacy ? { privacy } : {}),
  };
}

export function modelSpecOf(open: RoundOpen__Output): ModelSpec {
  const spec = JSON.parse(open.model!.optionsJson) as ModelSpec;
  validateModelSpec(spec);
  return spec;
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
 * Evaluates the incoming global model on the held-out rows (its quality, reported for the model
 * version the round started from), then trains locally from it. Under differential privacy
 * (docs/privacy.md): customer level trains with DP-SGD; member level clips the update and adds
 * this member's noise share; either way the member reports weight 1 (its row count is not
 * released), no training loss, and an evaluation with its noise share (or none, when the task
 * sets no releaseNoiseMultiplier).
 */
export async function trainingInput(open: RoundOpen__Output, global: Float32Array, data: LocalDataset,
  onEpoch?: (epoch: number, loss: number) => void, means?: PrivacyMeans): Promise<LocalInput> {
  const spec = modelSpecOf(open);
  const { privacy } = roundContextOf(open);
  const dpMeans = privacy ? means ?? cryptoPrivacyMeans(open.aggregation === 'secure' && open.secagg ? open.secagg.invitedMembers : 1) : undefined;
  const pipeline = JSON.parse(open.pipelineJson) as FeaturePipeline;
  const test = toMatrix(pipeline, data.test, data.file);
  const rowLossCap = privacy ? DP_EVAL_LOSS_CAP[spec.task] : undefined;
  let ev = test.rows > 0
    ? await evaluate({ spec, weights: global, x: test.x, y: test.y, rowLossCap })
    : { lossSum: 0, absErrSum: 0, labelSum: 0, labelSquareSum: 0, count: 0, histPos: [], histNeg: [] };
  if (privacy && dpMeans) {
    const bins = spec.task === 'binary' ? ev.histPos.length : 0;
    const released = privacy.releaseNoiseMultiplier > 0
      ? privatizeEvaluation({ count: ev.count, lossSum: ev.lossSum, histPos: ev.histPos, histNeg: ev.histNeg },
        { noiseMultiplier: privacy.releaseNoiseMultiplier, invited: dpMeans.invited, lossCap: rowLossCap!, normals: dpMeans.normals })
      : { count: 0, lossSum: 0, histPos: new Array<number>(bins).fill(0), histNeg: new Array<number>(bins).fill(0) };
    // Absolute errors and label sums have no noisy form yet: not released under DP.
    ev = { ...released, absErrSum: 0, labelSum: 0, labelSquareSum: 0 };
  }
  // Regression labels and errors are in the target's standardized units (toMatrix encodes them so).
  const labels = { evalLabelSum: ev.labelSum, evalLabelSquareSum: ev.labelSquareSum };
  if (open.purpose === 'evaluate') {
    return { values: new Float32Array(0), dtype: 'float32', numExamples: privacy ? 1 : Math.max(1, ev.count), trainLossSum: 0, evalLossSum: ev.lossSum, evalAbsErrSum: ev.absErrSum, evalExamples: ev.count, evalHistPos: ev.histPos, evalHistNeg: ev.histNeg, ...labels };
  }
  const train = toMatrix(pipeline, data.train, data.file);
  const t = open.train!;
  if (privacy?.level === 'customer' && train.rows < privacy.minRows) {
    throw new ConsortError('DATA_INVALID', `this member has ${train.rows} training rows; the task's customer-level privacy needs at least privacy.minRows = ${privacy.minRows} (fewer rows would weaken every customer's guarantee)`, { rows: train.rows, minRows: privacy.minRows });
  }
  const dp = privacy?.level === 'customer' && dpMeans
    ? { clipNorm: privacy.clipNorm, noiseMultiplier: privacy.noiseMultiplier, ...dpSgdSchedule(privacy, t), normals: dpMeans.normals, uniform32: dpMeans.uniform32 }
    : undefined;
  const result = await trainLocal({
    spec, weights: global, x: train.x, y: train.y,
    epochs: t.localEpochs, batchSize: t.batchSize, learningRate: t.learningRate, proximalMu: t.proximalMu,
    seed: open.seed, onEpoch, ...(dp ? { dp } : {}),
  });
  let weights = result.weights;
  let dpClipCount: number | undefined;
  if (privacy?.level === 'member' && dpMeans) {
    const adaptive = privacy.adaptiveClipping;
    // Adaptive clipping: the round's bound comes with the round; σ is split between update and count (Andrew et al. 2021).
    const clipNorm = adaptive && t.dpClipNorm && t.dpClipNorm > 0 ? t.dpClipNorm : privacy.clipNorm;
    const noiseMultiplier = adaptive ? updateNoiseMultiplier(privacy.noiseMultiplier, adaptive.countNoiseMultiplier) : privacy.noiseMultiplier;
    const u = privatizeUpdate({ global, local: result.weights, clipNorm, noiseMultiplier, invited: dpMeans.invited, normals: dpMeans.normals });
    weights = u.weights;
    if (adaptive) {
      dpClipCount = addGaussianNoise([unclippedIndicator(u.updateNorm, clipNorm)], memberNoiseStd(adaptive.countNoiseMultiplier, 1, dpMeans.invited), dpMeans.normals)[0];
    }
  }
  return {
    ...(dpClipCount !== undefined ? { dpClipCount } : {}),
    values: weights, dtype: 'float32', numExamples: privacy ? 1 : result.numExamples, trainLossSum: privacy ? 0 : result.lossSum,
    evalLossSum: ev.lossSum, evalAbsErrSum: ev.absErrSum, evalExamples: ev.count, evalHistPos: ev.histPos, evalHistNeg: ev.histNeg, ...labels,
  };
}
