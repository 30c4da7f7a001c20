// ONNX export: the fitted feature pipeline and the model as one graph (opset 13 + ai.onnx.ml), with reason-code contributions.
import { ConsortError } from '../errors/consort-error.ts';
import { pipelineInputDim, type FeaturePipeline } from '../features/pipeline.ts';
import { parameterCount, splitWeights, validateModelSpec, type ModelSpec } from '../model/model-spec.ts';
import { MODEL_FILE_FORMAT, checkModelFileFormat, verifyModelFileContent, verifyModelWeights, type ModelFileKind } from '../model/model-file.ts';
import { contributionReference } from './contribution-reference.ts';
import { DT, GraphBuilder, encodeOnnxModel, readOnnxProps, valueInfo } from './onnx-graph.ts';

export { ONNX_OPSET, ONNX_ML_OPSET } from './onnx-graph.ts';

/** Names of the graph's inputs and outputs: the contract between exportOnnx and the scorer. */
export const ONNX_IO = {
  /** float64 [N, numeric.length]: RAW values in pipeline.numeric order, NaN for missing. */
  numeric: 'numeric',
  /** string [N, categorical.length]: values in pipeline.categorical order, '' for missing. */
  categorical: 'categorical',
  /** float32 [N, 1]: probability (binary) or predicted value (regression). */
  score: 'score',
  /** float32 [N, 1]: pre-sigmoid output (binary only). */
  logit: 'logit',
  /** float32 [N, F]: one signed contribution per original feature column (see onnxFeatureColumns). */
  contributions: 'contributions',
} as const;

/** metadata_props keys under which the export stores what a scorer needs besides the graph. */
export const ONNX_METADATA_KEYS = {
  spec: 'consort.spec',
  pipeline: 'consort.pipeline',
  features: 'consort.features',
  contributions: 'consort.contributions',
  /** JSON { column: ReferenceKind }: what each column's contribution is measured against. */
  reference: 'consort.reference',
} as const;

/** Extra provenance written into metadata_props (model version id, sha256, task name...). */
export type OnnxProvenance = Record<string, string | number | undefined>;

/**
 * The original feature columns, in the order of the `contributions` output: numeric columns
 * then categorical ones (a categorical column's one-hot entries are summed into one).
 */
export function onnxFeatureColumns(p: Pick<FeaturePipeline, 'numeric' | 'categorical'>): string[] {
  return [...p.numeric.map((n) => n.name), ...p.categorical.map((c) => c.name)];
}

function checkInputs(spec: ModelSpec, pipeline: FeaturePipeline, weights: Float32Array): void {
  validateModelSpec(spec);
  const dim = pipelineInputDim(pipeline);
  if (dim !== spec.inputDim) {
    throw new ConsortError('INVALID_ARGUMENT', `the pipeline encodes ${dim} inputs but the model spec expects inputDim ${spec.inputDim}; export the pipeline the model was trained with`, { pipelineDim: dim, inputDim: spec.inputDim });
  }
  if (pipeline.task !== spec.task) {
    throw new ConsortError('INVALID_ARGUMENT', `the pipeline is for a ${pipeline.task} task but the model spec for a ${spec.task} task; the model file is inconsistent`);
  }
  for (const n of pipeline.numeric) {
    if (!Number.isFinite(n.mean) || !Number.isFinite(n.std) || n.std <= 0) {
      throw new ConsortError('INVALID_ARGUMENT', `numeric column "${n.name}" has mean ${n.mean} and std ${n.std}; both must be finite and std > 0 (refit the pipeline)`, { column: n.name });
    }
  }
  for (const w of weights) {
    if (!Number.isFinite(w)) throw new ConsortError('INVALID_ARGUMENT', 'the model weights contain a non-finite value; the model cannot be exported');
  }
}

