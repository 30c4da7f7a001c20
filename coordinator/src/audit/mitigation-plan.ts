// Mitigation plans derived from a verified report's released aggregates (core/src/audit/mitigation.ts),
// as records the next audit report carries in `mitigations` with their trade-offs.
import { ConsortError, groupLabelCounts, groupThresholds, reweighingWeights, type AuditAggregates } from '@consort/core';
import { reportSha256, type SignedAuditReport } from './audit-report.ts';

/** A mitigation as the next report records it. */
export interface MitigationRecord {
  kind: 'per-group-thresholds' | 'reweighing';
  /** SHA-256 of the report whose aggregates the plan was computed from. */
  fromReport: string;
  fromModelVersionId: string;
  grouping: string;
  /** The plan with its trade-offs (core's GroupThresholdPlan or ReweighingPlan). */
  plan: unknown;
  /** What a member must know before applying it. */
  caveat: string;
}

/** Plans a mitigation from a (verified) report: per-group thresholds toward equal TPR or selection rate, or reweighing weights. */
export function planMitigation(signed: SignedAuditReport, o: { grouping: string; kind: 'thresholds' | 'reweighing'; metric?: 'tpr' | 'selectionRate' }): MitigationRecord {
  const aggregates = signed.report.aggregates as AuditAggregates;
  if (aggregates.model?.kind === 'segmentation') {
    throw new ConsortError('INVALID_ARGUMENT', 'the report audits a segmentation model: thresholds and reweighing act on scores and labels; re-run the segmentation (other features, k) and audit its new version instead');
  }
  const base = { fromReport: reportSha256(signed.report), fromModelVersionId: signed.report.model.modelVersionId, grouping: o.grouping };
  if (o.kind === 'reweighing') {
    const counts = groupLabelCounts(aggregates, o.grouping);
    if (counts.length === 0) throw new ConsortError('INVALID_ARGUMENT', `grouping "${o.grouping}" has no released cell to reweigh (all suppressed)`);
    return {
      ...base, kind: 'reweighing', plan: reweighingWeights(counts),
      caveat: 'members train with these row weights by group and label (Kamiran & Calders 2012); the effective sample size shrinks as weights spread',
    };
  }
  const plan = groupThresholds(aggregates, o.grouping, { metric: o.metric ?? 'tpr' });
  return { ...base, kind: 'per-group-thresholds', plan, caveat: plan.caveat };
}
