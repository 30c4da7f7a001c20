// Reading a released segmentation model file: centroids reshaped, wrong files refused by name.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { segmentModelFromJson } from './model-file.ts';
import { assignSegment } from './onnx-centroids.ts';

const dir = mkdtempSync(join(tmpdir(), 'consort-segmodel-'));
function file(name: string, json: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(json));
  return p;
}
const metrics = { kind: 'segmentation', k: 2, dim: 2, features: ['recency', 'frequency'], names: ['Lapsed', 'Loyal'], standardization: { mean: [10, 5], std: [2, 1], zClip: 8 } };

describe('segmentation model file', () => {
  it('reshapes the centroids and assigns in raw units through the standardization', () => {
    const m = segmentModelFromJson(file('ok.json', { version: 3, weights: [2, -1, -1, 1], metrics }));
    expect(m.centroids.map((c) => Array.from(c))).toEqual([[2, -1], [-1, 1]]);
    expect(m.version).toBe('3');
    expect(assignSegment(m, [14, 4]).segment).toBe(0); // z = (2, -1)
    expect(assignSegment(m, [8, 6]).segment).toBe(1); // z = (-1, 1)
  });

  it('refuses a churn model and a truncated segmentation model, naming the file', () => {
    const churn = file('churn.json', { weights: [1, 2, 3], metrics: { trainLoss: 0.4 } });
    expect(() => segmentModelFromJson(churn)).toThrow(`${churn} is not a segmentation model`);
    const short = file('short.json', { weights: [1, 2, 3], metrics });
    expect(() => segmentModelFromJson(short)).toThrow(/holds 3 centroid values, expected k × dim = 2 × 2/);
  });
});