/**
 * Builds the ONNX model (opset 13, plus ai.onnx.ml 1 for OneHotEncoder) of `pipeline` followed
 * by `spec` with flat `weights` (layoutOf order). The graph:
 *
 * - inputs `numeric` float64 [N, numNumeric] of RAW values with NaN for missing, and
 *   `categorical` string [N, numCategorical] with '' for missing (each omitted when empty). One
 *   string tensor for all categorical columns rather than one per column: a scorer fills one
 *   array per batch, and column names need no sanitizing into input names. float64 rather than
 *   float32 for raw numbers: amounts and counts like 123456.78 lose digits in float32 before
 *   standardization; after it the graph casts to float32, exactly where TF.js training did.
 * - preprocessing: Where(IsNaN(x), mean, x), Sub mean, Div std, Cast float; per categorical
 *   column Gather + OneHotEncoder(zeros=1) against its vocabulary, so '' encodes as all zeros
 *   like core's encodeRow. Unknown categories would also encode as zeros: the graph cannot throw,
 *   so scorers must validate categories first (scoreCsv does).
 * - model: MatMul + Add per Dense layer, Relu/Tanh between, Sigmoid for binary tasks; for a
 *   regression pipeline with a fitted target, Mul std + Add mean (the model is trained on the
 *   standardized target), so `score` is in the target's units.
 * - outputs `score` [N,1], `logit` [N,1] (binary only) and `contributions` [N,F], one per
 *   original column (onnxFeatureColumns order).
 *
 * Contributions, in logit units (output units for regression), each measured against the
 * federation's reference customer (contributionReference: numeric columns at the federation
 * mean, categorical ones at the federation's mix of values, i.e. their pooled shares):
 * - logistic/linear: exactly w·(z − r) summed over the encoded entries of column j, so
 *   Σ contributions = logit − logit(reference). A blank numeric cell (imputed to the mean)
 *   contributes 0; a blank category (all-zero one-hot, as in training) contributes −w·r.
 * - mlp: occlusion against the reference, c_j = f(z) − E[f(z with column j replaced)], the
 *   expectation over the reference: the mean for a numeric column, each value v of a
 *   categorical column weighted by its pooled share. Only inputs the network was trained on
 *   are fed (one-hots, never a fractional "average category"). The graph batches
 *   1 + numeric columns + Σ vocabulary sizes copies of each row through the network. Chosen
 *   over gradient×input because ONNX inference has no gradient ops, it treats a one-hot group
 *   as one unit, is exact on ReLU's kinks, and reduces to the linear case for a linear model.
 *   With interactions the c_j need not sum to f(z) − f(reference).
 *
 * metadata_props carry the spec, the pipeline, the contribution column names and `provenance`,
 * so an .onnx file alone is enough to score. Throws INVALID_ARGUMENT when spec, pipeline and
 * weights disagree.
 */
