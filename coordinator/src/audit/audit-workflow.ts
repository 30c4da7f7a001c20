// The audit round as a workflow: one secure-sum round of the members' audit vectors for a published
// model version, then the signed report stored with that version. Only the sum leaves the members.
import {
  ConsortError, DEFAULT_MAX_EXAMPLES, SCORE_ONLY_POLICY_KEYS, auditCharge, auditLayoutOf, auditNoiseFor, auditNoiseMultiplierOf, auditPolicyInputOf, auditSumLayout,
  decodeAuditAggregates, decodeNoisyAuditAggregates, parseAuditPolicy, policyHash, releaseAggregates, unpackVector,
  type AuditAggregates, type AuditPolicy, type AuditWorkOrder,
} from '@consort/core';
import { chargeRound, checkAuditFits, loadLedger } from '../privacy/privacy-budget.ts';
import { auditPrivacySection, versionChargeCount, type AuditDifferentialPrivacy } from './audit-privacy.ts';
import { secureSumRoundPlan } from '../round/secure-sum-round.ts';
import { throwIfCancelled } from '../round/cancellation.ts';
import { taskDefinitionOf } from '../round/task-codec.ts';
import type { JsonObject } from '../store/store.ts';
import type { Workflow } from '../workflows/workflow.ts';
import { coreAuditMath } from './audit-math.ts';
import { refuseAuditMembersWouldDecline } from './member-acceptance.ts';
import { buildAuditReportBody, storeSignedAuditReport } from './produce-audit-report.ts';
import { reweighingMitigation } from './reweighing-run.ts';

export type { AuditWorkflowArgs } from './audit-workflow-args.ts';

