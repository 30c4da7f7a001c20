// A model round's metrics from its summed totals: losses, AUC, regression errors, named warnings.
import {
  roundWarnings, targetScaleOf, DEFAULT_WEIGHT_CLIP,
  type FeaturePipeline, type FittedPipeline, type RoundStrategy, type RoundSumTotals, type RoundWarning, type TaskDefinition,
} from '@consort/core';
import type { Store, TaskRecord } from '../store/store.ts';
import type { ActiveRound } from './active-round.ts';
import type { RoundMetricsSummary } from './round-types.ts';

export type SurvivorTotals = RoundSumTotals & { survivors: string[] };

/** The round's common metrics; the held-out ones are the strategy's aggregateEvaluate; `fitted` is the statistics round's preprocessing fit. */
export function summarizeModelRound(round: ActiveRound, task: TaskRecord, def: TaskDefinition, totals: SurvivorTotals,
  fitted: FittedPipeline | undefined, strategy: RoundStrategy): RoundMetricsSummary {
  const regression = def.model.task === 'regression';
  // Regression sums arrive in standardized target units; report them in the target's units.
  const target = targetScaleOf((task.pipeline ?? { task: def.model.task }) as Pick<FeaturePipeline, 'task' | 'target'>);
  const evaluation = strategy.aggregateEvaluate({
    task: def.model.task, examples: round.purpose === 'statistics' ? 0 : totals.evalExamples, lossSum: totals.evalLossSum, absErrSum: totals.evalAbsErrSum,
    labelSum: totals.evalLabelSum, labelSquareSum: totals.evalLabelSquareSum, histPos: totals.histPos, histNeg: totals.histNeg, target,
  });
  const lossScale = regression ? target.std ** 2 : 1;
  return {
    purpose: round.purpose,
    participants: totals.survivors.length,
    numExamples: totals.totalExamples,
    trainLoss: round.purpose === 'train' && totals.totalExamples > 0 ? (totals.trainLossSum / totals.totalExamples) * lossScale : null,
    evalLoss: evaluation.loss,
    evalAuc: evaluation.auc,
    evalExamples: totals.evalExamples,
    ...(evaluation.detail ? { evalDetail: evaluation.detail } : {}),
    ...(evaluation.rmse !== undefined ? { evalRmse: evaluation.rmse, evalMae: evaluation.mae, evalR2: evaluation.r2 } : {}),
    minMembers: def.minMembers,
    aggregation: round.secure ? 'secure' : 'plain',
    clipped: totals.clipped,
    ...(round.secure ? { stageSeconds: round.secure.stageSeconds() } : {}),
    warnings: [...(fitted?.warnings ?? [])],
  };
}

/** The round's named warnings, judged against the task's earlier rounds (stored metrics). */
export async function modelRoundWarnings(store: Pick<Store, 'listRounds'>, round: ActiveRound, taskId: string, def: TaskDefinition,
  totals: SurvivorTotals, m: RoundMetricsSummary): Promise<RoundWarning[]> {
  const earlier = (await store.listRounds(taskId))
    .filter((r) => r.id !== round.id && r.state === 'published' && r.metrics)
    .map((r) => {
      const rm = r.metrics as { purpose?: string; trainLoss?: number | null; evalAuc?: number | null };
      return { number: r.number, purpose: String(rm.purpose ?? ''), trainLoss: rm.trainLoss ?? null, evalAuc: rm.evalAuc ?? null };
    })
    .sort((a, b) => a.number - b.number);
  return roundWarnings({
    purpose: round.purpose, task: def.model.task, trainLoss: m.trainLoss, evalAuc: m.evalAuc, evalExamples: m.evalExamples,
    histPos: totals.histPos, histNeg: totals.histNeg, clipped: totals.clipped, clippable: totals.vector.length * totals.survivors.length,
    weightClip: DEFAULT_WEIGHT_CLIP, nonFiniteValues: totals.nonFinite, nonFiniteMembers: round.plain?.nonFinite,
  }, earlier);
}
