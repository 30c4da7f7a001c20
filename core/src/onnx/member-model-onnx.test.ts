// The graph of a member model file by its kind: a segmentation file gets the nearest-centroid graph; an altered file is refused.
import { describe, expect, it } from 'vitest';
import { MODEL_FILE_FORMAT, modelFileContentSha256, weightsSha256Hex } from '../model/model-file.ts';
import { onnxOfModelFile } from './member-model-onnx.ts';
import { assignSegment, readSegmentModel } from './segment-graph.ts';

function segmentationFile() {
  const weights = [2, -1, -1, 1];
  const file = {
    format: MODEL_FILE_FORMAT, kind: 'segmentation', taskId: 't1', task: 'segments', version: 3, modelVersionId: 'mv-3',
    sha256: weightsSha256Hex(Float32Array.from(weights)), weights,
    metrics: { kind: 'segmentation', k: 2, dim: 2, features: ['recency', 'frequency'], names: ['loyal', 'lapsed'], standardization: { mean: [10, 5], std: [2, 1], zClip: 8 } },
  };
  return { ...file, contentSha256: modelFileContentSha256(file) };
}

describe('onnxOfModelFile', () => {
  it('builds the nearest-centroid graph of a segmentation model file, carrying its model', () => {
    const { onnx, features } = onnxOfModelFile(segmentationFile(), 'seg.json');
    expect(features).toEqual(['recency', 'frequency']);
    const model = readSegmentModel(onnx);
    expect(model.names).toEqual(['loyal', 'lapsed']);
    expect(assignSegment(model, [14, 4]).segment).toBe(0); // z = (2, -1)
    expect(assignSegment(model, [8, 6]).segment).toBe(1); // z = (-1, 1)
  });

  it('refuses an altered file, naming it', () => {
    const altered = { ...segmentationFile(), weights: [2, -1, -1, 1.5] };
    expect(() => onnxOfModelFile(altered, 'seg.json')).toThrow(/seg\.json: the file's content .* does not match/);
  });
});
