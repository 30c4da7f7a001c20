// Customer-level DP-SGD in TensorFlow.js (Abadi et al., CCS 2016): Poisson-sampled batches,
// per-example gradients clipped to an L2 bound, Gaussian noise σ·C on each batch's sum.
//
// Per-example gradient norms of a dense network come from one backward pass: the gradient of
// example i on layer l's kernel is the outer product h_i δ_iᵀ of its input and its
// pre-activation gradient, so ‖g_i‖² = Σ_l (‖h_{l,i}‖² + 1)·‖δ_{l,i}‖² (the +1 is the bias)
// (Goodfellow 2015, "Efficient per-example gradient computations"). The clipped sum is then
// Σ_l h_lᵀ(c ⊙ δ_l) with c_i = min(1, C/‖g_i‖), without materialising one gradient per example.
import type * as tfjs from '@tensorflow/tfjs';
import { ConsortError, addGaussianNoise, type ModelSpec, type NormalSource } from '@consort/core';
import type { Tf } from './backend.ts';
import type { TfModel } from './tf-model.ts';

/** How one member runs DP-SGD in one round. */
export interface DpSgdOptions {
  /** Per-example gradient L2 bound C. */
  clipNorm: number;
  /** σ: the noise on each batch's gradient sum has std σ·C. */
  noiseMultiplier: number;
  /** Poisson sampling rate q: each row joins each step's batch with probability q. */
  samplingRate: number;
  /** Steps this round (the accountant charges `steps` compositions at rate q). */
  steps: number;
  /** Noise source; production: cryptoNormals() (secure-normals.ts). */
  normals: NormalSource;
  /** Uniform 32-bit words for the row sampling; production: cryptoUint32Source(). */
  uniform32: () => number;
}

/** Per-example data loss (cross-entropy from logits or squared error), shape [rows]. */
function perExampleLoss(tf: Tf, task: ModelSpec['task'], z: tfjs.Tensor, y: tfjs.Tensor): tfjs.Tensor1D {
  const l = task === 'regression'
    ? tf.squaredDifference(z, y)
    : tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  return tf.reshape(l, [-1]) as tfjs.Tensor1D;
}

/** Clipped per-example gradients of one batch, summed, plus what clipping saw. */
export interface ClippedBatchGradient {
  /** Σ_i c_i·g_i, one tensor per model variable (layout order); caller disposes. */
  sums: tfjs.Tensor[];
  /** ‖g_i‖ before clipping, one per example. */
  norms: Float32Array;
  /** Σ data loss of the batch. */
  lossSum: number;
}

/**
 * Per-example gradients of the data loss on (x, y), each clipped to `clipNorm`, summed. Dropout
 * (if the spec has it) uses masks drawn once per batch from `dropoutSeed`.
 */
export function clippedBatchGradient(tf: Tf, model: TfModel, x: tfjs.Tensor2D, y: tfjs.Tensor2D, clipNorm: number,
  dropoutSeed?: number): ClippedBatchGradient {
  const { spec } = model;
  const layers = model.variables.length / 2;
  const rows = x.shape[0];
  const rate = dropoutSeed !== undefined ? spec.dropout ?? 0 : 0;
  return tf.tidy(() => {
    const masks = Array.from({ length: layers - 1 }, (_, l) => {
      const units = model.variables[2 * l].shape[1]!;
      return rate > 0 ? tf.div(tf.cast(tf.greaterEqual(tf.randomUniform([rows, units], 0, 1, 'float32', dropoutSeed! + l), rate), 'float32'), 1 - rate) : null;
    });
    // Layer inputs h_l, recorded by a forward pass; the gradient pass below recomputes the same values.
    const inputs: tfjs.Tensor2D[] = [];
    const forward = (bumps: tfjs.Tensor[] | null): tfjs.Tensor => {
      let h: tfjs.Tensor2D = x;
      for (let l = 0; l < layers; l++) {
        if (!bumps) inputs.push(h);
        let z = tf.add(tf.matMul(h, model.variables[2 * l] as tfjs.Tensor2D), model.variables[2 * l + 1]) as tfjs.Tensor2D;
        if (bumps) z = tf.add(z, bumps[l]) as tfjs.Tensor2D;
        if (l === layers - 1) return z;
        h = (spec.activation === 'tanh' ? tf.tanh(z) : tf.relu(z)) as tfjs.Tensor2D;
        if (masks[l]) h = tf.mul(h, masks[l]!) as tfjs.Tensor2D;
      }
      throw new Error('unreachable: a model has at least one layer');
    };
    const z = forward(null);
    const losses = perExampleLoss(tf, spec.task, z, y);
    // δ_l: gradient of Σ loss w.r.t. a zero added to layer l's pre-activation; row i is example i's own.
    const zeros = model.variables.filter((_, i) => i % 2 === 1).map((b) => tf.zeros([rows, b.shape[0]!]));
    const deltas = tf.grads((...bumps: tfjs.Tensor[]) => tf.sum(perExampleLoss(tf, spec.task, forward(bumps), y)))(zeros) as tfjs.Tensor2D[];
    let sq: tfjs.Tensor = tf.zeros([rows]);
    for (let l = 0; l < layers; l++) {
      const hNorm = tf.add(tf.sum(tf.square(inputs[l]), 1), 1);
      sq = tf.add(sq, tf.mul(hNorm, tf.sum(tf.square(deltas[l]), 1)));
    }
    const norms = tf.sqrt(sq);
    const factors = tf.minimum(1, tf.div(clipNorm, tf.maximum(norms, 1e-12))).reshape([rows, 1]);
    const sums: tfjs.Tensor[] = [];
    for (let l = 0; l < layers; l++) {
      const scaled = tf.mul(deltas[l], factors);
      sums.push(tf.keep(tf.matMul(inputs[l], scaled, true, false)), tf.keep(tf.sum(scaled, 0)));
    }
    return { sums, norms: norms.dataSync() as Float32Array, lossSum: tf.sum(losses).dataSync()[0] };
  });
}

