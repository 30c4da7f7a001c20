// The audit round's work order (RoundOpen.payload_json, signed with the round): the policy and the
// packed layout of the one integer vector each member sends to the secure sum.
import { planLayout, type VectorLayout } from '../secagg/quantize.ts';
import { buildAuditLayout, type AuditModelKind } from './layout.ts';
import type { AuditLayout, AuditPolicy } from './types.ts';

/** What a member is asked to compute in an audit round. */
export interface AuditWorkOrder {
  kind: 'audit';
  /** The resolved policy, fixed before the round; its hash is in the report. */
  policy: AuditPolicy;
  policyHash: string;
  /** Most held-out rows one member may count (every entry of its vector is at most this). */
  maxRows: number;
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

/** The secure-sum layout: one integer segment as long as the audit vector, sized for `members`. */
export function auditSumLayout(order: AuditWorkOrder, members: number): VectorLayout {
  return planLayout([{ name: 'audit', kind: 'integer', length: auditLayoutOf(order).length, maxAbs: order.maxRows }], { members });
}
