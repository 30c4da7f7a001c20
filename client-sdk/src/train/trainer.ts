// Local training and evaluation of a ModelSpec on a member's encoded rows (TensorFlow.js, custom loop).
import type * as tfjs from '@tensorflow/tfjs';
import {
  ConsortError, SCORE_BINS, SeededRandom, logLossFromLogit, parameterCount, scoreHistograms, validateModelSpec, type ModelSpec,
} from '@consort/core';
import { selectBackend, type Backend } from './backend.ts';
import { TfModel } from './tf-model.ts';
import { runDpSgd, type DpSgdOptions } from './dp-sgd.ts';

/** Everything one local training run needs. */
export interface TrainOptions {
  spec: ModelSpec;
  /** Global weights the round started from (flat, layoutOf order). */
  weights: Float32Array;
  /** Encoded features, row-major rows × spec.inputDim. */
  x: Float32Array;
  /** Labels (0/1 for binary, values for regression), one per row. */
  y: Float32Array;
  epochs: number;
  batchSize: number;
  /** SGD step size. */
  learningRate: number;
  /** FedProx μ (Li et al., MLSys 2020): adds (μ/2)·‖w − w_global‖²; 0 = plain FedAvg. */
  proximalMu: number;
  /** Seeds the per-epoch shuffles and dropout masks. */
  seed: number;
  /** Called once per epoch with the mean data loss over that epoch's batches. */
  onEpoch?: (epoch: number, meanLoss: number) => void;
  /** Backend to use; default selectBackend() (cached). */
  backend?: Backend;
  /**
   * Customer-level differential privacy: when set, training is DP-SGD (dp-sgd.ts) for
   * `dp.steps` Poisson-sampled steps instead of `epochs` shuffled epochs.
   */
  dp?: DpSgdOptions;
  /**
   * Per-row sample weights (reweighing, docs/audits.md): each batch's data loss is the weighted
   * mean Σ w_i·loss_i / Σ w_i, so weight 2 on a row is the row twice, and the step size stays the
   * task's learning rate whatever the weights' scale. Not with `dp` (weights above 1 would raise
   * a customer's sensitivity). Default: every row 1.
   */
  sampleWeights?: Float32Array;
}

/** Result of local training. */
export interface TrainResult {
  weights: Float32Array;
  numExamples: number;
  /**
   * Σ over the training rows of the data loss (cross-entropy or squared error, without L2 or
   * proximal terms) of the FINAL weights: one extra forward pass, so it is exact and does not
   * mix the weights of different batches.
   */
  lossSum: number;
  /** With sample weights: Σ w_i over the rows and Σ w_i·loss_i of the final weights (else absent). */
  weighted?: { weightSum: number; lossSum: number };
  /** DP-SGD only: examples whose gradient was clipped, and examples sampled, over all steps. */
  dp?: { clippedExamples: number; sampledExamples: number };
}

/** Evaluation of a model on held-out rows, in additive form (sums and counts) for secure aggregation. */
export interface EvaluateResult {
  lossSum: number;
  /** Σ |prediction − label| (regression, for MAE); 0 for binary tasks. */
  absErrSum: number;
  /** Regression: Σ label and Σ label² (for R²), in the units the model is trained on; 0 for binary tasks. */
  labelSum: number;
  labelSquareSum: number;
  count: number;
  /** Score histograms by label, SCORE_BINS bins on [0, 1]; empty for regression. */
  histPos: number[];
  histNeg: number[];
}

export interface EvaluateOptions {
  spec: ModelSpec;
  weights: Float32Array;
  x: Float32Array;
  y: Float32Array;
  backend?: Backend;
  /** Caps each row's loss (DP evaluation bounds one customer's effect on the loss sum). */
  rowLossCap?: number;
}

// Rows per forward pass when evaluating: bounds memory on large member tables.
const EVAL_CHUNK = 16_384;

