// Customer segmentation: the secure-sum rounds of federated k-means, sequenced by segmentation-task over the lifecycle,
// then the fairness audit of the published version when the task declares one.
import { ConsortError } from '@consort/core';
import { auditWorkflow } from '../audit/audit-workflow.ts';
import { throwIfCancelled } from '../round/cancellation.ts';
import { taskDefinitionOf } from '../round/task-codec.ts';
import { modelRoundPlan } from '../round/model-round.ts';
import { secureSumRoundPlan } from '../round/secure-sum-round.ts';
import { runSegmentationTask, type SegmentationRounds } from '../segmentation/segmentation-task.ts';
import type { Workflow, WorkflowContext } from './workflow.ts';

/** Runs the segmentation flow's rounds through the lifecycle (reports go back through the flow). */
function roundsOf(ctx: WorkflowContext): SegmentationRounds {
  return {
    async statisticsRound(task, privacy) {
      return (await ctx.lifecycle.run(await modelRoundPlan(ctx, task, 'statistics', undefined, privacy), ctx.options)).report;
    },
    async secureSumRound(task, purpose, layoutFor, payloadJson, close, admit) {
      return (await ctx.lifecycle.run(secureSumRoundPlan(task, purpose, layoutFor, payloadJson, close, admit), ctx.options)).report;
    },
  };
}

export const segmentationWorkflow: Workflow = {
  kind: 'segmentation',
  async run(ctx) {
    const before = await ctx.store.latestModelVersion(ctx.task.id);
    await runSegmentationTask({ rounds: roundsOf(ctx), store: ctx.store, logger: ctx.logger }, ctx.task, ctx.report);
    // The version just published (segment centroids and names) is audited like a training run's final version.
    const def = taskDefinitionOf(ctx.task);
    if (ctx.args.audit?.policy === undefined && def.audit === undefined) return;
    const after = await ctx.store.latestModelVersion(ctx.task.id);
    if (!after || after.id === before?.id) {
      if (ctx.args.audit?.policy) throw new ConsortError('NO_MODEL_PUBLISHED', `task ${ctx.task.id}: the segmentation published no model version, so there is nothing to audit`);
      ctx.logger.warn({ task: ctx.task.id }, 'audit: this segmentation run published no model version, so none was audited');
      return;
    }
    throwIfCancelled(ctx.options.signal);
    // The task gained its pipeline in the statistics round: the audit reads the task as it is now.
    await auditWorkflow.run({ ...ctx, task: await ctx.store.getTask(ctx.task.id), args: { audit: ctx.args.audit, version: after.version } });
  },
};
