// A member's part in an audit round: score its held-out rows with the audited model and count them
// into the audit vector (core's memberAuditVector); only the secure sum of these vectors leaves it.
import {
  ConsortError, auditLayoutOf, auditSumLayout, memberAuditVector, missingAuditColumns, packVector, validateModelSpec,
  type AuditRow, type AuditWorkOrder, type FeaturePipeline, type ModVector, type ModelSpec,
} from '@consort/core';
import { toMatrix } from '../data/csv-table.ts';
import { predict } from '../train/trainer.ts';

export { auditOrderOf } from './audit-guard.ts';

/** What the member needs to audit: the model, its preprocessing and the held-out rows. */
export interface AuditInputs {
  spec: ModelSpec;
  weights: Float32Array;
  pipeline: FeaturePipeline;
  /** Held-out rows (raw records, protected columns included). */
  rows: Record<string, string>[];
  file: string;
}

/** The member's audit rows: model score, true label and the raw protected/control values. */
export async function auditRows(inputs: AuditInputs): Promise<AuditRow[]> {
  validateModelSpec(inputs.spec);
  if (inputs.rows.length === 0) return [];
  const m = toMatrix(inputs.pipeline, inputs.rows, inputs.file);
  const scores = await predict(inputs.spec, inputs.weights, m.x);
  return inputs.rows.map((values, i) => ({ score: Math.min(1, Math.max(0, scores[i])), label: m.y[i] >= 0.5 ? 1 : 0, values }));
}

/** The packed vector a member masks and sends in an audit round of `members` invited members. */
export async function auditVector(order: AuditWorkOrder, inputs: AuditInputs, members: number): Promise<ModVector> {
  if (inputs.rows.length > order.maxRows) {
    throw new ConsortError('INVALID_ARGUMENT', `${inputs.file} has ${inputs.rows.length} held-out rows, more than the ${order.maxRows} one member may count in an audit`);
  }
  const layout = auditLayoutOf(order);
  // A policy naming columns this member's rows lack would count nobody: decline, naming them.
  const missing = inputs.rows.length > 0 ? missingAuditColumns(layout, Object.keys(inputs.rows[0])) : [];
  if (missing.length > 0) {
    throw new ConsortError('DATA_INVALID', `the audit policy reads column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')}, which ${inputs.file} does not have; `
      + 'the policy must name the prepared columns (after mapping) that the task lists as protected', { file: inputs.file, columns: missing });
  }
  const vector = memberAuditVector(await auditRows(inputs), layout);
  const sum = auditSumLayout(order, members);
  return packVector([{ name: 'audit', kind: 'integer', length: vector.length, maxAbs: order.maxRows, values: vector }], { members, modulusBits: sum.modulusBits }).vector;
}
