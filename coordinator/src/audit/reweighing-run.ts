// Reweighing as a training run applies it: one secure-sum round of members' group × label counts over their
// training rows, then every training round carries the released counts (members derive the weights themselves).
import {
  DEFAULT_MAX_EXAMPLES, MAX_REWEIGHING_WEIGHT, buildReweighingLayout, releaseReweighingCounts, reweighingOf, reweighingScheme, reweighingSumLayout, unpackVector,
  type ReweighingCounts, type ReweighingWorkOrder,
} from '@consort/core';
import { secureSumRoundPlan } from '../round/secure-sum-round.ts';
import { taskDefinitionOf } from '../round/task-codec.ts';
import type { JsonObject, TaskRecord } from '../store/store.ts';
import type { WorkflowContext } from '../workflows/workflow.ts';

/** What the training rounds of a reweighed run carry and what their model versions record. */
export interface ReweighingRun {
  /** RoundOpen.payload_json of each training round: the released counts (ReweighingCounts). */
  payloadJson: string;
  /** Stored in each trained version's metrics as `reweighing`: the audit report marks it from there. */
  metrics: JsonObject;
}

export const REWEIGHING_CAVEAT = 'members weight their training rows by group × label (Kamiran & Calders 2012) from one secure sum of training-row counts; '
  + `cells with fewer than the policy's minMembers members or minCellCount rows keep weight 1; weights are capped at ${MAX_REWEIGHING_WEIGHT}; `
  + 'the effective sample size shrinks as weights spread, and parity of base rates in training does not guarantee parity of the model\'s selection rates';

/**
 * Runs the counting round of a task that asks for reweighing (mitigation.reweighing); undefined
 * for other tasks, 'aborted' when the round did not publish (the run then trains nothing: a
 * reweighed task's members refuse training rounds without counts).
 */
export async function runReweighingRound(ctx: WorkflowContext, task: TaskRecord): Promise<ReweighingRun | 'aborted' | undefined> {
  const asked = reweighingOf(taskDefinitionOf(task));
  if (!asked) return undefined;
  const layout = buildReweighingLayout(asked.policy, asked.attributes);
  const order: ReweighingWorkOrder = { kind: 'reweighing', attributes: asked.attributes, maxRows: DEFAULT_MAX_EXAMPLES };
  let counts: ReweighingCounts | undefined;
  const plan = secureSumRoundPlan(task, 'reweighing', (members) => reweighingSumLayout(layout, order.maxRows, members), JSON.stringify(order), async (sum, members, _survivors) => {
    const values = Array.from(unpackVector(reweighingSumLayout(layout, order.maxRows, members), sum).reweighing);
    // Suppressed before anything is stored or sent: members only ever see cells above the policy's floors.
    const cells = releaseReweighingCounts(values, layout, asked.policy);
    counts = { kind: 'reweighing-counts', roundId: '', attributes: asked.attributes, cells };
    return { detail: { reweighing: { attributes: asked.attributes, cells } } as unknown as JsonObject };
  });
  const base = await ctx.store.latestModelVersion(task.id);
  const { report } = await ctx.lifecycle.run({ ...plan, base }, ctx.options);
  ctx.report(report);
  if (report.state !== 'published' || !counts) return 'aborted';
  counts.roundId = report.roundId;
  // The coordinator derives the same scheme as members do (core's one function), for the report.
  const scheme = reweighingScheme(counts.cells, layout);
  const released = scheme.weights.filter((w) => !w.suppressed);
  return {
    payloadJson: JSON.stringify(counts),
    metrics: {
      reweighing: {
        countsRoundId: report.roundId, attributes: asked.attributes,
        weights: scheme.weights.map((w) => ({ key: w.key, negative: w.negative, positive: w.positive, suppressed: w.suppressed })),
        rows: scheme.plan.rows, effectiveRows: scheme.plan.effectiveRows, weightedBaseRate: scheme.plan.weightedBaseRate,
        maxWeight: Math.max(...released.flatMap((w) => [w.negative, w.positive])), capped: scheme.capped, suppressedCells: scheme.weights.length - released.length,
      },
    } as unknown as JsonObject,
  };
}

/** The report's mitigation record of a version trained with reweighing (from its metrics), or undefined. */
export function reweighingMitigation(metrics: JsonObject): Record<string, unknown> | undefined {
  const r = metrics.reweighing as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object') return undefined;
  return {
    kind: 'reweighing', applied: 'by members in local training', grouping: (r.attributes as string[]).join('×'),
    countsRoundId: r.countsRoundId, weights: r.weights, rows: r.rows, effectiveSampleSize: r.effectiveRows, maxWeight: r.maxWeight,
    cappedAt: MAX_REWEIGHING_WEIGHT, capped: r.capped, suppressedCells: r.suppressedCells, caveat: REWEIGHING_CAVEAT,
  };
}
