// Model specifications: shape of the network, flat weight layout shared by trainer, strategy and ONNX export.
import { ConsortError } from '../errors/consort-error.ts';
import { SeededRandom } from '../random/seeded-random.ts';

/**
 * What model a task trains. `logistic` is one Dense layer (logistic regression for `binary`,
 * linear regression for `regression`); `mlp` adds the `hidden` Dense layers before it.
 */
export interface ModelSpec {
  kind: 'logistic' | 'mlp';
  task: 'binary' | 'regression';
  /** Width of the encoded feature vector (see pipelineInputDim). */
  inputDim: number;
  /** Hidden layer widths (mlp only; ignored for logistic). */
  hidden?: number[];
  /** Hidden activation (mlp only), default relu. */
  activation?: 'relu' | 'tanh';
  /** Dropout rate after each hidden layer during training, in [0, 1). Default 0. */
  dropout?: number;
  /** L2 penalty on kernels (Keras convention: l2 · Σ w²), default 0. */
  l2?: number;
}

/** One tensor of the flat weight vector, in the order of TF.js `model.getWeights()`. */
export interface WeightTensor {
  name: string;
  shape: number[];
}

function bad(field: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `model spec field "${field}": ${message}`, { field });
}

/** Checks a spec; throws ConsortError(INVALID_ARGUMENT) naming the field and what to write. */
export function validateModelSpec(spec: ModelSpec): void {
  if (spec === null || typeof spec !== 'object') bad('spec', 'expected an object');
  if (spec.kind !== 'logistic' && spec.kind !== 'mlp') bad('kind', `use "logistic" or "mlp" (got ${JSON.stringify(spec.kind)})`);
  if (spec.task !== 'binary' && spec.task !== 'regression') bad('task', `use "binary" or "regression" (got ${JSON.stringify(spec.task)})`);
  if (!Number.isInteger(spec.inputDim) || spec.inputDim < 1) bad('inputDim', `must be an integer ≥ 1 (got ${spec.inputDim})`);
  if (spec.kind === 'mlp') {
    const hidden = spec.hidden ?? [];
    if (!Array.isArray(hidden) || hidden.length === 0) bad('hidden', 'an mlp needs at least one hidden layer, e.g. [32, 16]');
    for (const h of hidden) if (!Number.isInteger(h) || h < 1) bad('hidden', `layer widths must be integers ≥ 1 (got ${h})`);
  }
  if (spec.activation !== undefined && spec.activation !== 'relu' && spec.activation !== 'tanh') bad('activation', 'use "relu" or "tanh"');
  if (spec.dropout !== undefined && !(spec.dropout >= 0 && spec.dropout < 1)) bad('dropout', `must be in [0, 1) (got ${spec.dropout})`);
  if (spec.l2 !== undefined && !(spec.l2 >= 0 && Number.isFinite(spec.l2))) bad('l2', `must be a finite number ≥ 0 (got ${spec.l2})`);
}

/** Layer widths from input to output, e.g. [20, 32, 16, 1]. */
export function layerSizes(spec: ModelSpec): number[] {
  const hidden = spec.kind === 'mlp' ? (spec.hidden ?? []) : [];
  return [spec.inputDim, ...hidden, 1];
}

/**
 * Order and shapes of the Dense kernels ([in, out], row-major) and biases ([out]) of the model,
 * exactly as TF.js `model.getWeights()` lists them: a flat Float32Array is their concatenation.
 */
export function layoutOf(spec: ModelSpec): WeightTensor[] {
  const sizes = layerSizes(spec);
  const out: WeightTensor[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    out.push({ name: `dense_${l}/kernel`, shape: [sizes[l], sizes[l + 1]] });
    out.push({ name: `dense_${l}/bias`, shape: [sizes[l + 1]] });
  }
  return out;
}

/** Number of entries of a tensor shape. */
export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Length of the flat weight vector. */
export function parameterCount(spec: ModelSpec): number {
  return layoutOf(spec).reduce((n, t) => n + sizeOf(t.shape), 0);
}

/** Views onto a flat weight vector, one per layout tensor (no copy). */
export function splitWeights(spec: ModelSpec, flat: Float32Array): { name: string; shape: number[]; values: Float32Array }[] {
  const expected = parameterCount(spec);
  if (flat.length !== expected) {
    throw new ConsortError('INVALID_ARGUMENT', `weight vector has ${flat.length} entries but the model spec needs ${expected}; the model and spec do not match`, { expected, got: flat.length });
  }
  let offset = 0;
  return layoutOf(spec).map((t) => {
    const n = sizeOf(t.shape);
    const values = flat.subarray(offset, offset + n);
    offset += n;
    return { ...t, values };
  });
}

/**
 * Deterministic initial weights: Glorot-uniform kernels (limit √(6/(fanIn+fanOut)), as Keras'
 * default) and zero biases, so every member and the coordinator agree on version 0.
 */
export function initialWeights(spec: ModelSpec, seed: number): Float32Array {
  validateModelSpec(spec);
  const flat = new Float32Array(parameterCount(spec));
  const rng = new SeededRandom(seed);
  for (const t of splitWeights(spec, flat)) {
    if (t.shape.length !== 2) continue; // biases stay zero
    const limit = Math.sqrt(6 / (t.shape[0] + t.shape[1]));
    for (let i = 0; i < t.values.length; i++) t.values[i] = rng.uniform(-limit, limit);
  }
  return flat;
}
