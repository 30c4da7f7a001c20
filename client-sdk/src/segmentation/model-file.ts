// Reads a released segmentation model from the model JSON a federation exports (centroids as
// flat weights, k × dim in standardized space; features, standardization and names in metrics).
import { readFileSync } from 'node:fs';
import { ConsortError } from '@consort/core';
import type { SegmentModel } from './onnx-centroids.ts';

interface SegmentationModelJson {
  version?: number;
  weights?: number[];
  metrics?: {
    kind?: string; k?: number; dim?: number; features?: string[]; names?: string[];
    standardization?: { mean: number[]; std: number[]; zClip: number };
  };
}

/** Builds the SegmentModel of a model JSON file; errors name the file and what is missing. */
export function segmentModelFromJson(file: string): SegmentModel {
  let json: SegmentationModelJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as SegmentationModelJson;
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${file} is not a readable model JSON file (${(err as Error).message})`);
  }
  const m = json.metrics;
  if (m?.kind !== 'segmentation' || !m.k || !m.dim || !m.features || !m.standardization || !m.names || !json.weights) {
    throw new ConsortError('INVALID_ARGUMENT', `${file} is not a segmentation model (metrics.kind "segmentation" with k, dim, features, standardization, names and weights); use the model of a segmentation task`);
  }
  if (json.weights.length !== m.k * m.dim) {
    throw new ConsortError('MODEL_INTEGRITY', `${file} holds ${json.weights.length} centroid values, expected k × dim = ${m.k} × ${m.dim}`);
  }
  const centroids = Array.from({ length: m.k }, (_, i) => Float64Array.from(json.weights!.slice(i * m.dim!, (i + 1) * m.dim!)));
  return {
    features: { names: m.features, mean: m.standardization.mean, std: m.standardization.std, zClip: m.standardization.zClip },
    centroids, names: m.names, version: json.version === undefined ? undefined : String(json.version),
  };
}
