// The plan of one model round (train, statistics or evaluate): what members receive, and how the
// sum becomes the round's result (a new model version, the fitted preprocessing, or an evaluation).
import type { Logger } from 'pino';
import {
  ConsortError, checkPublishableModel, checkRoundSum, cleanNoisyEvaluation, nextClipNorm, fitNoisyPipeline, fitPipeline, roundVectorLayout, unpackRoundSum, DEFAULT_DROPOUT_TOLERANCE, DEFAULT_MAX_EXAMPLES,
  DEFAULT_WEIGHT_CLIP, DEFAULT_WEIGHT_SCALE_BITS, predictionOf, statisticsCharge, vocabulariesOf, type ModelSpec, type RoundVectorOptions, type StrategyState,
} from '@consort/core';
import type { JsonObject, ModelVersionMeta, Store, TaskRecord } from '../store/store.ts';
import type { ActiveRound } from './active-round.ts';
import type { Collected } from './collector.ts';
import type { RoundClose, RoundPlan } from './lifecycle.ts';
import { modelRoundWarnings, summarizeModelRound, type SurvivorTotals } from './model-round-metrics.ts';
import type { Purpose } from './round-inputs.ts';
import { featureSchemaOf, roundOpenEvent, statisticsLength, taskDefinitionOf, trainSettingsOf } from './task-codec.ts';
import type { TaskStrategies } from './task-strategies.ts';
import { weightsSha256 } from './weights-sha256.ts';
import { chargeRound, checkChargesFit, checkRoundFits, loadLedger, roundCharges, type RoundPrivacy } from '../privacy/privacy-budget.ts';

/** How long a statistics round waits, once enough members are online, for the other enrolled ones. */
const STATISTICS_SETTLE_MS = 5_000;

export interface ModelRoundDeps {
  store: Store;
  logger: Logger;
  strategies: TaskStrategies;
}

/** What a training run adds to its training rounds (reweighing: the released counts, and what the version records). */
export interface TrainRoundExtras {
  /** RoundOpen.payload_json of training rounds. */
  payloadJson?: string;
  /** Merged into each trained version's metrics. */
  metrics?: JsonObject;
}

/**
 * One model round of `task`. Client sampling applies to training; statistics and evaluation
 * ask every member. `base` pins the model the round starts from (default: the latest version).
 */
