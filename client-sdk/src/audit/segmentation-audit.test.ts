// Member side of a segmentation audit: segments assigned as scoring assigns them, counts in the audit layout, refusals.
import { describe, expect, it } from 'vitest';
import { assignSegment, auditLayoutOf, parseAuditPolicy, policyHash, resolveTask, unpackVector, auditSumLayout, type AuditWorkOrder, type FeaturePipeline } from '@consort/core';
import { pinSegmentationAudit, segmentModelOf, segmentationAuditRows, segmentationAuditVector } from './segmentation-audit.ts';

const policy = parseAuditPolicy({ attributes: [{ name: 'gender', groups: ['F', 'M'] }], minMembers: 1, minCellCount: 1 });
const order: AuditWorkOrder = {
  kind: 'audit', policy, policyHash: policyHash(policy), maxRows: 1000,
  model: { kind: 'segmentation', segments: 2 }, segmentation: { features: ['spend', 'visits'], zClip: 3 },
};
const pipeline = {
  numeric: [{ name: 'visits', mean: 10, std: 5 }, { name: 'spend', mean: 100, std: 50 }], categorical: [],
} as unknown as FeaturePipeline;
// Centroids in standardized (spend, visits) space: low spenders and high spenders.
const weights = Float32Array.from([-1, -1, 1.5, 1.5]);
const rows = [
  { spend: '20', visits: '2', gender: 'F' },
  { spend: '250', visits: '25', gender: 'M' },
  { spend: '', visits: '30', gender: 'M' },
  { spend: '40', visits: '1', gender: '' },
];

describe('segmentation audit (member)', () => {
  it('assigns each row with the audited centroids, as the scoring function does, and counts group × segment', () => {
    const model = segmentModelOf(order, weights, pipeline);
    expect(model.features.names).toEqual(['spend', 'visits']);
    const assigned = segmentationAuditRows(order, { weights, pipeline, rows, columns: ['spend', 'visits', 'gender'], file: 'm.csv' });
    expect(assigned.map((r) => r.segment)).toEqual(rows.map((r) => assignSegment(model, [r.spend === '' ? NaN : Number(r.spend), Number(r.visits)]).segment));
    expect(assigned.map((r) => r.segment)).toEqual([0, 1, 1, 0]);
    const packed = segmentationAuditVector(order, { weights, pipeline, rows, columns: ['spend', 'visits', 'gender'], file: 'm.csv' }, 3);
    const values = Array.from(unpackVector(auditSumLayout(order, 3), packed).audit);
    const layout = auditLayoutOf(order);
    const [f, m] = layout.slots[0];
    expect(values.slice(f.segments, f.segments + 2)).toEqual([1, 0]);
    expect(values.slice(m.segments, m.segments + 2)).toEqual([0, 2]);
    expect(values[f.members]).toBe(1);
  });

  it('refuses centroids that do not match the work order, a work order without the model, and a file without the audited column', () => {
    expect(() => segmentModelOf(order, weights.subarray(0, 3), pipeline)).toThrow(/3 centroid values/);
    expect(() => segmentModelOf({ ...order, model: undefined }, weights, pipeline)).toThrow(/names no segmentation model/);
    expect(() => segmentModelOf({ ...order, segmentation: { features: ['spend', 'age'], zClip: 3 } }, weights, pipeline)).toThrow(/no column "age"/);
    expect(() => segmentationAuditVector(order, { weights, pipeline, rows, columns: ['spend', 'visits'], file: 'm.csv' }, 3)).toThrow(/"gender"/);
  });

  it('takes the features from the pinned task, not from a hostile work order, and refuses a kind that does not match the task', () => {
    const seg = resolveTask({ name: 's', kind: 'segmentation', protected: ['gender'], segmentation: { features: ['spend', 'visits'] } });
    const model = resolveTask({ name: 'm', label: 'churned', numeric: ['spend'], protected: ['gender'] });
    // A coordinator asking the audit to segment on the protected column itself.
    const hostile = { ...order, segmentation: { features: ['gender', 'spend'], zClip: 3 } };
    expect(pinSegmentationAudit(hostile, seg, 'r1')!.segmentation).toEqual({ features: ['spend', 'visits'], zClip: 3 });
    expect(() => pinSegmentationAudit(order, model, 'r1')).toThrow(/audits a segmentation model, but its task is a model task/);
    expect(() => pinSegmentationAudit({ ...order, model: undefined }, seg, 'r1')).toThrow(/audits a scored model, but its task is a segmentation task/);
    expect(pinSegmentationAudit(undefined, seg, 'r1')).toBeUndefined();
  });
});
