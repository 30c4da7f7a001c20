// Mitigation plans derived from a verified report's released aggregates (core/src/audit/mitigation.ts),
// as records the next audit report carries in `mitigations` with their trade-offs.
import {
  ConsortError, groupLabelCounts, groupThresholds, measureThresholdPlan, reweighingWeights,
  type AuditAggregates, type AuditAttribute, type AuditPolicy, type GroupThresholdPlan, type MeasuredThresholdEffect,
} from '@consort/core';
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
  /** Per-group thresholds: the grouping's attributes (columns, bands, groups), so that a member can place its rows (consort-agent score --group-thresholds). */
  attributes?: AuditAttribute[];
  /**
   * Per-group thresholds, in the report that marks the plan: its effect measured on that report's
   * own released histograms (core measureThresholdPlan); verify recomputes it.
   */
  measured?: MeasuredThresholdEffect;
}

/**
 * The measured effect of a mitigation record on a report's released aggregates: for per-group
 * thresholds, core's measureThresholdPlan; undefined for any other record. A record the operator
 * handed in is not trusted to be well formed: a plan that cannot be read is measured as
 * unavailable, deterministically, so that verify recomputes the same.
 */
export function measuredEffectOf(record: unknown, aggregates: AuditAggregates): MeasuredThresholdEffect | undefined {
  const r = record as Partial<MitigationRecord> | null;
  if (typeof r !== 'object' || r === null || r.kind !== 'per-group-thresholds') return undefined;
  const plan = r.plan as GroupThresholdPlan | undefined;
  const readable = typeof r.grouping === 'string' && typeof plan === 'object' && plan !== null && Array.isArray(plan.groups)
    && plan.groups.every((g) => typeof g === 'object' && g !== null && Array.isArray(g.key) && typeof g.threshold === 'number')
    && typeof plan.commonThreshold === 'number' && (plan.target?.metric === 'tpr' || plan.target?.metric === 'selectionRate');
  if (!readable) {
    return { grouping: String(r.grouping), metric: 'tpr', commonThreshold: 0, groups: [], overall: null, unavailable: 'the plan is not a per-group thresholds plan this coordinator can read (made by an older consort-audit?)' };
  }
  return measureThresholdPlan(aggregates, { grouping: r.grouping!, plan });
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
  const policy = signed.report.policy as AuditPolicy;
  const names = aggregates.groupings.find((g) => g.id === o.grouping)!.attributes;
  const attributes = names.map((n) => policy.attributes.find((a) => a.name === n)!);
  return { ...base, kind: 'per-group-thresholds', attributes, plan, caveat: plan.caveat };
}
