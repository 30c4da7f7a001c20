// Model training: statistics (once) -> training rounds until early stopping or the cap -> one evaluation round.
import { ConsortError, EarlyStopping, maxRoundsOf } from '@consort/core';
import { modelRoundPlan, type TrainRoundExtras } from '../round/model-round.ts';
import { runReweighingRound } from '../audit/reweighing-run.ts';
import type { Purpose } from '../round/round-inputs.ts';
import type { RoundReport } from '../round/round-types.ts';
import { throwIfCancelled } from '../round/cancellation.ts';
import { modelTaskOf } from '../round/task-codec.ts';
import { weightsSha256 } from '../round/weights-sha256.ts';
import type { TaskRecord } from '../store/store.ts';
import type { Workflow, WorkflowContext } from './workflow.ts';
import { checkPlannedRun, loadLedger, type RoundPrivacy } from '../privacy/privacy-budget.ts';
import { auditWorkflow } from '../audit/audit-workflow.ts';

/** One model round of the task through the lifecycle; its report goes to the caller. */
export async function runModelRound(ctx: WorkflowContext, task: TaskRecord, purpose: Purpose, privacy?: RoundPrivacy, extras?: TrainRoundExtras): Promise<RoundReport> {
  throwIfCancelled(ctx.options.signal);
  const plan = await modelRoundPlan(ctx, task, purpose, undefined, privacy, extras);
  const { report } = await ctx.lifecycle.run(plan, ctx.options);
  ctx.report(report);
  return report;
}

/**
 * Fits the preprocessing if needed, trains until the federated held-out loss stops improving
 * (the task's early stopping) or `rounds` training rounds ran (default: the task's maxRounds),
 * then evaluates the final model. After an early stop the final model is the one with the
 * lowest held-out loss, stored again as the newest version so members and exports get it.
 * When the task has an audit (or the run was given a policy), the final version is audited last.
 * A task with mitigation.reweighing counts its training rows by group × label once, before the
 * first training round, and every training round carries the released counts.
 */
export const trainingWorkflow: Workflow = {
  kind: 'model',
  async run(ctx) {
    const { store } = ctx;
    let task = ctx.task;
    // Differential privacy: refuse to start a run whose planned rounds cannot fit the budget.
    const startDef = modelTaskOf(task);
    // The automatic audit of the run's final version is part of the plan, and each training round leaves room for it (docs/privacy.md).
    const withAudit = ctx.args.audit?.policy !== undefined || startDef.audit !== undefined;
    const privacy = startDef.privacy
      ? { ledger: await loadLedger(store, task.id, startDef.privacy), refused: false, reserveAudit: withAudit } satisfies RoundPrivacy : undefined;
    if (privacy && startDef.privacy) {
      const planned = checkPlannedRun(startDef, startDef.privacy, privacy.ledger, ctx.args.rounds ?? maxRoundsOf(startDef), { withStatistics: !task.pipeline, withAudit });
      ctx.logger.info({ task: task.id, plannedEpsilon: planned, budget: startDef.privacy }, `privacy: planned ε=${planned.toFixed(3)} of ${startDef.privacy.epsilon} (δ=${startDef.privacy.delta})`);
      if (!startDef.privacy.statistics) ctx.logger.warn({ task: task.id }, 'privacy: the preprocessing statistics round releases exact feature sums (set privacy.statistics to noise them; docs/privacy.md)');
    }
    if (!task.pipeline) {
      // Charged in the run's own ledger (noisy statistics, privacy.statistics), so training sees the spend.
      if ((await runModelRound(ctx, task, 'statistics', privacy)).state !== 'published') return;
      task = await store.getTask(task.id);
    }
    const def = modelTaskOf(task);
    // Reweighing (mitigation.reweighing): one secure round of group × label counts before the first training round.
    throwIfCancelled(ctx.options.signal);
    const reweighing = await runReweighingRound(ctx, task);
    if (reweighing === 'aborted') {
      ctx.logger.warn({ task: task.id }, 'reweighing: the counting round did not publish; nothing was trained (members of a reweighed task train only with the counts)');
      return;
    }
    const cap = ctx.args.rounds ?? maxRoundsOf(def);
    const stopper = def.earlyStopping ? new EarlyStopping(def.earlyStopping) : undefined;
    // The model version each observed loss belongs to: a training round evaluates the model it starts from.
    let bestModel: { id: string; version: number } | undefined;
    let trained = false;
    for (let i = 0; i < cap; i++) {
      const startsFrom = stopper ? await store.latestModelVersion(task.id) : undefined;
      const report = await runModelRound(ctx, task, 'train', privacy, reweighing);
      if (report.state === 'published' && report.modelVersionId) trained = true;
      if (privacy?.refused) {
        // Training stops at the last model within budget; the refused round told no member anything.
        await audit(ctx, 'training.privacy_budget_exhausted', task.id, { afterRound: report.number, spent: privacy.ledger.spent().customer.epsilon });
        ctx.logger.warn({ task: task.id }, 'privacy budget reached: training stopped');
        break;
      }
      if (!stopper || report.state !== 'published' || !report.metrics || report.metrics.evalExamples === 0 || report.metrics.evalLoss === null) continue;
      const verdict = stopper.observe(report.number, report.metrics.evalLoss);
      if (stopper.best?.round === report.number && startsFrom) bestModel = { id: startsFrom.id, version: startsFrom.version };
      if (verdict === 'stop') {
        await audit(ctx, 'training.early_stopped', task.id, { afterRound: report.number, best: stopper.best, bestModelVersion: bestModel?.version ?? null });
        ctx.logger.info({ task: task.id, best: stopper.best }, 'early stopping: held-out loss stopped improving');
        if (bestModel) await republish(ctx, task.id, bestModel, stopper.best!);
        break;
      }
    }
    // The final model's held-out quality is measured by one more round that only evaluates.
    await runModelRound(ctx, task, 'evaluate', privacy && { ...privacy, refused: false });
    await auditFinalVersion(ctx, task, trained);
  },
};