export function exportOnnx(spec: ModelSpec, pipeline: FeaturePipeline, weights: Float32Array, provenance: OnnxProvenance = {}): Uint8Array {
  checkInputs(spec, pipeline, weights);
  const g = new GraphBuilder();
  const D = spec.inputDim;
  const numNumeric = pipeline.numeric.length;
  const numCat = pipeline.categorical.length;
  const columns = onnxFeatureColumns(pipeline);
  const F = columns.length;
  const inputs = [];

  // Preprocessing: the encoded vector z [N, D], same layout as encodeRow.
  const parts: string[] = [];
  if (numNumeric > 0) {
    inputs.push(valueInfo(ONNX_IO.numeric, DT.DOUBLE, ['N', numNumeric]));
    const mean = g.double('pre/mean', pipeline.numeric.map((n) => n.mean), [1, numNumeric]);
    const std = g.double('pre/std', pipeline.numeric.map((n) => n.std), [1, numNumeric]);
    const filled = g.op('Where', [g.op('IsNaN', [ONNX_IO.numeric]), mean, ONNX_IO.numeric]);
    const standardized = g.op('Div', [g.op('Sub', [filled, mean]), std]);
    parts.push(g.op('Cast', [standardized], { to: DT.FLOAT }, 'pre/numeric_z'));
  }
  if (numCat > 0) {
    inputs.push(valueInfo(ONNX_IO.categorical, DT.STRING, ['N', numCat]));
    pipeline.categorical.forEach((c, ci) => {
      const index = g.int64(`pre/cat_${ci}/index`, [ci], []);
      const column = g.op('Gather', [ONNX_IO.categorical, index], { axis: 1 });
      const onehot = g.op('OneHotEncoder', [column], { cats_strings: c.vocabulary, zeros: 1 }, undefined, 'ai.onnx.ml');
      const shape = g.int64(`pre/cat_${ci}/shape`, [-1, c.vocabulary.length], [2]);
      parts.push(g.op('Reshape', [onehot, shape], {}, `pre/cat_${ci}_onehot`));
    });
  }
  const z = parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: 1 }, 'pre/z');

  // Dense layers; `tag` keeps the names of the main pass and the occlusion pass apart.
  const layers = splitWeights(spec, weights);
  const params: { kernel: string; bias: string }[] = [];
  for (let l = 0; l < layers.length / 2; l++) {
    params.push({
      kernel: g.float(`dense_${l}/kernel`, layers[2 * l].values, layers[2 * l].shape),
      bias: g.float(`dense_${l}/bias`, layers[2 * l + 1].values, layers[2 * l + 1].shape),
    });
  }
  const forward = (x: string, output?: string): string => {
    let h = x;
    for (let l = 0; l < params.length; l++) {
      const last = l === params.length - 1;
      const a = g.op('Add', [g.op('MatMul', [h, params[l].kernel]), params[l].bias], {}, last ? output : undefined);
      if (last) return a;
      h = g.op(spec.activation === 'tanh' ? 'Tanh' : 'Relu', [a]);
    }
    throw new Error('unreachable: a model has at least one layer');
  };
  const binary = spec.task === 'binary';
  const outputs = [];
  if (binary) {
    const logit = forward(z, ONNX_IO.logit);
    g.op('Sigmoid', [logit], {}, ONNX_IO.score);
    outputs.push(valueInfo(ONNX_IO.score, DT.FLOAT, ['N', 1]), valueInfo(ONNX_IO.logit, DT.FLOAT, ['N', 1]));
  } else if (pipeline.target) {
    // Trained on (y − mean) / std: the graph returns ŷ·std + mean, in the target's own units.
    const scale = g.float('post/target_std', Float32Array.of(pipeline.target.std), [1, 1]);
    const shift = g.float('post/target_mean', Float32Array.of(pipeline.target.mean), [1, 1]);
    g.op('Add', [g.op('Mul', [forward(z), scale]), shift], {}, ONNX_IO.score);
    outputs.push(valueInfo(ONNX_IO.score, DT.FLOAT, ['N', 1]));
  } else {
    forward(z, ONNX_IO.score);
    outputs.push(valueInfo(ONNX_IO.score, DT.FLOAT, ['N', 1]));
  }

  // Contributions against the federation's reference customer (contribution-reference.ts).
  const ref = contributionReference(pipeline);
  // A regression trained on a standardized target: contributions in the target's own units too.
  const unit = spec.task === 'regression' && pipeline.target ? pipeline.target.std : 1;
  if (spec.kind === 'logistic') {
    // ((z − r) ⊙ w) · G with G the [D, F] 0/1 grouping matrix: sums each column's one-hot terms.
    const r = g.float('contrib/reference', ref.point, [1, D]);
    const w = g.float('contrib/w', unit === 1 ? layers[0].values : Float32Array.from(layers[0].values, (v) => v * unit), [1, D]);
    const grouping = new Float32Array(D * F);
    ref.groupOf.forEach((j, k) => { grouping[k * F + j] = 1; });
    const G = g.float('contrib/grouping', grouping, [D, F]);
    g.op('MatMul', [g.op('Mul', [g.op('Sub', [z, r]), w]), G], {}, ONNX_IO.contributions);
  } else {
    // Occlusion: P substituted copies of each row, z ⊙ M_p + B_p; copy 0 is the row itself.
    const subs = ref.substitutions;
    const P = subs.length;
    const masks = new Float32Array((P + 1) * D).fill(1);
    const offsets = new Float32Array((P + 1) * D);
    const weights = new Float32Array(P * F); // [P, F]: averages each column's copies by pooled share
    subs.forEach((s, p) => {
      s.values.forEach((v, u) => { masks[(p + 1) * D + s.from + u] = 0; offsets[(p + 1) * D + s.from + u] = v; });
      weights[p * F + s.column] = s.weight;
    });
    const M = g.float('contrib/masks', masks, [P + 1, 1, D]);
    const B = g.float('contrib/offsets', offsets, [P + 1, 1, D]);
    const A = g.float('contrib/weights', weights, [P, F]);
    const z3 = g.op('Unsqueeze', [z, g.int64('contrib/axis0', [0], [1])]);
    const variants = g.op('Reshape', [g.op('Add', [g.op('Mul', [z3, M]), B]), g.int64('contrib/flat_shape', [-1, D], [2])]);
    const out = g.op('Reshape', [forward(variants), g.int64('contrib/split_shape', [P + 1, -1], [2])]);
    const full = g.op('Slice', [out, g.int64('contrib/s0', [0], [1]), g.int64('contrib/e0', [1], [1]), g.int64('contrib/ax', [0], [1])]);
    const occluded = g.op('Slice', [out, g.int64('contrib/s1', [1], [1]), g.int64('contrib/e1', [P + 1], [1]), 'contrib/ax']);
    const expected = g.op('MatMul', [g.op('Transpose', [occluded], { perm: [1, 0] }), A]);
    const diff = [g.op('Transpose', [full], { perm: [1, 0] }), expected];
    if (unit === 1) g.op('Sub', diff, {}, ONNX_IO.contributions);
    else g.op('Mul', [g.op('Sub', diff), g.float('contrib/unit', Float32Array.of(unit), [1, 1])], {}, ONNX_IO.contributions);
  }
  outputs.push(valueInfo(ONNX_IO.contributions, DT.FLOAT, ['N', F]));

  const metadata: Record<string, string> = {
    [ONNX_METADATA_KEYS.spec]: JSON.stringify(spec),
    [ONNX_METADATA_KEYS.pipeline]: JSON.stringify(pipeline),
    [ONNX_METADATA_KEYS.features]: JSON.stringify(columns),
    [ONNX_METADATA_KEYS.contributions]: spec.kind === 'logistic' ? 'linear-vs-reference' : 'occlusion-vs-reference',
    [ONNX_METADATA_KEYS.reference]: JSON.stringify(Object.fromEntries(columns.map((c, j) => [c, ref.kinds[j]]))),
  };
  return encodeOnnxModel(g, {
    name: 'consort_model', docString: 'Consort feature pipeline + model; see core/src/onnx/model-graph.ts',
    inputs, outputs, metadata, provenance, ml: true,
  });
}

