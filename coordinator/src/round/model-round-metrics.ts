// A model round's metrics from its summed totals: losses, AUC, regression errors, named warnings.
import {
  aucFromHistograms, binaryEvaluation, regressionEvaluation, roundWarnings, targetScaleOf, DEFAULT_WEIGHT_CLIP,
  type FeaturePipeline, type FittedPipeline, type RoundSumTotals, type RoundWarning, type TaskDefinition,
} from '@consort/core';
import type { Store, TaskRecord } from '../store/store.ts';
import type { ActiveRound } from './active-round.ts';
import type { RoundMetricsSummary } from './round-types.ts';

export type SurvivorTotals = RoundSumTotals & { survivors: string[] };

/** The round's common metrics; `fitted` is the statistics round's preprocessing fit. */
export function summarizeModelRound(round: ActiveRound, task: TaskRecord, def: TaskDefinition, totals: SurvivorTotals,
  fitted: FittedPipeline | undefined): RoundMetricsSummary {
  const regression = def.model.task === 'regression';
  const evaluated = round.purpose !== 'statistics' && totals.evalExamples > 0;
  // Regression sums arrive in standardized target units; report them in the target's units.
  const target = targetScaleOf((task.pipeline ?? { task: def.model.task }) as Pick<FeaturePipeline, 'task' | 'target'>);
  const reg = regression && evaluated ? regressionEvaluation({
    squaredErrorSum: totals.evalLossSum, absErrorSum: totals.evalAbsErrSum, labelSum: totals.evalLabelSum,
    labelSquareSum: totals.evalLabelSquareSum, count: totals.evalExamples,
  }, target) : null;
  const lossScale = regression ? target.std ** 2 : 1;
  return {
    purpose: round.purpose,
    participants: totals.survivors.length,
    numExamples: totals.totalExamples,
    trainLoss: round.purpose === 'train' && totals.totalExamples > 0 ? (totals.trainLossSum / totals.totalExamples) * lossScale : null,
    evalLoss: evaluated ? (totals.evalLossSum / totals.evalExamples) * lossScale : null,
    evalAuc: evaluated && !regression ? aucFromHistograms(Array.from(totals.histPos), Array.from(totals.histNeg)) : null,
    evalExamples: totals.evalExamples,
    ...(evaluated && !regression ? { evalDetail: binaryEvaluation(totals.histPos, totals.histNeg) } : {}),
    ...(reg ? { evalRmse: reg.rmse, evalMae: reg.mae, evalR2: reg.r2 } : {}),
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
