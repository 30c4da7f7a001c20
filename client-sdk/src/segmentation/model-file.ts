// Reads a released segmentation model: the member model file (centroids as flat weights, k × dim in
// standardized space; features, standardization and names in metrics) or an .onnx export of it.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConsortError, checkModelFileFormat, verifyModelFileContent, verifyModelWeights } from '@consort/core';
import { exportSegmentOnnx, readSegmentModel, type SegmentModel } from './onnx-centroids.ts';
import { verifyOnnxDigest, writeOnnxWithDigest } from '../onnx/onnx-digest.ts';

interface SegmentationModelJson {
  format?: string;
  kind?: string;
  task?: string;
  taskId?: string;
  modelVersionId?: string;
  version?: number;
  sha256?: string;
  weights?: number[];
  metrics?: {
    kind?: string; k?: number; dim?: number; features?: string[]; names?: string[];
    standardization?: { mean: number[]; std: number[]; zClip: number };
  };
}

function readJson(file: string): SegmentationModelJson {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SegmentationModelJson;
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${file} is not a readable model JSON file (${(err as Error).message})`, { file });
  }
}

function modelOf(json: SegmentationModelJson, file: string): SegmentModel {
  checkModelFileFormat(json, file);
  verifyModelFileContent(json, file);
  const m = json.metrics;
  if (m?.kind !== 'segmentation' || !m.k || !m.dim || !m.features || !m.standardization || !m.names || !json.weights) {
    throw new ConsortError('INVALID_ARGUMENT', `${file} is not a segmentation model (metrics.kind "segmentation" with k, dim, features, standardization, names and weights); use the model of a segmentation task`, { file });
  }
  if (json.weights.length !== m.k * m.dim) {
    throw new ConsortError('MODEL_INTEGRITY', `${file} holds ${json.weights.length} centroid values, expected k × dim = ${m.k} × ${m.dim}`, { file });
  }
  // A versioned file always carries the centroids' hash; older files are checked when they do.
  verifyModelWeights(Float32Array.from(json.weights), json.sha256, file, json.format !== undefined);
  const centroids = Array.from({ length: m.k }, (_, i) => Float64Array.from(json.weights!.slice(i * m.dim!, (i + 1) * m.dim!)));
  return {
    features: { names: m.features, mean: m.standardization.mean, std: m.standardization.std, zClip: m.standardization.zClip },
    centroids, names: m.names, version: json.version === undefined ? undefined : String(json.version),
  };
}

/** Builds the SegmentModel of a model JSON file; errors name the file and what is missing or altered. */
export function segmentModelFromJson(file: string): SegmentModel {
  return modelOf(readJson(file), file);
}

/** A segmentation model ready to run: the graph's bytes and the model they encode. */
export interface LoadedSegmentModel {
  model: SegmentModel;
  onnx: Uint8Array;
}

/**
 * Loads a segmentation model for `segment`: a model JSON (checked, exported to ONNX in memory)
 * or an .onnx written by export-onnx (checked against its `.sha256` sidecar: MODEL_INTEGRITY
 * naming the file when it was altered).
 */
export async function loadSegmentModel(file: string): Promise<LoadedSegmentModel> {
  if (file.toLowerCase().endsWith('.onnx')) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw new ConsortError('INVALID_ARGUMENT', `cannot read model file ${file}: ${(err as Error).message}; check the --model path`, { file });
    }
    await verifyOnnxDigest(file, bytes);
    return { model: readSegmentModel(bytes, file), onnx: new Uint8Array(bytes) };
  }
  const model = segmentModelFromJson(file);
  return { model, onnx: exportSegmentOnnx(model) };
}

/** Whether a parsed model file is a segmentation (export-onnx picks the graph by it). */
export function isSegmentationModelJson(json: unknown): boolean {
  const j = json as SegmentationModelJson | null;
  return j !== null && typeof j === 'object' && (j.kind === 'segmentation' || j.metrics?.kind === 'segmentation');
}

/** Writes the nearest-centroid graph of a segmentation model file and its `.sha256` sidecar. */
export async function exportSegmentModelFile(json: unknown, source: string, outOnnxPath: string): Promise<{ bytes: number; features: string[]; sha256: string }> {
  const j = json as SegmentationModelJson;
  const model = modelOf(j, source);
  const onnx = exportSegmentOnnx(model, { task: j.task, modelVersionId: j.modelVersionId, version: j.version, sha256: j.sha256 });
  const sha256 = await writeOnnxWithDigest(outOnnxPath, onnx);
  return { bytes: onnx.byteLength, features: model.features.names, sha256 };
}
