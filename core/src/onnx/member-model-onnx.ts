// The ONNX graph of a member model file of either kind: what `consort-agent export-onnx` writes and the API's …/onnx serves.
import type { MemberModelFile } from '../model/model-file.ts';
import { modelGraphOfFile, onnxFeatureColumns, type ModelFile } from './model-graph.ts';
import { exportSegmentOnnx, isSegmentationModelJson, segmentModelOfFile, type SegmentationModelJson } from './segment-graph.ts';

/** The graph bytes and the feature columns it reads, from a parsed model file (checked; errors name `source`). */
export function onnxOfModelFile(json: MemberModelFile | ModelFile | SegmentationModelJson, source = 'model file'): { onnx: Uint8Array; features: string[] } {
  if (isSegmentationModelJson(json)) {
    const j = json as SegmentationModelJson;
    const model = segmentModelOfFile(j, source);
    return { onnx: exportSegmentOnnx(model, { task: j.task, modelVersionId: j.modelVersionId, version: j.version, sha256: j.sha256 }), features: model.features.names };
  }
  const graph = modelGraphOfFile(json as ModelFile, source);
  return { onnx: graph.onnx, features: onnxFeatureColumns(graph.pipeline) };
}