export const auditWorkflow: Workflow = {
  kind: 'audit',
  async run(ctx) {
    const { task, store } = ctx;
    const def = taskDefinitionOf(task);
    const args = ctx.args.audit ?? {};
    // The operator's policy wins; else the one pinned with the task when it was created.
    const policy = args.policy ?? def.audit?.policy;
    if (!policy) throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} has no audit policy of its own; give one (consort-coordinator audit --policy <file>, or audit.policy over the HTTP API)`);
    if (def.kind === 'segmentation') refuseScoreSettings(policy, task.id);
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
    // A DP task's counts are noisy and the audit is charged to its budget; refused before the round when it cannot fit.
    // A segmentation task under DP has no noisy audit release: refused (the task definition refuses audit: with privacy: too).
    if (def.kind === 'segmentation' && def.privacy) {
      throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} is a segmentation task under differential privacy: its group × segment counts have no noisy release, so it cannot be audited (the counts would be exact)`, { taskId: task.id });
    }
    const modelDef = def.kind === 'segmentation' ? undefined : def;
    const privacy = modelDef?.privacy;
    const noise = privacy ? auditNoiseFor(policy, auditNoiseMultiplierOf(privacy)) : undefined;
    const ledger = privacy ? await loadLedger(store, task.id, privacy) : undefined;
    if (modelDef && privacy && ledger) {
      // At most every enrolled member is invited; the worst case has only minMembers of them surviving.
      const enrolled = (await store.listMembers(task.federationId)).filter((m) => !m.revokedAt).length;
      checkAuditFits(modelDef, privacy, ledger, Math.max(enrolled, def.minMembers), base.version);
    }
    const order: AuditWorkOrder = {
      kind: 'audit', policy, policyHash: hash, maxRows: DEFAULT_MAX_EXAMPLES, ...(noise ? { noise } : {}),
      ...(def.kind === 'segmentation' ? segmentationOrderOf(base.metrics, task.id, base.version) : {}),
    };
    // Members decline a policy past their default floors or caps (or on columns they never agreed to):
    // refused here, before any member hears of the round, rather than a round every member declines.
    if (args.memberPolicyCheck !== false) refuseAuditMembersWouldDecline(task.id, def, policy, hash, order.maxRows);
    // Fixed before the round: the audit trail shows the policy hash before any member computed anything.
    // Automatic audits (the task's policy) are the coordinator's doing; a policy given to this run is the operator's.
    await store.appendAuditEvent({
      actor: args.policy ? 'operator' : 'coordinator', kind: 'audit.policy_fixed', subjectType: 'modelVersion', subjectId: base.id,
      detail: { policyHash: hash, taskId: task.id, policySource: args.policy ? 'run' : 'task' },
    });
    throwIfCancelled(ctx.options.signal);
    let released: { aggregates: AuditAggregates; survivors: string[]; invited: number } | undefined;
    let differentialPrivacy: AuditDifferentialPrivacy | undefined;
    const plan = secureSumRoundPlan(task, 'audit', (members) => auditSumLayout(order, members), JSON.stringify(order), async (sum, members, survivors, { number: roundNumber }) => {
      const unpacked = unpackVector(auditSumLayout(order, members), sum);
      const values = unpacked.audit;
      if (privacy && ledger && noise) {
        // The sum is seen: the audit is spent budget now, whatever the checks below decide.
        const status = await chargeRound(store, task.id, ledger, auditCharge(noise.noiseMultiplier, roundNumber, survivors.length, members, base.version), privacy);
        ctx.logger.info({ task: task.id, privacy: status }, `privacy spent: ε=${status.epsilon.toFixed(3)} of ${status.budgetEpsilon} (δ=${status.delta}) after the audit of version ${base.version}`);
        const recorded = (base.metrics as { privacy?: { epsilon?: unknown } }).privacy?.epsilon;
        const budget = { epsilon: privacy.epsilon, delta: privacy.delta };
        differentialPrivacy = auditPrivacySection({
          level: privacy.level, delta: privacy.delta, budgetEpsilon: privacy.epsilon, noiseMultiplier: noise.noiseMultiplier, policy,
          invited: members, survivors: survivors.length, version: base.version, charges: [...ledger.charges],
          versionCharges: versionChargeCount(budget, ledger.charges, typeof recorded === 'number' ? recorded : undefined),
        });
      }
      // Every survivor says it added its noise share: a sum holding a member that did not is refused.
      if (noise && unpacked.noised[0] !== survivors.length) {
        throw new ConsortError('AGGREGATE_REJECTED', `audit aggregate: ${unpacked.noised[0]} of the ${survivors.length} members in the sum say they added their noise share; `
          + 'the counts cannot be released as differentially private (an agent of another version?); no report was stored');
      }
      // Decoding checks the sum's consistency (confusion totals against histograms — exact sums only —, members per cell);
      // noisy counts are read as at least 0 before suppression, which then works on them (post-processing).
      const decoded = noise ? decodeNoisyAuditAggregates(Array.from(values), auditLayoutOf(order), noise) : decodeAuditAggregates(Array.from(values), auditLayoutOf(order));
      refuseEmptyAudit(decoded, noise !== undefined);
      const aggregates = releaseAggregates(decoded, policy);
      released = { aggregates, survivors, invited: members };
      return { detail: { policyHash: hash, members: aggregates.members } };
    });
    const { report } = await ctx.lifecycle.run({ ...plan, base }, ctx.options);
    ctx.report(report);
    if (report.state !== 'published' || !released) return;
    const dropped = report.dropped.map((d) => d.memberId).filter((id) => !released!.survivors.includes(id));
    const body = await buildAuditReportBody(store, {
      modelVersionId: base.id, policy, aggregates: released.aggregates, roundIds: [report.roundId],
      contributors: released.survivors, dropped, protocol: 'secure-aggregation', minMembers: def.minMembers, mitigations: mitigationsOf(base.metrics, args.mitigations),
      ...(differentialPrivacy ? { differentialPrivacy } : {}),
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
 * A segmentation model has no score: a policy whose thresholds, histogram, checks, calibration or
 * member parity differ from the defaults would read as if they had been applied (the task
 * definition refuses them the same way).
 */
function refuseScoreSettings(policy: AuditPolicy, taskId: string): void {
  const input = auditPolicyInputOf(policy) as unknown as Record<string, unknown>;
  const defaults = parseAuditPolicy(Object.fromEntries(Object.entries(input).filter(([k]) => !(SCORE_ONLY_POLICY_KEYS as readonly string[]).includes(k)))) as unknown as Record<string, unknown>;
  const set = SCORE_ONLY_POLICY_KEYS.filter((k) => JSON.stringify((policy as unknown as Record<string, unknown>)[k]) !== JSON.stringify(defaults[k]));
  if (set.length) {
    throw new ConsortError('INVALID_ARGUMENT', `task ${taskId} is a segmentation task: the policy's ${set.join(', ')} apply to scored models only; remove ${set.length > 1 ? 'them' : 'it'} from the policy file`, { field: set[0] });
  }
}

/**
 * What members need to assign segments with a released segmentation version: k (the layout's
 * segment counts), the features in centroid order and the standardization's clip. The version's
 * metrics hold them (segmentation-task.ts writes them with the centroids).
 */
function segmentationOrderOf(metrics: JsonObject, taskId: string, version: number): Pick<AuditWorkOrder, 'model' | 'segmentation'> {
  const m = metrics as { kind?: unknown; k?: unknown; features?: unknown; standardization?: { zClip?: unknown } };
  const features = Array.isArray(m.features) && m.features.every((f) => typeof f === 'string') ? m.features as string[] : undefined;
  const zClip = m.standardization?.zClip;
  if (m.kind !== 'segmentation' || !Number.isInteger(m.k) || (m.k as number) < 1 || !features || typeof zClip !== 'number') {
    throw new ConsortError('INVALID_ARGUMENT', `model version ${version} of task ${taskId} is not a complete segmentation model (its metrics lack k, features or standardization); run the segmentation again, then audit`);
  }
  return { model: { kind: 'segmentation', segments: m.k as number }, segmentation: { features, zClip } };
}

/**
 * An attribute under which the sum counted no customer means the policy does not fit the members'
 * data (column names or group values after mapping): a report over 0 rows would read as an audit.
 */
function refuseEmptyAudit(decoded: AuditAggregates, noisy: boolean): void {
  for (const g of decoded.groupings.filter((x) => x.attributes.length === 1 && !x.controlled)) {
    // Noisy counts are rarely all 0 even with no row: the exact member indicators say whether any member counted a row.
    const rows = g.cells.reduce((n, c) => n + (noisy ? c.members : c.n ?? 0), 0);
    if (rows === 0) {
      throw new ConsortError('AGGREGATE_REJECTED', `the audit counted no customer in any group of ${g.id}: the policy's columns or group values do not match `
        + 'the members\' prepared data (use the column names and values after mapping, as the task\'s protected list); no report was stored');
    }
  }
}
