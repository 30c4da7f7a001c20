// The audit round as a workflow: one secure-sum round of the members' audit vectors for a published
// model version, then the signed report stored with that version. Only the sum leaves the members.
import {
  ConsortError, DEFAULT_MAX_EXAMPLES, auditLayoutOf, auditSumLayout, decodeAuditAggregates, policyHash, releaseAggregates, unpackVector,
  type AuditAggregates, type AuditWorkOrder,
} from '@consort/core';
import { secureSumRoundPlan } from '../round/secure-sum-round.ts';
import { throwIfCancelled } from '../round/cancellation.ts';
import { taskDefinitionOf } from '../round/task-codec.ts';
import type { Workflow } from '../workflows/workflow.ts';
import { coreAuditMath } from './audit-math.ts';
import { buildAuditReportBody, storeSignedAuditReport } from './produce-audit-report.ts';
import { reweighingMitigation } from './reweighing-run.ts';
import type { JsonObject } from '../store/store.ts';

export type { AuditWorkflowArgs } from './audit-workflow-args.ts';

export const auditWorkflow: Workflow = {
  kind: 'audit',
  async run(ctx) {
    const { task, store } = ctx;
    const def = taskDefinitionOf(task);
    if (def.kind === 'segmentation') throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} is a segmentation task; this audit round scores binary models`);
    const args = ctx.args.audit ?? {};
    // The operator's policy wins; else the one pinned with the task when it was created.
    const policy = args.policy ?? def.audit?.policy;
    if (!policy) throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} has no audit policy of its own; give one (consort-coordinator audit --policy <file>, or audit.policy over the HTTP API)`);
    const signingKey = args.signingKey ?? ctx.signingKey;
    if (!signingKey) throw new ConsortError('INVALID_ARGUMENT', 'this coordinator has no signing key for audit reports');
    const declaration = {
      ...(def.audit?.intendedUse ? { intendedUse: def.audit.intendedUse } : {}), ...(def.audit?.dataWindow ? { dataWindow: def.audit.dataWindow } : {}),
      ...Object.fromEntries(Object.entries(args.declaration ?? {}).filter(([, v]) => v !== undefined)),
    };
    // Nothing trained yet reads as it does for export-model: no model published (exit 6).
    if (!task.pipeline) throw new ConsortError('NO_MODEL_PUBLISHED', `task ${task.id} has no published model version yet; run its rounds first (consort-coordinator run --task ${task.id}), then audit`, { taskId: task.id });
    const versions = await store.listModelVersions(task.id);
    const wanted = ctx.args.version;
    const base = wanted === undefined ? versions.at(-1) : versions.find((v) => v.version === wanted);
    if (!base || base.version === 0) {
      if (wanted !== undefined) throw new ConsortError('NOT_FOUND', `task ${task.id} has no model version ${wanted}; list its versions (consort-coordinator models --task ${task.id})`);
      throw new ConsortError('NO_MODEL_PUBLISHED', `task ${task.id} has no published model version yet; run its rounds first (consort-coordinator run --task ${task.id}), then audit`, { taskId: task.id });
    }
    // One report per version: refuse before any member works, not after the round.
    const existing = await store.getAuditReportForModelVersion(base.id);
    if (existing) {
      throw new ConsortError('INVALID_ARGUMENT', `model version ${base.version} of task ${task.id} already has its audit report ${existing.id} (one per version, verdict ${existing.verdict}); `
        + 'read it with consort-audit export, or audit a newer version');
    }
    const hash = policyHash(policy);
    const order: AuditWorkOrder = { kind: 'audit', policy, policyHash: hash, maxRows: DEFAULT_MAX_EXAMPLES };
    // Fixed before the round: the audit trail shows the policy hash before any member computed anything.
    // Automatic audits (the task's policy) are the coordinator's doing; a policy given to this run is the operator's.
    await store.appendAuditEvent({
      actor: args.policy ? 'operator' : 'coordinator', kind: 'audit.policy_fixed', subjectType: 'modelVersion', subjectId: base.id,
      detail: { policyHash: hash, taskId: task.id, policySource: args.policy ? 'run' : 'task' },
    });
    throwIfCancelled(ctx.options.signal);
    let released: { aggregates: AuditAggregates; survivors: string[]; invited: string[] } | undefined;
    const plan = secureSumRoundPlan(task, 'audit', (members) => auditSumLayout(order, members), JSON.stringify(order), async (sum, members, survivors) => {
      const values = unpackVector(auditSumLayout(order, members), sum).audit;
      // Decoding checks the sum's consistency (confusion totals against histograms, members per cell).
      const decoded = decodeAuditAggregates(Array.from(values), auditLayoutOf(order));
      refuseEmptyAudit(decoded);
      const aggregates = releaseAggregates(decoded, policy);
      released = { aggregates, survivors, invited: [] };
      return { detail: { policyHash: hash, members: aggregates.members } };
    });
    const { report } = await ctx.lifecycle.run({ ...plan, base }, ctx.options);
    ctx.report(report);
    if (report.state !== 'published' || !released) return;
    const dropped = report.dropped.map((d) => d.memberId).filter((id) => !released!.survivors.includes(id));
    const body = await buildAuditReportBody(store, {
      modelVersionId: base.id, policy, aggregates: released.aggregates, roundIds: [report.roundId],
      contributors: released.survivors, dropped, protocol: 'secure-aggregation', minMembers: def.minMembers, mitigations: mitigationsOf(base.metrics, args.mitigations),
    }, coreAuditMath, declaration);
    await storeSignedAuditReport(store, signingKey, body);
  },
};

/** The report's mitigations: the operator's plans, and reweighing when members trained the version with it. */
function mitigationsOf(metrics: JsonObject, given: unknown[] | undefined): unknown[] | undefined {
  const applied = reweighingMitigation(metrics);
  return applied ? [...(given ?? []), applied] : given;
}

/**
 * An attribute under which the sum counted no customer means the policy does not fit the members'
 * data (column names or group values after mapping): a report over 0 rows would read as an audit.
 */
function refuseEmptyAudit(decoded: AuditAggregates): void {
  for (const g of decoded.groupings.filter((x) => x.attributes.length === 1 && !x.controlled)) {
    const rows = g.cells.reduce((n, c) => n + (c.n ?? 0), 0);
    if (rows === 0) {
      throw new ConsortError('AGGREGATE_REJECTED', `the audit counted no customer in any group of ${g.id}: the policy's columns or group values do not match `
        + 'the members\' prepared data (use the column names and values after mapping, as the task\'s protected list); no report was stored');
    }
  }
}
