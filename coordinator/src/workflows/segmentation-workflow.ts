// Customer segmentation: the secure-sum rounds of federated k-means, sequenced by segmentation-task over the lifecycle.
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
    await runSegmentationTask({ rounds: roundsOf(ctx), store: ctx.store, logger: ctx.logger }, ctx.task, ctx.report);
  },
};
