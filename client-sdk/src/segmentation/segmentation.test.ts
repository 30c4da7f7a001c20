// Tests of the ONNX nearest-centroid export (agreement with the TypeScript assignment) and of local membership-change reports.
import { describe, expect, it } from 'vitest';
import { SeededRandom, segmentationFeatures } from '@consort/core';
import { assignSegment, exportSegmentOnnx, readSegmentModel, type SegmentModel } from '@consort/core';
import { SegmentScorer } from './onnx-centroids.ts';
import { formatMembershipChanges, membershipChanges } from './membership-changes.ts';
import { scoreSegmentsCsv } from './score-segments.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function randomModel(rng: SeededRandom, k: number): SegmentModel {
  const features = segmentationFeatures([
    { name: 'recency_days', mean: 60, std: 45 }, { name: 'frequency', mean: 8, std: 6 },
    { name: 'monetary', mean: 640.5, std: 900.25 }, { name: 'tenure_days', mean: 800, std: 500 }, { name: 'web_visits', mean: 3, std: 2.5 },
  ], 8);
  const centroids = Array.from({ length: k }, () => Float64Array.from({ length: 5 }, () => rng.normal(0, 1.5)));
  return { features, centroids, names: centroids.map((_, i) => `Segment ${i + 1}`), version: 'v1' };
}

describe('ONNX nearest-centroid graph', () => {
  it('assigns exactly like the TypeScript assignment on 1,000 random rows (with missing and extreme values)', async () => {
    const rng = new SeededRandom(17);
    const model = randomModel(rng, 6);
    const rows = Array.from({ length: 1000 }, () => model.features.mean.map((m, j) => {
      const r = rng.next();
      if (r < 0.05) return NaN;
      if (r < 0.07) return m + 50 * model.features.std[j]; // beyond the clip
      return m + rng.normal(0, 1.3) * model.features.std[j];
    }));
    const bytes = exportSegmentOnnx(model, { modelVersionId: 'v1' });
    expect(readSegmentModel(bytes).names).toEqual(model.names);
    const scorer = await SegmentScorer.create(bytes);
    const scored = await scorer.score(rows);
    await scorer.release();
    let agree = 0;
    rows.forEach((r, i) => {
      const ts = assignSegment(model, r);
      if (ts.segment === scored[i].segment) agree++;
      expect(scored[i].distance).toBeCloseTo(ts.distance, 9);
      expect(scored[i].name).toBe(model.names[ts.segment]);
    });
    expect(agree).toBe(1000);
  });

  it('refuses a model whose names and centroids disagree', () => {
    const model = randomModel(new SeededRandom(1), 3);
    expect(() => exportSegmentOnnx({ ...model, names: ['a'] })).toThrow(/3 centroids but 1 names/);
  });
});

describe('membership changes between model versions', () => {
  it('counts transitions and matches renumbered segments', () => {
    const prev = [0, 0, 0, 1, 1, 2, 2, 2];
    const next = [1, 1, 0, 0, 0, 2, 2, 1];
    const c = membershipChanges(prev, next, 3, 3, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(c.matrix).toEqual([[1, 2, 0], [2, 0, 0], [0, 1, 2]]);
    expect(c.continues).toEqual([1, 0, 2]);
    expect(c.stayed).toBe(6);
    expect(c.movedIds).toEqual(['c', 'h']);
    expect(formatMembershipChanges(c, ['Lapsed', 'Loyal', 'New'])).toContain('| Lapsed | 1 | 2 | 0 |');
    expect(() => membershipChanges([0], [0, 1], 1, 2)).toThrow(/score the same customer file/);
  });
});

describe('scoring a customer CSV', () => {
  it('adds segment id, name and distance per customer, and feeds a local membership report', async () => {
    const rng = new SeededRandom(23);
    const v1 = randomModel(rng, 4);
    const v2 = { ...randomModel(rng, 3), names: ['Lapsed', 'Loyal', 'New'] };
    const dir = mkdtempSync(join(tmpdir(), 'consort-seg-'));
    try {
      const header = ['customer_id', ...v1.features.names, 'plan'];
      const rows = Array.from({ length: 50 }, (_, i) => [`c${i}`, ...v1.features.mean.map((m, j) => (i === 3 && j === 1 ? '' : String(m + rng.normal(0, 1) * v1.features.std[j]))), 'basic']);
      const input = join(dir, 'customers.csv');
      writeFileSync(input, [header, ...rows].map((r) => r.join(',')).join('\n'));
      const a = await scoreSegmentsCsv(exportSegmentOnnx(v1), { input, output: join(dir, 'v1.csv'), batchSize: 16 });
      const b = await scoreSegmentsCsv(exportSegmentOnnx(v2), { input, output: join(dir, 'v2.csv') });
      const out = readFileSync(join(dir, 'v1.csv'), 'utf8').trim().split('\n');
      expect(out[0]).toBe('customer_id,segment,segment_name,segment_distance');
      expect(out.length).toBe(51);
      const raw3 = rows[3].slice(1, 6).map((x) => (x === '' ? NaN : Number(x)));
      expect(a.segments[3]).toBe(assignSegment(v1, raw3).segment);
      expect(out[4].split(',')[2]).toBe(v1.names[a.segments[3]]);
      const changes = membershipChanges(a.segments, b.segments, 4, 3, a.ids);
      expect(changes.total).toBe(50);
      expect(changes.stayed + changes.moved).toBe(50);
      // The id is customer_id or --id, never the first column (here a segmentation feature).
      const noId = join(dir, 'no-id.csv');
      writeFileSync(noId, [[...v1.features.names, 'member_no'], ...rows.map((r) => [...r.slice(1, -1), r[0]])].map((r) => r.join(',')).join('\n'));
      await expect(scoreSegmentsCsv(exportSegmentOnnx(v1), { input: noId, output: join(dir, 'v4.csv') })).rejects.toThrow(/does not guess.*"member_no"/);
      await scoreSegmentsCsv(exportSegmentOnnx(v1), { input: noId, output: join(dir, 'v4.csv'), idColumn: 'row' });
      expect(readFileSync(join(dir, 'v4.csv'), 'utf8').split('\n').slice(0, 3).map((l) => l.split(',')[0])).toEqual(['row', '2', '3']);
      const byMember = await scoreSegmentsCsv(exportSegmentOnnx(v1), { input: noId, output: join(dir, 'v5.csv'), idColumn: 'member_no' });
      expect(Array.from(byMember.segments)).toEqual(Array.from(a.segments));
      writeFileSync(input, 'customer_id,recency_days\nx,1\n');
      await expect(scoreSegmentsCsv(exportSegmentOnnx(v1), { input, output: join(dir, 'v3.csv') })).rejects.toThrow(/lacks the column/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