/** What exportOnnx stored in an .onnx file's metadata_props. */
export interface OnnxMetadata {
  spec: ModelSpec;
  pipeline: FeaturePipeline;
  features: string[];
  /** Every metadata_props entry, including provenance (`consort.modelVersionId`...). */
  props: Record<string, string>;
}

/**
 * Reads the metadata of an .onnx file written by exportOnnx. Throws INVALID_ARGUMENT naming
 * `source` when the bytes are not an ONNX model or were not exported by Consort.
 */
export function readOnnxMetadata(bytes: Uint8Array, source = 'ONNX model'): OnnxMetadata {
  const props = readOnnxProps(bytes, source, 'export-onnx');
  const need = [ONNX_METADATA_KEYS.spec, ONNX_METADATA_KEYS.pipeline, ONNX_METADATA_KEYS.features];
  const missing = need.filter((k) => props[k] === undefined);
  if (missing.length > 0) {
    throw new ConsortError('INVALID_ARGUMENT', `${source} has no Consort metadata (${missing.join(', ')}); export it with "export-onnx" from the model JSON`, { file: source, missing });
  }
  return {
    spec: JSON.parse(props[ONNX_METADATA_KEYS.spec]) as ModelSpec,
    pipeline: JSON.parse(props[ONNX_METADATA_KEYS.pipeline]) as FeaturePipeline,
    features: JSON.parse(props[ONNX_METADATA_KEYS.features]) as string[],
    props,
  };
}

