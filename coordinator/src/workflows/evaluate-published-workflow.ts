// Drift check: one evaluation round of a published model on the members' current data; stores the evaluation, no new version.
import { ConsortError } from '@consort/core';
import { modelRoundPlan } from '../round/model-round.ts';
import { throwIfCancelled } from '../round/cancellation.ts';
import { taskDefinitionOf } from '../round/task-codec.ts';
import type { Workflow } from './workflow.ts';

export const evaluatePublishedWorkflow: Workflow = {
  kind: 'evaluate',
  async run(ctx) {
    const { task, store } = ctx;
    if (taskDefinitionOf(task).kind === 'segmentation') {
      throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} is a segmentation task; only a model task's versions can be evaluated`);
    }
    if (!task.pipeline) {
      throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} has no fitted preprocessing yet; run the task (consort-coordinator run) before evaluating its models`);
    }
    const versions = await store.listModelVersions(task.id);
    const wanted = ctx.args.version;
    const base = wanted === undefined ? versions.at(-1) : versions.find((v) => v.version === wanted);
    if (!base || (wanted === undefined && base.version === 0)) {
      const known = versions.filter((v) => v.version > 0).map((v) => v.version);
      throw new ConsortError('NOT_FOUND', wanted === undefined
        ? `task ${task.id} has no trained model version yet; run the task first`
        : `task ${task.id} has no model version ${wanted}; published versions: ${known.length ? known.join(', ') : 'none yet'}`);
    }
    throwIfCancelled(ctx.options.signal);
    const { report } = await ctx.lifecycle.run(await modelRoundPlan(ctx, task, 'evaluate', base), ctx.options);
    ctx.report(report);
  },
};