/**
 * The run's final version (the newest: after an early stop, the best model stored again) gets its
 * fairness audit when the task declares one or the operator gave this run a policy. A run that
 * published nothing leaves nothing to audit: an error when the operator asked for the audit.
 */
async function auditFinalVersion(ctx: WorkflowContext, task: TaskRecord, trained: boolean): Promise<void> {
  // Audit args without a policy (a declaration only) add to the task's own audit; they start none.
  const wanted = ctx.args.audit?.policy !== undefined || modelTaskOf(task).audit !== undefined;
  if (!wanted) return;
  if (!trained) {
    if (ctx.args.audit?.policy) throw new ConsortError('NO_MODEL_PUBLISHED', `task ${task.id}: no model was published, so there is nothing to audit`);
    ctx.logger.warn({ task: task.id }, 'audit: this run published no model version, so none was audited');
    return;
  }
  throwIfCancelled(ctx.options.signal);
  await auditWorkflow.run({ ...ctx, task, args: { audit: ctx.args.audit } });
}

/** Stores the best model's weights as the task's newest version (the final model after an early stop). */
async function republish(ctx: WorkflowContext, taskId: string, best: { id: string; version: number }, at: { round: number; loss: number }): Promise<void> {
  const { store } = ctx;
  const latest = await store.latestModelVersion(taskId);
  if (!latest || latest.id === best.id) return;
  const { weights, metrics } = await store.getModelVersion(best.id);
  const mv = await store.createModelVersion({
    taskId, version: latest.version + 1, weights, sha256: weightsSha256(weights),
    metrics: { ...metrics, restoredFrom: { version: best.version, round: at.round, evalLoss: at.loss } },
  });
  await audit(ctx, 'model.restored_best', mv.id, { version: mv.version, from: best.version, round: at.round, evalLoss: at.loss });
}

export async function audit(ctx: Pick<WorkflowContext, 'store'>, kind: string, subjectId: string, detail: Record<string, unknown>): Promise<void> {
  await ctx.store.appendAuditEvent({ actor: 'coordinator', kind, subjectType: kind.split('.')[0], subjectId, detail });
}
