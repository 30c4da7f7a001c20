// Reading a released segmentation model file: centroids reshaped, wrong files refused by name.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError, weightsSha256Hex, modelFileContentSha256 } from '@consort/core';
import { loadSegmentModel, segmentModelFromJson } from './model-file.ts';
import { assignSegment } from '@consort/core';
import { exportModelFile } from '../onnx/scorer.ts';

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

  it('checks a versioned file\'s centroids against their sha256', () => {
    const centroids = [2, -1, -1, 1];
    const sha256 = weightsSha256Hex(Float32Array.from(centroids));
    const base = { format: 'consort-model/1', kind: 'segmentation', version: 4, metrics, sha256 };
    const sealed = (o: object) => ({ ...o, contentSha256: modelFileContentSha256(o) });
    const v4 = sealed({ ...base, weights: centroids });
    expect(segmentModelFromJson(file('v4.json', v4)).version).toBe('4');
    // Altered centroids, or an altered name, under the published content hash: refused.
    for (const [name, altered] of [['centroids', { ...v4, weights: [2, -1, -1, 1.5] }], ['names', { ...v4, metrics: { ...metrics, names: ['Loyal', 'Lapsed'] } }]] as const) {
      const path = file(`altered-${name}.json`, altered);
      let err: unknown;
      try { segmentModelFromJson(path); } catch (e) { err = e; }
      expect(describeError(err)).toMatchObject({ code: 'MODEL_INTEGRITY', exitCode: 5 });
      expect(describeError(err).message).toContain(`${path}: the file's content (preprocessing, spec, metrics or weights) does not match its recorded contentSha256`);
    }
    // Centroids whose own hash does not match even though the content hash was recomputed.
    const reHashed = file('rehashed.json', sealed({ ...base, weights: [2, -1, -1, 1.5] }));
    expect(() => segmentModelFromJson(reHashed)).toThrow(`the weights do not match the recorded sha256 ${sha256}`);
    expect(() => segmentModelFromJson(file('nohash.json', sealed({ ...base, sha256: undefined, weights: centroids })))).toThrow('no "sha256" of the weights is recorded');
    expect(() => segmentModelFromJson(file('nocontent.json', { ...base, weights: centroids }))).toThrow('no "contentSha256" is recorded');
  });

  it('export-onnx writes the segmentation graph with its sidecar; a tampered graph is refused', async () => {
    const centroids = [2, -1, -1, 1];
    const seg = { format: 'consort-model/1', kind: 'segmentation', version: 5, metrics, sha256: weightsSha256Hex(Float32Array.from(centroids)), weights: centroids };
    const json = file('seg.json', { ...seg, contentSha256: modelFileContentSha256(seg) });
    const onnx = join(dir, 'seg.onnx');
    const { features } = await exportModelFile(json, onnx);
    expect(features).toEqual(['recency', 'frequency']);
    const loaded = await loadSegmentModel(onnx);
    expect(loaded.model.names).toEqual(['Lapsed', 'Loyal']);
    expect(assignSegment(loaded.model, [14, 4]).segment).toBe(0);
    const bytes = readFileSync(onnx);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    bytes[Math.floor(bytes.length / 2) + 3] ^= 0x01;
    writeFileSync(onnx, bytes);
    await expect(loadSegmentModel(onnx)).rejects.toThrow(`${onnx}: the graph does not match the SHA-256 in seg.onnx.sha256`);
  });
});