/**
 * A model file as read here: the member model file (core's MemberModelFile, docs/model-file.md),
 * or an older file without `format` (then `sha256` is optional).
 */
export interface ModelFile {
  format?: typeof MODEL_FILE_FORMAT;
  kind?: ModelFileKind;
  taskId?: string;
  /** The task's name. */
  task?: string;
  createdAt?: string;
  modelVersionId?: string;
  version?: number;
  /** sha256 (hex) of the weights as little-endian float32, as the coordinator computes it. */
  sha256?: string;
  spec: ModelSpec;
  pipeline: FeaturePipeline;
  metrics?: unknown;
  weights: number[];
}

/** A model file's graph and what a scorer needs to feed and read it. */
export interface ModelGraph {
  spec: ModelSpec;
  pipeline: FeaturePipeline;
  /** Original feature columns, in the order of the graph's `contributions` output. */
  features: string[];
  onnx: Uint8Array;
}

/**
 * Checks a parsed model JSON and exports its ONNX graph. Throws INVALID_ARGUMENT naming `source`
 * for a missing field and MODEL_INTEGRITY when the weights do not match the recorded sha256.
 */
export function modelGraphOfFile(json: ModelFile, source = 'model JSON'): ModelGraph {
  for (const field of ['spec', 'pipeline', 'weights'] as const) {
    if (json === null || typeof json !== 'object' || json[field] === undefined) {
      throw new ConsortError('INVALID_ARGUMENT', `${source}: field "${field}" is missing; pass the model JSON the coordinator published (spec, pipeline, weights)`, { file: source, field });
    }
  }
  checkModelFileFormat(json, source);
  verifyModelFileContent(json, source);
  if (json.kind === 'segmentation') {
    throw new ConsortError('INVALID_ARGUMENT', `${source} is a segmentation model; assign segments with "consort-agent segment --model ${source}"`, { file: source });
  }
  if (!json.spec) throw new ConsortError('INVALID_ARGUMENT', `${source}: field "spec" is empty; pass the model JSON the coordinator published (spec, pipeline, weights)`, { file: source, field: 'spec' });
  validateModelSpec(json.spec);
  // A version published before its task's preprocessing was fitted (no statistics round yet) has no graph to score with.
  if (!json.pipeline) throw new ConsortError('INVALID_ARGUMENT', `${source} has no fitted preprocessing (its task's statistics round had not run); use a version trained after it`, { file: source, field: 'pipeline' });
  const weights = Float32Array.from(json.weights);
  if (weights.length !== parameterCount(json.spec)) {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: ${weights.length} weights but the spec needs ${parameterCount(json.spec)}; the file is truncated or mixes two models`, { file: source });
  }
  // A versioned file always carries its hash; older files are checked when they do.
  verifyModelWeights(weights, json.sha256, source, json.format !== undefined);
  const onnx = exportOnnx(json.spec, json.pipeline, weights, {
    task: json.task, modelVersionId: json.modelVersionId, version: json.version, sha256: json.sha256,
  });
  return { spec: json.spec, pipeline: json.pipeline, features: onnxFeatureColumns(json.pipeline), onnx };
}
