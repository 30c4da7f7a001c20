// A member's part in the audit of a segmentation model: read its rows (the file the segmentation
// rounds read, protected columns kept), assign each row its segment with the audited version's
// centroids (assignSegment, the function scoring agrees with) and count them into the audit vector.
import {
  ConsortError, assignSegment, auditLayoutOf, auditSumLayout, memberAuditVector, missingAuditColumns, packVector, segmentationFeatures,
  type AuditRow, type AuditWorkOrder, type FeaturePipeline, type ModVector, type ResolvedTask, type SegmentModel,
} from '@consort/core';
import { readMemberCsv } from '../data/csv-table.ts';

/** What a member needs to audit a segmentation version: its centroids, the task's fitted pipeline and its rows. */
export interface SegmentationAuditInputs {
  /** The version's weights: k centroids of dim values each, in standardized space. */
  weights: Float32Array;
  pipeline: FeaturePipeline;
  /** Every row (segmentation has no held-out split): the features and the audit's columns. */
  rows: Record<string, string>[];
  /** The file's columns (to name audit columns it lacks). */
  columns: string[];
  file: string;
}

/**
 * An audit order with a segmentation version's columns taken from the pinned task, never from the
 * work order (as for the k-means rounds): a coordinator cannot make the audit read other columns.
 * A segmentation audit on a task that is not a segmentation task is refused.
 */
export function pinSegmentationAudit(order: AuditWorkOrder | undefined, task: ResolvedTask, roundId: string): AuditWorkOrder | undefined {
  if (!order || order.model?.kind !== 'segmentation') {
    if (order && task.kind === 'segmentation') throw new ConsortError('INVALID_ARGUMENT', `round ${roundId} audits a scored model, but its task is a segmentation task; the coordinator's work order is inconsistent`);
    return order;
  }
  if (task.kind !== 'segmentation') throw new ConsortError('INVALID_ARGUMENT', `round ${roundId} audits a segmentation model, but its task is a ${task.kind} task; the coordinator's work order is inconsistent`);
  return { ...order, segmentation: { features: task.segmentation.features, zClip: order.segmentation?.zClip ?? NaN } };
}

/** The segment model the work order and the version's weights describe (names are not needed to count). */
export function segmentModelOf(order: AuditWorkOrder, weights: Float32Array, pipeline: FeaturePipeline): SegmentModel {
  if (order.model?.kind !== 'segmentation' || !order.segmentation) {
    throw new ConsortError('INVALID_ARGUMENT', 'the audit work order names no segmentation model (kind, k, features); coordinator and agent versions differ?');
  }
  const k = order.model.segments;
  const byName = new Map(pipeline.numeric.map((n) => [n.name, n]));
  const features = segmentationFeatures(order.segmentation.features.map((f) => {
    const n = byName.get(f);
    if (!n) throw new ConsortError('INVALID_ARGUMENT', `the task's fitted pipeline has no column "${f}"; the audited version does not belong to this task's statistics`);
    return n;
  }), order.segmentation.zClip);
  const dim = features.names.length;
  if (weights.length !== k * dim) {
    throw new ConsortError('UPDATE_SHAPE_MISMATCH', `the audited version holds ${weights.length} centroid values, but the work order says ${k} segments × ${dim} features`);
  }
  // As model-file.ts reads a released model: float32 weights widened to float64 centroids.
  const centroids = Array.from({ length: k }, (_, i) => Float64Array.from(weights.subarray(i * dim, (i + 1) * dim)));
  return { features, centroids, names: centroids.map((_, i) => `segment ${i}`) };
}

function num(v: string | undefined): number {
  if (v === undefined || v.trim() === '') return NaN;
  const x = Number(v);
  if (!Number.isFinite(x)) return NaN;
  return x;
}

/** The member's audit rows: each row's segment under the audited version and its raw protected values. */
export function segmentationAuditRows(order: AuditWorkOrder, inputs: SegmentationAuditInputs): AuditRow[] {
  const model = segmentModelOf(order, inputs.weights, inputs.pipeline);
  const names = model.features.names;
  return inputs.rows.map((values) => ({ segment: assignSegment(model, names.map((f) => num(values[f]))).segment, values }));
}

/** Reads the member's rows for a segmentation audit: the segmentation features plus the columns the policy reads. */
export async function readSegmentationAuditRows(file: string, order: AuditWorkOrder): Promise<{ rows: Record<string, string>[]; columns: string[] }> {
  const features = order.segmentation?.features ?? [];
  if (features.length === 0) throw new ConsortError('INVALID_ARGUMENT', 'the audit work order names no segmentation features; coordinator and agent versions differ?');
  const layout = auditLayoutOf(order);
  const audited = [...layout.attributes.map((a) => a.column), ...(layout.control ? [layout.control.column] : [])];
  const table = await readMemberCsv(file, { numeric: features, categorical: [], label: features[0], protected: audited });
  return { rows: table.records, columns: table.columns };
}

/** The packed vector a member masks and sends in a segmentation audit round of `members` invited members. */
export function segmentationAuditVector(order: AuditWorkOrder, inputs: SegmentationAuditInputs, members: number): ModVector {
  if (inputs.rows.length > order.maxRows) {
    throw new ConsortError('INVALID_ARGUMENT', `${inputs.file} has ${inputs.rows.length} rows, more than the ${order.maxRows} one member may count in an audit`);
  }
  const layout = auditLayoutOf(order);
  const missing = missingAuditColumns(layout, inputs.columns);
  if (missing.length > 0) {
    throw new ConsortError('DATA_INVALID', `the audit policy reads column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')}, which ${inputs.file} does not have; `
      + 'the policy must name the prepared columns (after mapping) that the task lists as protected', { file: inputs.file, columns: missing });
  }
  const vector = memberAuditVector(segmentationAuditRows(order, inputs), layout);
  const sum = auditSumLayout(order, members);
  return packVector([{ name: 'audit', kind: 'integer', length: vector.length, maxAbs: order.maxRows, values: vector }], { members, modulusBits: sum.modulusBits }).vector;
}
