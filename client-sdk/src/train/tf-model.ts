// A ModelSpec as TensorFlow.js variables (hand-built graph, fast per batch) plus an equivalent tf.LayersModel.
import type * as tfjs from '@tensorflow/tfjs';
import { layoutOf, splitWeights, validateModelSpec, type ModelSpec } from '@consort/core';
import type { Tf } from './backend.ts';

/**
 * The model's weights as tf.Variables in `layoutOf(spec)` order, with a forward pass. We build
 * the graph by hand rather than through tf.layers because a custom loop (FedProx term, seeded
 * dropout, no per-batch sync) needs the variables anyway and skips the layers' per-call overhead.
 */
export class TfModel {
  readonly variables: tfjs.Variable[];

  constructor(private readonly tf: Tf, readonly spec: ModelSpec, weights: Float32Array) {
    validateModelSpec(spec);
    this.variables = splitWeights(spec, weights).map((t) => {
      // tf.variable copies its initial value, and tidy() never disposes variables: free the copy source here.
      const initial = tf.tensor(t.values, t.shape, 'float32');
      const v = tf.variable(initial, true, undefined, 'float32');
      initial.dispose();
      return v;
    });
  }

  /** Overwrites every variable from a flat vector (layout order). */
  setWeights(flat: Float32Array): void {
    splitWeights(this.spec, flat).forEach((t, i) => {
      this.tf.tidy(() => this.variables[i].assign(this.tf.tensor(t.values, t.shape, 'float32')));
    });
  }

  /** The flat weight vector (one read per tensor). */
  getWeights(): Float32Array {
    const out = new Float32Array(this.variables.reduce((n, v) => n + v.size, 0));
    let offset = 0;
    for (const v of this.variables) {
      out.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    return out;
  }

  /** Kernels only (the tensors L2 applies to). */
  kernels(): tfjs.Variable[] {
    return this.variables.filter((v) => v.rank === 2);
  }

  /**
   * Output before the final sigmoid/identity, shape [rows, 1]. With `dropoutSeed` (training),
   * dropout is applied after each hidden layer with that seed.
   */
  logits(x: tfjs.Tensor2D, dropoutSeed?: number): tfjs.Tensor2D {
    const { tf } = this;
    let h: tfjs.Tensor2D = x;
    const layers = this.variables.length / 2;
    const rate = this.spec.dropout ?? 0;
    for (let l = 0; l < layers; l++) {
      const z = tf.add(tf.matMul(h, this.variables[2 * l] as tfjs.Tensor2D), this.variables[2 * l + 1]) as tfjs.Tensor2D;
      if (l === layers - 1) return z;
      h = this.spec.activation === 'tanh' ? tf.tanh(z) : tf.relu(z);
      if (dropoutSeed !== undefined && rate > 0) h = tf.dropout(h, rate, undefined, dropoutSeed + l) as tfjs.Tensor2D;
    }
    throw new Error('unreachable: a model has at least one layer');
  }

  /** Predictions: probabilities for binary tasks, values for regression. */
  predict(x: tfjs.Tensor2D): tfjs.Tensor2D {
    return this.tf.tidy(() => {
      const z = this.logits(x);
      return this.spec.task === 'binary' ? this.tf.sigmoid(z) : z;
    });
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/**
 * The same model as a Keras-style tf.Sequential of Dense layers, weights set from the flat
 * vector: `model.getWeights()` lists exactly `layoutOf(spec)` (tested), which is what makes the
 * flat vector portable to anything that speaks TF.js layers (saving, inspection, conversion).
 */
export function toLayersModel(tf: Tf, spec: ModelSpec, weights: Float32Array): tfjs.Sequential {
  validateModelSpec(spec);
  const layout = layoutOf(spec);
  const model = tf.sequential();
  const layers = layout.length / 2;
  for (let l = 0; l < layers; l++) {
    const [fanIn, units] = layout[2 * l].shape;
    const last = l === layers - 1;
    model.add(tf.layers.dense({
      units, inputShape: l === 0 ? [fanIn] : undefined,
      activation: last ? (spec.task === 'binary' ? 'sigmoid' : 'linear') : (spec.activation ?? 'relu'),
    }));
    if (!last && (spec.dropout ?? 0) > 0) model.add(tf.layers.dropout({ rate: spec.dropout! }));
  }
  const tensors = splitWeights(spec, weights).map((t) => tf.tensor(t.values, t.shape, 'float32'));
  model.setWeights(tensors);
  tf.dispose(tensors);
  return model;
}