export async function modelRoundPlan(deps: ModelRoundDeps, task: TaskRecord, purpose: Purpose, base?: ModelVersionMeta,
  privacyState?: RoundPrivacy, extras?: TrainRoundExtras): Promise<RoundPlan> {
  // A model task's rounds, or the statistics round of a segmentation task (its standardization).
  const def = taskDefinitionOf(task);
  const model = def.kind === 'model' ? def : undefined;
  const prediction = predictionOf(def);
  // Differential privacy: the task's ledger (replayed from the audit log unless the workflow holds it).
  const privacy = model?.privacy;
  // A segmentation task's statistics round under DP: noised by the members, charged to the task's ledger.
  const segmentationPrivacy = def.kind === 'segmentation' ? def.privacy : undefined;
  const budget = privacy ?? segmentationPrivacy;
  const latest = await deps.store.latestModelVersion(task.id);
  const dp = budget ? privacyState ?? { ledger: await loadLedger(deps.store, task.id, budget), refused: false } : undefined;
  // Adaptive clipping: this round's update bound, moved by the previous training round (kept with its model version).
  const adaptive = privacy?.level === 'member' && purpose === 'train' ? privacy.adaptiveClipping : undefined;
  const storedClip = (latest?.metrics as { privacy?: { clipNorm?: number } } | undefined)?.privacy?.clipNorm;
  const clipNorm = adaptive && typeof storedClip === 'number' && storedClip > 0 ? storedClip : privacy?.clipNorm;
  const strategy = deps.strategies.for(task.id, def, await savedStrategyState(deps.store, task.id));
  const vectorOptions = (b: ModelVersionMeta | undefined, members: number): RoundVectorOptions => ({
    purpose, task: prediction, parameterCount: b?.parameterCount ?? 0, statisticsLength: statisticsLength(def),
    members, maxExamples: DEFAULT_MAX_EXAMPLES, weightClip: DEFAULT_WEIGHT_CLIP, weightScaleBits: DEFAULT_WEIGHT_SCALE_BITS,
    ...(adaptive ? { dpClipCount: true } : {}),
  });
  return {
    task, def, purpose, base,
    aggregation: def.aggregation,
    settleMs: purpose === 'statistics' ? STATISTICS_SETTLE_MS : 0,
    configure(number, online) {
      if (purpose !== 'train') return strategy.configureEvaluate(number, online);
      const { members, settings } = strategy.configureTrain(number, trainSettingsOf(def), online);
      return { members, train: adaptive ? { ...settings, dpClipNorm: clipNorm } : settings };
    },
    request(round, given) {
      const b = baseOf(task, purpose, given);
      if (model && privacy && dp) {
        try {
          // Before any member hears of the round: its worst case must fit the budget.
          checkRoundFits(model, privacy, dp.ledger, purpose, round.number, round.participants.size, dp.reserveAudit);
        } catch (err) {
          dp.refused = true;
          throw err;
        }
      }
      if (segmentationPrivacy && dp) {
        try {
          checkChargesFit(task.name, segmentationPrivacy, dp.ledger, purpose,
            statisticsCharge(segmentationPrivacy, round.number, Math.min(round.participants.size, def.minMembers), round.participants.size));
        } catch (err) {
          dp.refused = true;
          throw err;
        }
      }
      const v = vectorOptions(b, round.participants.size);
      const timeoutMs = def.stageTimeoutSeconds * 1000;
      return {
        open: roundOpenEvent(task, def, round.id, round.number, b, purpose, Date.now() + timeoutMs, round.train,
          ...(purpose === 'train' && extras?.payloadJson ? [extras.payloadJson] : [])),
        timeoutMs, minMembers: def.minMembers, dropoutTolerance: def.dropoutTolerance ?? DEFAULT_DROPOUT_TOLERANCE,
        plainLength: purpose === 'train' ? b?.parameterCount ?? 0 : purpose === 'statistics' ? v.statisticsLength : 0,
        layout: roundVectorLayout(v), quantization: { scaleBits: v.weightScaleBits, clip: v.weightClip, maxExamples: v.maxExamples },
      };
    },
    async close(round: ActiveRound, collected: Collected, given: ModelVersionMeta | undefined): Promise<RoundClose> {
      const b = baseOf(task, purpose, given);
      const v = vectorOptions(b, round.participants.size);
      let totals: SurvivorTotals = collected.aggregation === 'plain'
        ? { ...collected.totals, survivors: collected.survivors }
        : { ...unpackRoundSum(v, collected.sum), survivors: collected.survivors };
      // The sum is seen: its privacy cost is spent now, whatever the checks below decide.
      const privacyStatus = model && privacy && dp ? await chargeRound(deps.store, task.id, dp.ledger, roundCharges(model, privacy, {
        purpose, round: round.number, modelVersion: b?.version ?? 0, invited: round.participants.size, survivors: totals.survivors.length,
      }), privacy) : segmentationPrivacy && dp ? await chargeRound(deps.store, task.id, dp.ledger,
        statisticsCharge(segmentationPrivacy, round.number, totals.survivors.length, round.participants.size), segmentationPrivacy) : undefined;
      if (privacyStatus) {
        deps.logger.info({ round: round.id, privacy: privacyStatus }, `privacy spent: ε=${privacyStatus.epsilon.toFixed(3)} of ${privacyStatus.budgetEpsilon} (δ=${privacyStatus.delta})`);
      }
      // A forged input shows in the sum: refuse it before any metric, strategy or store sees it.
      checkRoundSum(totals, {
        purpose, task: prediction, survivors: totals.survivors.length, maxExamples: DEFAULT_MAX_EXAMPLES,
        weightClip: DEFAULT_WEIGHT_CLIP, weightScaleBits: DEFAULT_WEIGHT_SCALE_BITS, clippable: Math.max(totals.vector.length, 1),
        ...(privacy ? { noisyEvaluation: true } : {}),
      });
      // Noisy evaluation sums read as counts (post-processing: no privacy cost).
      if (privacy && privacy.releaseNoiseMultiplier > 0 && purpose !== 'statistics') totals = { ...totals, ...cleanNoisyEvaluation(totals) };
      // The statistics round fits the preprocessing; what the fit noticed goes into its metrics.
      // Under DP with noisy statistics the fit reads noisy sums (docs/privacy.md): clamped, variances floored.
      const noisyStatistics = privacy?.statistics ?? segmentationPrivacy?.statistics;
      const fitted = purpose !== 'statistics' ? undefined : noisyStatistics
        ? fitNoisyPipeline(featureSchemaOf(def), vocabulariesOf(def), totals.vector, prediction, noisyStatistics)
        : fitPipeline(featureSchemaOf(def), vocabulariesOf(def), totals.vector, prediction);
      const summary = summarizeModelRound(round, task, def, totals, fitted, strategy);
      if (privacyStatus) summary.privacy = privacyStatus;
      // Under DP members release no training loss (it is not noised): not measured, not 0.
      if (privacy) summary.trainLoss = null;
      summary.warnings.push(...await modelRoundWarnings(deps.store, round, task.id, def, totals, summary));
      if (summary.warnings.length) deps.logger.warn({ round: round.id, warnings: summary.warnings }, 'round warnings');
      const close: RoundClose = { metrics: { ...summary }, result: {}, summary };
      if (fitted) close.result.pipeline = { taskId: task.id, pipeline: fitted.pipeline };
      else if (summary.evalLoss !== null && b) {
        // Members evaluate the model the round started from: its held-out quality belongs to it.
        close.result.evaluation = {
          modelVersionId: b.id,
          evaluation: {
            roundId: round.id, evalLoss: summary.evalLoss, evalAuc: summary.evalAuc, evalExamples: summary.evalExamples,
            evalRmse: summary.evalRmse, evalMae: summary.evalMae, evalR2: summary.evalR2, evalDetail: summary.evalDetail,
          },
        };
      }
      if (purpose === 'evaluate' && b) close.measured = { id: b.id, version: b.version };
      if (purpose === 'train' && b) {
        const globalWeights = (await deps.store.getModelVersion(b.id)).weights;
        const weights = strategy.aggregateTrain(globalWeights, {
          weightedSum: totals.vector, totalExamples: totals.totalExamples, contributions: totals.survivors.length,
        }, task.modelSpec as ModelSpec);
        checkPublishableModel(weights);
        const state = strategy.state();
        // Saved as its own record with the version, so a restarted coordinator resumes the optimizer exactly.
        if (Object.keys(state).length > 0) close.result.strategyState = state;
        close.result.modelVersion = {
          taskId: task.id, version: b.version + 1, roundId: round.id, weights, sha256: weightsSha256(weights),
          metrics: {
            trainLoss: summary.trainLoss, numExamples: summary.numExamples, participants: summary.participants, aggregation: summary.aggregation,
            clipped: summary.clipped, strategy: strategy.name, learningRate: round.train.learningRate, ...extras?.metrics,
            ...(privacyStatus ? {
              privacy: {
                ...privacyStatus,
                // The bound the next round uses: moved towards the target quantile by this round's noisy count.
                ...(adaptive && clipNorm ? { clipNorm: nextClipNorm(clipNorm, totals.dpClipCount ?? 0, totals.survivors.length, adaptive), clipNormUsed: clipNorm } : {}),
              },
            } : {}),
          },
        };
      }
      return close;
    },
  };
}

/**
 * The optimizer state a new strategy resumes from: the task's latest StrategyState record, or, for
 * a database written before that record existed, the state kept in the latest version's metrics.
 */
async function savedStrategyState(store: Store, taskId: string): Promise<StrategyState | undefined> {
  const saved = await store.latestStrategyState(taskId);
  if (saved) return saved.state as StrategyState;
  return (await store.latestModelVersion(taskId))?.metrics.strategyState as StrategyState | undefined;
}

/** Training and evaluation rounds start from a model version (a model task is created with its version 0); a statistics round may not. */
function baseOf(task: TaskRecord, purpose: Purpose, base: ModelVersionMeta | undefined): ModelVersionMeta | undefined {
  if (!base && purpose !== 'statistics') throw new ConsortError('NOT_FOUND', `task ${task.id} has no model version for a ${purpose} round; create the task again`);
  return base;
}
