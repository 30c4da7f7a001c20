// The header of a run: the rounds that will actually run, and how their number is decided.
import type { ResolvedTask } from '@consort/core';
import { segmentationPlan } from '../segmentation/segmentation-task.ts';

/**
 * "logistic binary model, secure aggregation: 1 statistics round, 10 training rounds, then 1
 * evaluation round" — or, for a segmentation task, its k range and round budget (the operator's
 * round count does not apply there). `withStatistics`: the task has no fitted statistics yet.
 */
export function runPlan(def: ResolvedTask, rounds: number, withStatistics = true): string {
  if (def.kind === 'segmentation') return segmentationPlan(def.segmentation, withStatistics, def.privacy !== undefined);
  const training = def.earlyStopping
    ? `up to ${rounds} training rounds (early stopping once the held-out loss has not improved for ${def.earlyStopping.patience ?? 10} rounds)`
    : `${rounds} training round${rounds === 1 ? '' : 's'}`;
  return `${def.model.kind} ${def.model.task} model, ${def.aggregation} aggregation: ${withStatistics ? '1 statistics round, ' : ''}${training}, then 1 evaluation round`
    + (def.audit ? ` and 1 fairness audit round (policy ${def.audit.policyHash.slice(0, 12)})` : '');
}
