// ONNX nearest-centroid graph with the segmentation standardization folded in, plus the TypeScript assignment it must agree with.
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { ConsortError, nearestCentroid, standardizePoint, type SegmentationFeatures } from '@consort/core';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const ATTR = onnx.AttributeProto.AttributeType;

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

type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

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
  const nodes: Node[] = [];
  const inits: Tensor[] = [];
  const dbl = (name: string, values: ArrayLike<number>, dims: number[]) => {
    const data = Float64Array.from(values);
    inits.push(onnx.TensorProto.create({ name, dataType: DT.DOUBLE, dims, rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const i64 = (name: string, values: number[]) => {
    const data = BigInt64Array.from(values.map(BigInt));
    inits.push(onnx.TensorProto.create({ name, dataType: DT.INT64, dims: [values.length], rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const op = (opType: string, input: string[], output: string, attrs: Record<string, number | number[]> = {}) => {
    const attribute = Object.entries(attrs).map(([name, v]) => (typeof v === 'number' ? { name, type: ATTR.INT, i: v } : { name, type: ATTR.INTS, ints: v }));
    nodes.push(onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute }));
    return output;
  };
  const mean = dbl('seg/mean', m.features.mean, [1, F]);
  const std = dbl('seg/std', m.features.std, [1, F]);
  const lo = dbl('seg/clip_lo', [-m.features.zClip], []);
  const hi = dbl('seg/clip_hi', [m.features.zClip], []);
  const C = dbl('seg/centroids', m.centroids.flatMap((c) => Array.from(c)), [1, K, F]);
  const filled = op('Where', [op('IsNaN', [SEGMENT_ONNX_IO.numeric], 'seg/isnan'), mean, SEGMENT_ONNX_IO.numeric], 'seg/filled');
  const z = op('Clip', [op('Div', [op('Sub', [filled, mean], 'seg/centred'), std], 'seg/z_raw'), lo, hi], 'seg/z');
  const diff = op('Sub', [op('Unsqueeze', [z, i64('seg/axis1', [1])], 'seg/z3'), C], 'seg/diff');
  const d2 = op('ReduceSum', [op('Mul', [diff, diff], 'seg/sq'), i64('seg/axis2', [2])], 'seg/d2', { keepdims: 0 });
  op('ArgMin', [d2], SEGMENT_ONNX_IO.segment, { axis: 1, keepdims: 0 });
  op('Sqrt', [op('ReduceMin', [d2], 'seg/min_d2', { axes: [1], keepdims: 0 })], SEGMENT_ONNX_IO.distance);
  const vi = (name: string, elemType: number, dims: (number | string)[]) => onnx.ValueInfoProto.create({
    name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const metadata: Record<string, string> = {
    [SEGMENT_METADATA_KEY]: JSON.stringify({ features: m.features, centroids: m.centroids.map((c) => Array.from(c)), names: m.names, version: m.version }),
  };
  for (const [k, v] of Object.entries(provenance)) if (v !== undefined) metadata[`consort.${k}`] = String(v);
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'consort',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: onnx.GraphProto.create({
      name: 'consort_segments', node: nodes, initializer: inits,
      input: [vi(SEGMENT_ONNX_IO.numeric, DT.DOUBLE, ['N', F])],
      output: [vi(SEGMENT_ONNX_IO.segment, DT.INT64, ['N']), vi(SEGMENT_ONNX_IO.distance, DT.DOUBLE, ['N'])],
      docString: 'Consort nearest-centroid segmentation; see client-sdk/src/segmentation/onnx-centroids.ts',
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reads the segment model stored in an exported graph's metadata. */
export function readSegmentModel(bytes: Uint8Array, source = 'segment model'): SegmentModel {
  let raw: string | undefined;
  try {
    raw = onnx.ModelProto.decode(bytes).metadataProps.find((p) => p.key === SEGMENT_METADATA_KEY)?.value ?? undefined;
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${source} is not an ONNX model (${(err as Error).message}); pass a file written by exportSegmentOnnx`, { file: source });
  }
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