function rowsOf(spec: ModelSpec, x: Float32Array, y?: Float32Array): number {
  if (x.length % spec.inputDim !== 0) {
    throw new ConsortError('INVALID_ARGUMENT', `feature matrix has ${x.length} values, not a multiple of the model's inputDim ${spec.inputDim}; the pipeline and model spec disagree`);
  }
  const rows = x.length / spec.inputDim;
  if (y && y.length !== rows) throw new ConsortError('INVALID_ARGUMENT', `${rows} feature rows but ${y.length} labels`);
  return rows;
}

function checkWeights(spec: ModelSpec, weights: Float32Array): void {
  validateModelSpec(spec);
  const n = parameterCount(spec);
  if (weights.length !== n) throw new ConsortError('INVALID_ARGUMENT', `weights have ${weights.length} entries but the model spec needs ${n}`);
}

/** Mean data loss of logits z against labels y, both [rows, 1]; with row weights w [rows, 1], the weighted mean Σ w·loss / Σ w. */
function dataLoss(tf: Backend['tf'], task: ModelSpec['task'], z: tfjs.Tensor, y: tfjs.Tensor, w?: tfjs.Tensor): tfjs.Scalar {
  // Stable cross-entropy from logits: max(z,0) − z·y + log(1 + e^−|z|).
  const perRow = task === 'regression' ? tf.squaredDifference(z, y) : tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  if (!w) return tf.mean(perRow);
  // A batch of weight-0 rows only has loss 0 (nothing to learn from it), not 0/0.
  return tf.div(tf.sum(tf.mul(perRow, w)), tf.maximum(tf.sum(w), 1e-12));
}

function checkSampleWeights(w: Float32Array, rows: number, dp: boolean): void {
  if (dp) throw new ConsortError('INVALID_ARGUMENT', 'sample weights (reweighing) cannot be combined with DP-SGD: a weight above 1 would raise each customer\'s sensitivity');
  if (w.length !== rows) throw new ConsortError('INVALID_ARGUMENT', `${w.length} sample weights for ${rows} training rows`);
  for (let i = 0; i < w.length; i++) {
    if (!(Number.isFinite(w[i]) && w[i] >= 0)) throw new ConsortError('INVALID_ARGUMENT', `sample weight of row ${i} is ${w[i]}; weights must be finite and ≥ 0`);
  }
}

/**
 * Trains locally from `weights` with minibatch SGD: sigmoid + cross-entropy (binary) or linear +
 * MSE (regression), plus L2 on kernels (spec.l2) and the FedProx term. Shuffles are seeded, so
 * equal inputs give equal outputs on one backend. Reads back from the device once per epoch
 * only (per-batch syncs dominate small models; ENVIRONMENT.md).
 */
