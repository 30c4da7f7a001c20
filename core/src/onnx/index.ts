// The ONNX graphs of released models (pure: built in memory), for members' local scoring and the coordinator's download.
export {
  ONNX_IO, ONNX_METADATA_KEYS, ONNX_ML_OPSET, ONNX_OPSET, exportOnnx, modelGraphOfFile, onnxFeatureColumns, readOnnxMetadata,
  type ModelFile, type ModelGraph, type OnnxMetadata, type OnnxProvenance,
} from './model-graph.ts';
export * from './segment-graph.ts';
export * from './member-model-onnx.ts';
