// The one ONNX graph builder: nodes, initializers and the model wrapper shared by the model and segmentation exports.
import onnxProto from 'onnx-proto';
import { ConsortError } from '../errors/consort-error.ts';

const { onnx } = onnxProto;
/** ONNX tensor element types (FLOAT, DOUBLE, INT64, STRING...). */
export const DT = onnx.TensorProto.DataType;
const ATTR = onnx.AttributeProto.AttributeType;

/** Default-domain opset of exported graphs. */
export const ONNX_OPSET = 13;
/**
 * ai.onnx.ml opset, for OneHotEncoder: Equal only accepts strings from opset 19 on, and
 * onnxruntime rejects a string Equal in an opset-13 graph, so the one-hot comes from ai.onnx.ml.
 */
export const ONNX_ML_OPSET = 1;

/** A dimension: a fixed size, or a named symbolic one such as the batch 'N'. */
export type Dim = number | string;
type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;
type ValueInfo = InstanceType<typeof onnx.ValueInfoProto>;

/** Names intermediate values and collects a graph's nodes and initializers. */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];
  private counter = 0;

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** Adds a node; returns its output's name (`output`, else a fresh one). */
  op(opType: string, inputs: string[], attrs: Record<string, number | number[] | string[]> = {}, output?: string, domain = ''): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
      if (v.length > 0 && typeof v[0] === 'string') return { name, type: ATTR.STRINGS, strings: (v as string[]).map((s) => Buffer.from(s, 'utf8')) };
      return { name, type: ATTR.INTS, ints: v as number[] };
    });
    this.nodes.push(onnx.NodeProto.create({ opType, domain, input: inputs, output: [out], attribute, name: out }));
    return out;
  }

  // rawData keeps large kernels compact and exact (little-endian, as ONNX requires; Node runs on LE hosts).
  float(name: string, values: ArrayLike<number>, dims: number[]): string {
    return this.initializer(name, DT.FLOAT, Float32Array.from(values), dims);
  }

  double(name: string, values: ArrayLike<number>, dims: number[]): string {
    return this.initializer(name, DT.DOUBLE, Float64Array.from(values), dims);
  }

  int64(name: string, values: number[], dims: number[]): string {
    return this.initializer(name, DT.INT64, BigInt64Array.from(values.map((v) => BigInt(v))), dims);
  }

  private initializer(name: string, dataType: number, data: Float32Array | Float64Array | BigInt64Array, dims: number[]): string {
    this.initializers.push(onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(data.buffer) }));
    return name;
  }
}

/** The declared type and shape of a graph input or output. */
export function valueInfo(name: string, elemType: number, dims: Dim[]): ValueInfo {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

/** What makes a built graph a model file. */
export interface OnnxModelOptions {
  name: string;
  docString: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** metadata_props entries (what a scorer needs besides the graph). */
  metadata: Record<string, string>;
  /** Provenance (model version id, sha256, task...), stored as `consort.<key>`; undefined values are left out. */
  provenance?: Record<string, string | number | undefined>;
  /** Also import the ai.onnx.ml opset (for OneHotEncoder). */
  ml?: boolean;
}

/** Serializes a built graph as an ONNX model (IR 7, opset 13, producer consort). */
export function encodeOnnxModel(g: GraphBuilder, o: OnnxModelOptions): Uint8Array {
  const metadata = { ...o.metadata };
  for (const [k, v] of Object.entries(o.provenance ?? {})) if (v !== undefined) metadata[`consort.${k}`] = String(v);
  const model = onnx.ModelProto.create({
    irVersion: 7, // the IR version that goes with opset 13
    producerName: 'consort',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: ONNX_OPSET }, ...(o.ml ? [{ domain: 'ai.onnx.ml', version: ONNX_ML_OPSET }] : [])],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: onnx.GraphProto.create({
      name: o.name, node: g.nodes, initializer: g.initializers, input: o.inputs, output: o.outputs, docString: o.docString,
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The metadata_props of an ONNX file. Throws INVALID_ARGUMENT naming `source` and what to pass
 * instead (`writtenBy`, e.g. "export-onnx") when the bytes are not an ONNX model.
 */
export function readOnnxProps(bytes: Uint8Array, source: string, writtenBy: string): Record<string, string> {
  let model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${source} is not an ONNX model (${(err as Error).message}); pass a file written by ${writtenBy}`, { file: source });
  }
  const props: Record<string, string> = {};
  for (const e of model.metadataProps ?? []) if (e.key) props[e.key] = e.value ?? '';
  return props;
}
