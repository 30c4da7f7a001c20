// Reads a released segmentation model: the member model file (centroids as flat weights, k × dim in
// standardized space; features, standardization and names in metrics) or an .onnx export of it.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  ConsortError, exportSegmentOnnx, readSegmentModel, segmentModelOfFile, type SegmentModel, type SegmentationModelJson,
} from '@consort/core';
import { verifyOnnxDigest } from '../onnx/onnx-digest.ts';

function readJson(file: string): SegmentationModelJson {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SegmentationModelJson;
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${file} is not a readable model JSON file (${(err as Error).message})`, { file });
  }
}

/** Builds the SegmentModel of a model JSON file; errors name the file and what is missing or altered. */
export function segmentModelFromJson(file: string): SegmentModel {
  return segmentModelOfFile(readJson(file), file);
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
