// A member's part in an audit round: score its held-out rows with the audited model and count them
// into the audit vector (core's memberAuditVector); only the secure sum of these vectors leaves it.
import {
  ConsortError, auditLayoutOf, auditNoiseFor, auditSumSegments, auditNoiseMultiplierOf, auditSumLayout, dpMemberAuditVector, memberAuditVector, missingAuditColumns,
  packVector, privatizeAuditVector, validateModelSpec,
  type AuditNoise, type AuditNoiseShare, type AuditRow, type AuditWorkOrder, type FeaturePipeline, type ModVector, type ModelSpec, type PrivacyOptions,
} from '@consort/core';
import { toMatrix } from '../data/csv-table.ts';
import { predict } from '../train/trainer.ts';

export { auditOrderOf } from './audit-guard.ts';

/**
 * The audit noise this member adds, derived from its pinned task's privacy and the round's policy,
 * never from the coordinator's word: a work order whose noise differs (less noise, none on a DP
 * task, or noise on a task without DP) is refused (ROUND_POLICY_REFUSED) before any row is counted.
 */
export function auditNoiseOfTask(order: AuditWorkOrder, privacy: PrivacyOptions | undefined): AuditNoise | undefined {
  const expected = privacy ? auditNoiseFor(order.policy, auditNoiseMultiplierOf(privacy)) : undefined;
  const announced = order.noise;
  const same = expected === undefined ? announced === undefined
    : announced !== undefined && (Object.keys(expected) as Array<keyof AuditNoise>).every((k) => announced[k] === expected[k]) && Object.keys(announced).length === Object.keys(expected).length;
  if (!same) {
    throw new ConsortError('ROUND_POLICY_REFUSED', `the audit round asks for noise ${JSON.stringify(announced ?? 'none')}, but the task this member pinned `
      + (expected ? `needs ${JSON.stringify(expected)} (privacy.auditNoiseMultiplier ${expected.noiseMultiplier})` : 'has no differential privacy')
      + '; the round is refused: coordinator and agent versions differ, or the coordinator changed the task\'s privacy', { field: 'noise' });
  }
  return expected;
}

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

/**
 * The packed vector a member masks and sends in an audit round of `members` invited members. With
 * `noise` (a DP task: auditNoiseOfTask) the counts take the DP form and this member's noise share,
 * sized by `share()` (the count of the verified key set, awaited only once the rows are counted).
 */
export async function auditVector(order: AuditWorkOrder, inputs: AuditInputs, members: number,
  noise?: { noise: AuditNoise; share: () => Promise<AuditNoiseShare> }): Promise<ModVector> {
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
  const rows = await auditRows(inputs);
  const vector = noise
    ? privatizeAuditVector(dpMemberAuditVector(rows, layout, noise.noise.histogramGroups), layout, noise.noise, await noise.share())
    : memberAuditVector(rows, layout);
  const sum = auditSumLayout(order, members);
  // Under DP the `noised` marker says this member added its share (auditSumSegments).
  const values: Record<string, number[]> = { audit: vector, noised: [1] };
  return packVector(auditSumSegments(order).map((spec) => ({ ...spec, values: values[spec.name] })), { members, modulusBits: sum.modulusBits }).vector;
}
