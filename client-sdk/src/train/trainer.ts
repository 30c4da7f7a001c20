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

/** Mean data loss of logits z against labels y, both [rows, 1]. */
function dataLoss(tf: Backend['tf'], task: ModelSpec['task'], z: tfjs.Tensor, y: tfjs.Tensor): tfjs.Scalar {
  if (task === 'regression') return tf.mean(tf.squaredDifference(z, y));
  // Stable cross-entropy from logits: max(z,0) − z·y + log(1 + e^−|z|).
  return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))));
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
  if (rows === 0) return { weights: opts.weights.slice(), numExamples: 0, lossSum: 0 };

  const { tf } = opts.backend ?? await selectBackend();
  const model = new TfModel(tf, spec, opts.weights);
  const l2 = spec.l2 ?? 0;
  const mu = opts.proximalMu;
  const globals = mu > 0 ? model.variables.map((v) => tf.keep(v.clone())) : [];
  const optimizer = tf.train.sgd(opts.learningRate);
  const xAll = tf.tensor2d(opts.x, [rows, spec.inputDim]);
  const yAll = tf.tensor2d(opts.y, [rows, 1]);
  const rng = new SeededRandom(opts.seed);
  try {
    const dp = opts.dp
      ? runDpSgd(tf, model, xAll, yAll, { ...opts.dp, learningRate: opts.learningRate, l2, proximalMu: mu, globals, dropoutSeed: () => rng.nextUint32() })
      : undefined;
    for (let epoch = 0; epoch < (opts.dp ? 0 : opts.epochs); epoch++) {
      const perm = tf.tensor1d(Int32Array.from(rng.permutation(rows)), 'int32');
      const xs = tf.gather(xAll, perm);
      const ys = tf.gather(yAll, perm);
      perm.dispose();
      let epochSum: tfjs.Scalar = tf.scalar(0);
      for (let start = 0; start < rows; start += opts.batchSize) {
        const size = Math.min(opts.batchSize, rows - start);
        const dropoutSeed = rng.nextUint32();
        const batchLoss = tf.tidy(() => {
          const xb = tf.slice(xs, [start, 0], [size, spec.inputDim]) as tfjs.Tensor2D;
          const yb = tf.slice(ys, [start, 0], [size, 1]);
          let kept: tfjs.Scalar | undefined;
          optimizer.minimize(() => {
            const data = dataLoss(tf, spec.task, model.logits(xb, dropoutSeed), yb);
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
      if (opts.onEpoch) opts.onEpoch(epoch, (await epochSum.data())[0] / rows);
      epochSum.dispose();
    }
    const weights = model.getWeights();
    for (let i = 0; i < weights.length; i++) {
      if (!Number.isFinite(weights[i])) {
        throw new ConsortError('INVALID_ARGUMENT', `local training diverged (non-finite weights); lower the task's learningRate (now ${opts.learningRate}) or check the feature scaling`);
      }
    }
    const { lossSum } = await evaluateWith(tf, model, xAll, yAll, rows, false);
    return { weights, numExamples: rows, lossSum, ...(dp ? { dp } : {}) };
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.dispose([xAll, yAll, ...globals]);
  }
}

async function evaluateWith(tf: Backend['tf'], model: TfModel, x: tfjs.Tensor2D, y: tfjs.Tensor2D, rows: number,
  withHistograms: boolean, rowLossCap = Infinity): Promise<EvaluateResult & { logits: Float32Array }> {
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
  if (model.spec.task === 'binary') {
    for (let i = 0; i < rows; i++) lossSum += Math.min(rowLossCap, logLossFromLogit(logits[i], labels[i]));
  } else {
    for (let i = 0; i < rows; i++) {
      lossSum += Math.min(rowLossCap, (logits[i] - labels[i]) ** 2);
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
  return { lossSum, absErrSum, labelSum, labelSquareSum, count: rows, histPos, histNeg, logits };
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
