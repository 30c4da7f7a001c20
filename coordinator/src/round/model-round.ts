// The plan of one model round (train, statistics or evaluate): what members receive, and how the
// sum becomes the round's result (a new model version, the fitted preprocessing, or an evaluation).
import type { Logger } from 'pino';
import {
  checkPublishableModel, checkRoundSum, fitPipeline, roundVectorLayout, unpackRoundSum, DEFAULT_DROPOUT_TOLERANCE, DEFAULT_MAX_EXAMPLES,
  DEFAULT_WEIGHT_CLIP, DEFAULT_WEIGHT_SCALE_BITS, type ModelSpec, type RoundVectorOptions, type StrategyState,
} from '@consort/core';
import type { ModelVersionMeta, Store, TaskRecord } from '../store/store.ts';
import type { ActiveRound } from './active-round.ts';
import type { Collected } from './collector.ts';
import type { RoundClose, RoundPlan } from './lifecycle.ts';
import { modelRoundWarnings, summarizeModelRound, type SurvivorTotals } from './model-round-metrics.ts';
import type { Purpose } from './round-inputs.ts';
import { featureSchemaOf, roundOpenEvent, statisticsLength, taskDefinitionOf } from './task-codec.ts';
import type { TaskStrategies } from './task-strategies.ts';
import { weightsSha256 } from './weights-sha256.ts';

/** How long a statistics round waits, once enough members are online, for the other enrolled ones. */
const STATISTICS_SETTLE_MS = 5_000;

export interface ModelRoundDeps {
  store: Store;
  logger: Logger;
  strategies: TaskStrategies;
}

/**
 * One model round of `task`. Client sampling applies to training; statistics and evaluation
 * ask every member. `base` pins the model the round starts from (default: the latest version).
 */
export async function modelRoundPlan(deps: ModelRoundDeps, task: TaskRecord, purpose: Purpose, base?: ModelVersionMeta): Promise<RoundPlan> {
  const def = taskDefinitionOf(task);
  const strategy = deps.strategies.for(task.id, def, await savedStrategyState(deps.store, task.id));
  const vectorOptions = (b: ModelVersionMeta, members: number): RoundVectorOptions => ({
    purpose, task: def.model.task, parameterCount: b.parameterCount, statisticsLength: statisticsLength(def),
    members, maxExamples: DEFAULT_MAX_EXAMPLES, weightClip: DEFAULT_WEIGHT_CLIP, weightScaleBits: DEFAULT_WEIGHT_SCALE_BITS,
  });
  return {
    task, def, purpose, base,
    aggregation: def.aggregation,
    settleMs: purpose === 'statistics' ? STATISTICS_SETTLE_MS : 0,
    configure(number, online) {
      if (purpose !== 'train') return strategy.configureEvaluate(number, online);
      const { members, settings } = strategy.configureTrain(number, def.train, online);
      return { members, train: settings };
    },
    request(round, b) {
      const v = vectorOptions(b, round.participants.size);
      const timeoutMs = def.stageTimeoutSeconds * 1000;
      return {
        open: roundOpenEvent(task, def, round.id, round.number, b, purpose, Date.now() + timeoutMs, round.train),
        timeoutMs, minMembers: def.minMembers, dropoutTolerance: def.dropoutTolerance ?? DEFAULT_DROPOUT_TOLERANCE,
        plainLength: purpose === 'train' ? b.parameterCount : purpose === 'statistics' ? v.statisticsLength : 0,
        layout: roundVectorLayout(v), quantization: { scaleBits: v.weightScaleBits, clip: v.weightClip, maxExamples: v.maxExamples },
      };
    },
    async close(round: ActiveRound, collected: Collected, b: ModelVersionMeta): Promise<RoundClose> {
      const v = vectorOptions(b, round.participants.size);
      const totals: SurvivorTotals = collected.aggregation === 'plain'
        ? { ...collected.totals, survivors: collected.survivors }
        : { ...unpackRoundSum(v, collected.sum), survivors: collected.survivors };
      // A forged input shows in the sum: refuse it before any metric, strategy or store sees it.
      checkRoundSum(totals, {
        purpose, task: def.model.task, survivors: totals.survivors.length, maxExamples: DEFAULT_MAX_EXAMPLES,
        weightClip: DEFAULT_WEIGHT_CLIP, weightScaleBits: DEFAULT_WEIGHT_SCALE_BITS, clippable: Math.max(totals.vector.length, 1),
      });
      // The statistics round fits the preprocessing; what the fit noticed goes into its metrics.
      const fitted = purpose === 'statistics' ? fitPipeline(featureSchemaOf(def), def.vocabularies, totals.vector, def.model.task) : undefined;
      const summary = summarizeModelRound(round, task, def, totals, fitted, strategy);
      summary.warnings.push(...await modelRoundWarnings(deps.store, round, task.id, def, totals, summary));
      if (summary.warnings.length) deps.logger.warn({ round: round.id, warnings: summary.warnings }, 'round warnings');
      const close: RoundClose = { metrics: { ...summary }, result: {}, summary };
      if (fitted) close.result.pipeline = { taskId: task.id, pipeline: fitted.pipeline };
      else if (summary.evalLoss !== null) {
        // Members evaluate the model the round started from: its held-out quality belongs to it.
        close.result.evaluation = {
          modelVersionId: b.id,
          evaluation: {
            roundId: round.id, evalLoss: summary.evalLoss, evalAuc: summary.evalAuc, evalExamples: summary.evalExamples,
            evalRmse: summary.evalRmse, evalMae: summary.evalMae, evalR2: summary.evalR2, evalDetail: summary.evalDetail,
          },
        };
      }
      if (purpose === 'evaluate') close.measured = { id: b.id, version: b.version };
      if (purpose === 'train') {
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
            clipped: summary.clipped, strategy: strategy.name, learningRate: round.train.learningRate,
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
