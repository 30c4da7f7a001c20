// The audit round's work order (RoundOpen.payload_json, signed with the round): the policy and the
// packed layout of the one integer vector each member sends to the secure sum.
import { planLayout, type SegmentSpec, type VectorLayout } from '../secagg/quantize.ts';
import { buildAuditLayout, type AuditModelKind } from './layout.ts';
import type { AuditNoise } from './dp-release.ts';
import type { AuditLayout, AuditPolicy } from './types.ts';

/** What a member is asked to compute in an audit round. */
export interface AuditWorkOrder {
  kind: 'audit';
  /** The resolved policy, fixed before the round; its hash is in the report. */
  policy: AuditPolicy;
  policyHash: string;
  /** Most held-out rows one member may count (every entry of its vector is at most this). */
  maxRows: number;
  /**
   * The noise of a task with `privacy:` (dp-release.ts): each member adds its share to the counts.
   * Each member derives it from its pinned task and refuses a round whose work order differs.
   */
  noise?: AuditNoise;
  /** What is audited: a scored binary model (absent: binary, as before) or a segmentation model with k segments. */
  model?: AuditModelKind;
  /**
   * Segmentation models: the task's segmentation features (in centroid order) and the clip of
   * their standardization; members standardize with the task's fitted pipeline and assign each
   * row to its nearest centroid of the audited version, as scoring does.
   */
  segmentation?: { features: string[]; zClip: number };
}

/** The audit vector's layout (cells, histograms, parity) for a work order. */
export function auditLayoutOf(order: AuditWorkOrder): AuditLayout {
  return buildAuditLayout(order.policy, order.model ?? { kind: 'binary' });
}

/**
 * The secure-sum segments: one integer segment as long as the audit vector (noise headroom
 * included) and, under DP, a one-entry `noised` segment in which each member puts 1 to say it added
 * its noise share. An agent that knows no audit noise derives a shorter vector and refuses the
 * round (it would otherwise send exact counts into a sum charged as noisy); the coordinator checks
 * that the marker sums to the survivors.
 */
export function auditSumSegments(order: AuditWorkOrder): SegmentSpec[] {
  return [
    { name: 'audit', kind: 'integer', length: auditLayoutOf(order).length, maxAbs: auditMaxAbs(order) },
    ...(order.noise ? [{ name: 'noised', kind: 'integer' as const, length: 1, maxAbs: 1 }] : []),
  ];
}

/** The secure-sum layout of an audit round (auditSumSegments), sized for `members`. */
export function auditSumLayout(order: AuditWorkOrder, members: number): VectorLayout {
  return planLayout(auditSumSegments(order), { members });
}

/** Largest |entry| one member may send: its row count, plus the noise share's headroom under DP. */
export function auditMaxAbs(order: AuditWorkOrder): number {
  return order.maxRows + (order.noise?.headroom ?? 0);
}