export async function trainLocal(opts: TrainOptions): Promise<TrainResult> {
  const { spec } = opts;
  checkWeights(spec, opts.weights);
  const rows = rowsOf(spec, opts.x, opts.y);
  if (!Number.isInteger(opts.epochs) || opts.epochs < 0) throw new ConsortError('INVALID_ARGUMENT', `epochs must be an integer ≥ 0 (got ${opts.epochs})`);
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new ConsortError('INVALID_ARGUMENT', `batchSize must be an integer ≥ 1 (got ${opts.batchSize})`);
  if (!(opts.learningRate > 0)) throw new ConsortError('INVALID_ARGUMENT', `learningRate must be > 0 (got ${opts.learningRate})`);
  if (!(opts.proximalMu >= 0)) throw new ConsortError('INVALID_ARGUMENT', `proximalMu must be ≥ 0 (got ${opts.proximalMu})`);
  if (opts.sampleWeights) checkSampleWeights(opts.sampleWeights, rows, opts.dp !== undefined);
  if (rows === 0) return { weights: opts.weights.slice(), numExamples: 0, lossSum: 0, ...(opts.sampleWeights ? { weighted: { weightSum: 0, lossSum: 0 } } : {}) };

  const { tf } = opts.backend ?? await selectBackend();
  const model = new TfModel(tf, spec, opts.weights);
  const l2 = spec.l2 ?? 0;
  const mu = opts.proximalMu;
  const globals = mu > 0 ? model.variables.map((v) => tf.keep(v.clone())) : [];
  const optimizer = tf.train.sgd(opts.learningRate);
  const xAll = tf.tensor2d(opts.x, [rows, spec.inputDim]);
  const yAll = tf.tensor2d(opts.y, [rows, 1]);
  const wAll = opts.sampleWeights ? tf.tensor2d(opts.sampleWeights, [rows, 1]) : undefined;
  const rng = new SeededRandom(opts.seed);
  try {
    const dp = opts.dp
      ? runDpSgd(tf, model, xAll, yAll, { ...opts.dp, learningRate: opts.learningRate, l2, proximalMu: mu, globals, dropoutSeed: () => rng.nextUint32() })
      : undefined;
    for (let epoch = 0; epoch < (opts.dp ? 0 : opts.epochs); epoch++) {
      const perm = tf.tensor1d(Int32Array.from(rng.permutation(rows)), 'int32');
      const xs = tf.gather(xAll, perm);
      const ys = tf.gather(yAll, perm);
      const ws = wAll ? tf.gather(wAll, perm) : undefined;
      perm.dispose();
      let epochSum: tfjs.Scalar = tf.scalar(0);
      for (let start = 0; start < rows; start += opts.batchSize) {
        const size = Math.min(opts.batchSize, rows - start);
        const dropoutSeed = rng.nextUint32();
        const batchLoss = tf.tidy(() => {
          const xb = tf.slice(xs, [start, 0], [size, spec.inputDim]) as tfjs.Tensor2D;
          const yb = tf.slice(ys, [start, 0], [size, 1]);
          const wb = ws ? tf.slice(ws, [start, 0], [size, 1]) : undefined;
          let kept: tfjs.Scalar | undefined;
          optimizer.minimize(() => {
            const data = dataLoss(tf, spec.task, model.logits(xb, dropoutSeed), yb, wb);
            // Kept apart from the cost: minimize() disposes the cost, which may be `data` itself.
            kept = tf.keep(tf.mul(data, size) as tfjs.Scalar);
            let total: tfjs.Scalar = data;
            if (l2 > 0) for (const k of model.kernels()) total = tf.add(total, tf.mul(l2, tf.sum(tf.square(k))));
            if (mu > 0) {
              model.variables.forEach((v, i) => {
                total = tf.add(total, tf.mul(mu / 2, tf.sum(tf.squaredDifference(v, globals[i]))));
              });
            }
            return total;
          }, false, model.variables);
          return kept!;
        });
        const next = tf.add(epochSum, batchLoss) as tfjs.Scalar;
        epochSum.dispose();
        batchLoss.dispose();
        epochSum = next;
      }
      xs.dispose();
      ys.dispose();
      ws?.dispose();
      if (opts.onEpoch) opts.onEpoch(epoch, (await epochSum.data())[0] / rows);
      epochSum.dispose();
    }
    const weights = model.getWeights();
    for (let i = 0; i < weights.length; i++) {
      if (!Number.isFinite(weights[i])) {
        throw new ConsortError('INVALID_ARGUMENT', `local training diverged (non-finite weights); lower the task's learningRate (now ${opts.learningRate}) or check the feature scaling`);
      }
    }
    const { lossSum, weighted } = await evaluateWith(tf, model, xAll, yAll, rows, false, Infinity, opts.sampleWeights);
    return { weights, numExamples: rows, lossSum, ...(weighted ? { weighted } : {}), ...(dp ? { dp } : {}) };
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.dispose([xAll, yAll, ...(wAll ? [wAll] : []), ...globals]);
  }
}