/** Rows of one Poisson-sampled batch: each of `rows` kept with probability q. */
export function poissonSample(rows: number, q: number, uniform32: () => number): Int32Array {
  const threshold = q * 4294967296;
  const picked: number[] = [];
  for (let i = 0; i < rows; i++) if (uniform32() < threshold) picked.push(i);
  return Int32Array.from(picked);
}

/**
 * Runs `steps` DP-SGD steps on the model in place. Each step: Poisson batch, clipped per-example
 * gradient sum, plus N(0, (σC)²) per coordinate, divided by the EXPECTED batch size q·rows (a
 * data-independent denominator, as the analysis assumes), plus the data-independent L2 and
 * FedProx gradients; then w ← w − lr·g. Returns how many examples were clipped over the round.
 */
export function runDpSgd(tf: Tf, model: TfModel, xAll: tfjs.Tensor2D, yAll: tfjs.Tensor2D, o: DpSgdOptions & {
  learningRate: number; l2: number; proximalMu: number; globals: tfjs.Tensor[]; dropoutSeed: () => number;
}): { clippedExamples: number; sampledExamples: number } {
  const rows = xAll.shape[0];
  if (!(o.samplingRate > 0 && o.samplingRate <= 1)) throw new ConsortError('INVALID_ARGUMENT', `DP-SGD sampling rate must be in (0, 1] (got ${o.samplingRate})`);
  const expectedBatch = o.samplingRate * rows;
  let clippedExamples = 0;
  let sampledExamples = 0;
  for (let step = 0; step < o.steps; step++) {
    const idx = poissonSample(rows, o.samplingRate, o.uniform32);
    sampledExamples += idx.length;
    let sums: tfjs.Tensor[];
    if (idx.length > 0) {
      const batch = tf.tidy(() => {
        const t = tf.tensor1d(idx, 'int32');
        return [tf.gather(xAll, t), tf.gather(yAll, t)] as [tfjs.Tensor2D, tfjs.Tensor2D];
      });
      const g = clippedBatchGradient(tf, model, batch[0], batch[1], o.clipNorm, o.dropoutSeed());
      tf.dispose(batch);
      for (const n of g.norms) if (n > o.clipNorm) clippedExamples++;
      sums = g.sums;
    } else {
      sums = model.variables.map((v) => tf.zerosLike(v)); // an empty batch still gets its noise
    }
    tf.tidy(() => {
      model.variables.forEach((v, i) => {
        const noise = addGaussianNoise(new Float32Array(v.size), o.noiseMultiplier * o.clipNorm, o.normals);
        let grad = tf.div(tf.add(sums[i], tf.tensor(noise, v.shape, 'float32')), expectedBatch);
        if (o.l2 > 0 && v.rank === 2) grad = tf.add(grad, tf.mul(2 * o.l2, v));
        if (o.proximalMu > 0) grad = tf.add(grad, tf.mul(o.proximalMu, tf.sub(v, o.globals[i])));
        v.assign(tf.sub(v, tf.mul(o.learningRate, grad)));
      });
    });
    tf.dispose(sums);
  }
  return { clippedExamples, sampledExamples };
}
