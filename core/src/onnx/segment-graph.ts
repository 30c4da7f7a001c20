// The nearest-centroid ONNX graph of a segmentation model, with the standardization folded in, and
// the TypeScript assignment it must agree with. Pure (no I/O): members export it to score locally,
// and the coordinator serves it from the HTTP API.
import { ConsortError } from '../errors/consort-error.ts';
import { checkModelFileFormat, verifyModelFileContent, verifyModelWeights } from '../model/model-file.ts';
import { nearestCentroid } from '../segmentation/centralized.ts';
import { standardizePoint, type SegmentationFeatures } from '../segmentation/standardize.ts';
import { DT, GraphBuilder, encodeOnnxModel, readOnnxProps, valueInfo } from './onnx-graph.ts';

/** Names of the segmentation graph's inputs and outputs. */
export const SEGMENT_ONNX_IO = {
  /** float64 [N, F]: RAW values in features.names order, NaN for missing. */
  numeric: 'numeric',
  /** int64 [N]: index of the nearest centroid (ties → lowest index). */
  segment: 'segment',
  /** float64 [N]: Euclidean distance to it, in standardized units. */
  distance: 'distance',
} as const;

/** metadata_props key holding the segment model (features, centroids, names) as JSON. */
export const SEGMENT_METADATA_KEY = 'consort.segmentation';

/** A released segmentation model: the transform, centroids in standardized space, and names. */
export interface SegmentModel {
  features: SegmentationFeatures;
  centroids: Float64Array[];
  /** One name per centroid (from nameSegment); suppressed segments keep theirs. */
  names: string[];
  version?: string;
}

function checkModel(m: SegmentModel): void {
  const F = m.features.names.length;
  if (m.centroids.length === 0) throw new ConsortError('INVALID_ARGUMENT', 'a segment model needs at least one centroid; finish the k-means rounds first');
  if (m.names.length !== m.centroids.length) throw new ConsortError('INVALID_ARGUMENT', `${m.centroids.length} centroids but ${m.names.length} names; compute profiles for the released centroids`);
  for (const c of m.centroids) {
    if (c.length !== F || !c.every(Number.isFinite)) throw new ConsortError('INVALID_ARGUMENT', `a centroid has ${c.length} values (or a non-finite one) but the model has ${F} features`);
  }
}

/** The TypeScript assignment: standardize (NaN → mean, clip) then nearest centroid. */
export function assignSegment(m: SegmentModel, raw: ArrayLike<number>): { segment: number; distance: number } {
  const { index, distance2 } = nearestCentroid(standardizePoint(raw, m.features), m.centroids);
  return { segment: index, distance: Math.sqrt(distance2) };
}

/**
 * Builds the ONNX graph (opset 13): Where(IsNaN(x), mean, x) → (x − mean)/std → Clip(±zClip) →
 * squared distances to every centroid as Σ_f (z − c)² over a broadcast [N, K, F] difference (the
 * same arithmetic order as the TypeScript assignment, rather than ‖z‖² − 2z·c + ‖c‖², whose
 * cancellation could flip near-ties) → ArgMin → `segment`, Sqrt(ReduceMin) → `distance`
 * (opset 13: ReduceSum takes axes as an input, ReduceMin still as an attribute).
 * Everything runs in float64: the input keeps money amounts exact, and the assignment then
 * agrees bit for bit with the TypeScript one. The model is stored in metadata_props, so the
 * .onnx file alone is enough to score and name segments.
 */
export function exportSegmentOnnx(m: SegmentModel, provenance: Record<string, string | number | undefined> = {}): Uint8Array {
  checkModel(m);
  const F = m.features.names.length;
  const K = m.centroids.length;
  const g = new GraphBuilder();
  const x = SEGMENT_ONNX_IO.numeric;
  const mean = g.double('seg/mean', m.features.mean, [1, F]);
  const std = g.double('seg/std', m.features.std, [1, F]);
  const lo = g.double('seg/clip_lo', [-m.features.zClip], []);
  const hi = g.double('seg/clip_hi', [m.features.zClip], []);
  const C = g.double('seg/centroids', m.centroids.flatMap((c) => Array.from(c)), [1, K, F]);
  const filled = g.op('Where', [g.op('IsNaN', [x], {}, 'seg/isnan'), mean, x], {}, 'seg/filled');
  const z = g.op('Clip', [g.op('Div', [g.op('Sub', [filled, mean], {}, 'seg/centred'), std], {}, 'seg/z_raw'), lo, hi], {}, 'seg/z');
  const diff = g.op('Sub', [g.op('Unsqueeze', [z, g.int64('seg/axis1', [1], [1])], {}, 'seg/z3'), C], {}, 'seg/diff');
  const d2 = g.op('ReduceSum', [g.op('Mul', [diff, diff], {}, 'seg/sq'), g.int64('seg/axis2', [2], [1])], { keepdims: 0 }, 'seg/d2');
  g.op('ArgMin', [d2], { axis: 1, keepdims: 0 }, SEGMENT_ONNX_IO.segment);
  g.op('Sqrt', [g.op('ReduceMin', [d2], { axes: [1], keepdims: 0 }, 'seg/min_d2')], {}, SEGMENT_ONNX_IO.distance);
  const metadata: Record<string, string> = {
    [SEGMENT_METADATA_KEY]: JSON.stringify({ features: m.features, centroids: m.centroids.map((c) => Array.from(c)), names: m.names, version: m.version }),
  };
  return encodeOnnxModel(g, {
    name: 'consort_segments', docString: 'Consort nearest-centroid segmentation; see core/src/onnx/segment-graph.ts',
    inputs: [valueInfo(SEGMENT_ONNX_IO.numeric, DT.DOUBLE, ['N', F])],
    outputs: [valueInfo(SEGMENT_ONNX_IO.segment, DT.INT64, ['N']), valueInfo(SEGMENT_ONNX_IO.distance, DT.DOUBLE, ['N'])],
    metadata, provenance,
  });
}

/** Reads the segment model stored in an exported graph's metadata. */
export function readSegmentModel(bytes: Uint8Array, source = 'segment model'): SegmentModel {
  const raw = readOnnxProps(bytes, source, 'exportSegmentOnnx')[SEGMENT_METADATA_KEY];
  if (!raw) throw new ConsortError('INVALID_ARGUMENT', `${source} carries no ${SEGMENT_METADATA_KEY} metadata; it is not a Consort segmentation model`, { file: source });
  const parsed = JSON.parse(raw) as { features: SegmentationFeatures; centroids: number[][]; names: string[]; version?: string };
  return { features: parsed.features, centroids: parsed.centroids.map((c) => Float64Array.from(c)), names: parsed.names, version: parsed.version };
}

/** A segmentation model file as parsed JSON (the fields the graph needs). */
export interface SegmentationModelJson {
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

/** The SegmentModel of a parsed segmentation model file; errors name `file` and what is missing or altered. */
export function segmentModelOfFile(json: SegmentationModelJson, file: string): SegmentModel {
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

/** Whether a parsed model file is a segmentation (export-onnx picks the graph by it). */
export function isSegmentationModelJson(json: unknown): boolean {
  const j = json as SegmentationModelJson | null;
  return j !== null && typeof j === 'object' && (j.kind === 'segmentation' || j.metrics?.kind === 'segmentation');
}

