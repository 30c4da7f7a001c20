// ONNX nearest-centroid graph with the segmentation standardization folded in, plus the TypeScript assignment it must agree with.
import * as ort from 'onnxruntime-node';
import { ConsortError, nearestCentroid, standardizePoint, type SegmentationFeatures } from '@consort/core';
import { DT, GraphBuilder, encodeOnnxModel, readOnnxProps, valueInfo } from '../onnx/onnx-graph.ts';

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
    name: 'consort_segments', docString: 'Consort nearest-centroid segmentation; see client-sdk/src/segmentation/onnx-centroids.ts',
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

/** One scored customer: segment id and name, and the distance to the segment's centroid. */
export interface SegmentScore {
  segment: number;
  name: string;
  distance: number;
}

/** Runs an exported segmentation graph locally (onnxruntime-node). */
export class SegmentScorer {
  private constructor(private readonly session: ort.InferenceSession, readonly model: SegmentModel) {}

  /** Loads the graph and its metadata. */
  static async create(bytes: Uint8Array): Promise<SegmentScorer> {
    const model = readSegmentModel(bytes);
    return new SegmentScorer(await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 }), model);
  }

  /** Scores rows of RAW values (NaN = missing): segment id, name and distance per row. */
  async score(rows: ReadonlyArray<ArrayLike<number>>): Promise<SegmentScore[]> {
    const F = this.model.features.names.length;
    if (rows.length === 0) return [];
    const flat = new Float64Array(rows.length * F);
    rows.forEach((r, i) => {
      if (r.length !== F) throw new ConsortError('DATA_INVALID', `row ${i + 1} has ${r.length} values; the segment model expects ${F} (${this.model.features.names.join(', ')})`, { row: i + 1 });
      flat.set(Array.from(r), i * F);
    });
    const out = await this.session.run({ [SEGMENT_ONNX_IO.numeric]: new ort.Tensor('float64', flat, [rows.length, F]) });
    const seg = out[SEGMENT_ONNX_IO.segment].data as BigInt64Array;
    const dist = out[SEGMENT_ONNX_IO.distance].data as Float64Array;
    return Array.from(seg, (s, i) => ({ segment: Number(s), name: this.model.names[Number(s)], distance: dist[i] }));
  }

  /** Frees the onnxruntime session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