async function evaluateWith(tf: Backend['tf'], model: TfModel, x: tfjs.Tensor2D, y: tfjs.Tensor2D, rows: number,
  withHistograms: boolean, rowLossCap = Infinity, rowWeights?: Float32Array): Promise<EvaluateResult & { logits: Float32Array; weighted?: TrainResult['weighted'] }> {
  const logits = new Float32Array(rows);
  for (let start = 0; start < rows; start += EVAL_CHUNK) {
    const size = Math.min(EVAL_CHUNK, rows - start);
    const z = tf.tidy(() => model.logits(tf.slice(x, [start, 0], [size, x.shape[1]]) as tfjs.Tensor2D));
    logits.set(await z.data() as Float32Array, start);
    z.dispose();
  }
  const labels = await y.data();
  // Sums in float64 JS: exact enough for secure aggregation's fixed-point encoding downstream.
  let lossSum = 0;
  let absErrSum = 0;
  let labelSum = 0;
  let labelSquareSum = 0;
  const weighted = rowWeights ? { weightSum: 0, lossSum: 0 } : undefined;
  const rowLoss = (i: number, loss: number) => {
    if (weighted) { weighted.weightSum += rowWeights![i]; weighted.lossSum += rowWeights![i] * loss; }
    return loss;
  };
  if (model.spec.task === 'binary') {
    for (let i = 0; i < rows; i++) lossSum += rowLoss(i, Math.min(rowLossCap, logLossFromLogit(logits[i], labels[i])));
  } else {
    for (let i = 0; i < rows; i++) {
      lossSum += rowLoss(i, Math.min(rowLossCap, (logits[i] - labels[i]) ** 2));
      absErrSum += Math.abs(logits[i] - labels[i]);
      labelSum += labels[i];
      labelSquareSum += labels[i] ** 2;
    }
  }
  let histPos: number[] = [];
  let histNeg: number[] = [];
  if (withHistograms && model.spec.task === 'binary') {
    const scores = new Float64Array(rows);
    for (let i = 0; i < rows; i++) scores[i] = 1 / (1 + Math.exp(-logits[i]));
    ({ histPos, histNeg } = scoreHistograms(scores, labels, SCORE_BINS));
  }
  return { lossSum, absErrSum, labelSum, labelSquareSum, count: rows, histPos, histNeg, logits, ...(weighted ? { weighted } : {}) };
}

/**
 * Evaluates weights on held-out rows: Σ data loss, row count and (binary) score histograms
 * by label, all additive so the coordinator can sum them across members.
 */
export async function evaluate(opts: EvaluateOptions): Promise<EvaluateResult> {
  checkWeights(opts.spec, opts.weights);
  const rows = rowsOf(opts.spec, opts.x, opts.y);
  const binary = opts.spec.task === 'binary';
  if (rows === 0) {
    return { lossSum: 0, absErrSum: 0, labelSum: 0, labelSquareSum: 0, count: 0, histPos: binary ? new Array(SCORE_BINS).fill(0) : [], histNeg: binary ? new Array(SCORE_BINS).fill(0) : [] };
  }
  const { tf } = opts.backend ?? await selectBackend();
  const model = new TfModel(tf, opts.spec, opts.weights);
  const x = tf.tensor2d(opts.x, [rows, opts.spec.inputDim]);
  const y = tf.tensor2d(opts.y, [rows, 1]);
  try {
    const { lossSum, absErrSum, labelSum, labelSquareSum, count, histPos, histNeg } = await evaluateWith(tf, model, x, y, rows, true, opts.rowLossCap);
    return { lossSum, absErrSum, labelSum, labelSquareSum, count, histPos, histNeg };
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

/** Predictions for rows × inputDim features: probabilities (binary) or values (regression). */
export async function predict(spec: ModelSpec, weights: Float32Array, x: Float32Array, backend?: Backend): Promise<Float32Array> {
  checkWeights(spec, weights);
  const rows = rowsOf(spec, x);
  if (rows === 0) return new Float32Array(0);
  const { tf } = backend ?? await selectBackend();
  const model = new TfModel(tf, spec, weights);
  const xt = tf.tensor2d(x, [rows, spec.inputDim]);
  try {
    const out = new Float32Array(rows);
    for (let start = 0; start < rows; start += EVAL_CHUNK) {
      const size = Math.min(EVAL_CHUNK, rows - start);
      const p = tf.tidy(() => model.predict(tf.slice(xt, [start, 0], [size, spec.inputDim]) as tfjs.Tensor2D));
      out.set(await p.data() as Float32Array, start);
      p.dispose();
    }
    return out;
  } finally {
    model.dispose();
    xt.dispose();
  }
}
