// DP-SGD: per-example norms equal brute-force ones, each example's clipped gradient is bounded, sampling and noise behave.
import { beforeAll, describe, expect, it } from 'vitest';
import type * as tfjs from '@tensorflow/tfjs';
import { BoxMullerNormals, SeededRandom, initialWeights, sigmoid, type ModelSpec } from '@consort/core';
import { selectBackend, type Backend } from './backend.ts';
import { clippedBatchGradient, poissonSample } from './dp-sgd.ts';
import { TfModel } from './tf-model.ts';
import { evaluate, trainLocal } from './trainer.ts';

function synthetic(rows: number, d: number, seed: number) {
  const rng = new SeededRandom(seed);
  const w = Array.from({ length: d }, () => rng.normal() * 2);
  const x = new Float32Array(rows * d);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0.5;
    for (let j = 0; j < d; j++) { const v = rng.normal() * 3; x[i * d + j] = v; s += v * w[j] / 3; }
    y[i] = rng.next() < sigmoid(s) ? 1 : 0;
  }
  return { x, y };
}

const flatNorm = (ts: tfjs.Tensor[]) => Math.sqrt(ts.reduce((s, t) => s + Array.from(t.dataSync()).reduce((a, v) => a + v * v, 0), 0));

const specs: ModelSpec[] = [
  { kind: 'logistic', task: 'binary', inputDim: 5 },
  { kind: 'mlp', task: 'binary', inputDim: 5, hidden: [6, 3], activation: 'tanh' },
  { kind: 'mlp', task: 'regression', inputDim: 5, hidden: [4], activation: 'relu' },
];

describe('DP-SGD on cpu', () => {
  let backend: Backend;
  beforeAll(async () => { backend = await selectBackend(['cpu']); });

  it.each(specs)('per-example gradient norms equal brute-force single-example gradients ($kind, $task)', (spec) => {
    const { tf } = backend;
    const model = new TfModel(tf, spec, initialWeights(spec, 5));
    const { x, y } = synthetic(12, 5, 3);
    const xt = tf.tensor2d(x, [12, 5]);
    const yt = tf.tensor2d(y, [12, 1]);
    const g = clippedBatchGradient(tf, model, xt, yt, 1e9);
    for (let i = 0; i < 12; i++) {
      // Brute force: tf.grads of example i's own loss w.r.t. every variable.
      const norm = tf.tidy(() => {
        const xi = tf.slice(xt, [i, 0], [1, 5]) as tfjs.Tensor2D;
        const yi = tf.slice(yt, [i, 0], [1, 1]);
        const { grads } = tf.variableGrads(() => {
          const z = model.logits(xi);
          return (spec.task === 'regression' ? tf.sum(tf.squaredDifference(z, yi))
            : tf.sum(tf.add(tf.sub(tf.relu(z), tf.mul(z, yi)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))))) as tfjs.Scalar;
        }, model.variables);
        return flatNorm(Object.values(grads));
      });
      expect(g.norms[i]).toBeCloseTo(norm, 3);
    }
    tf.dispose([xt, yt, ...g.sums]);
    model.dispose();
  });

  it('bounds each example\'s gradient by the clip norm, and the batch sum is the sum of the clipped examples', () => {
    const { tf } = backend;
    const spec = specs[1];
    const model = new TfModel(tf, spec, initialWeights(spec, 8));
    const { x, y } = synthetic(10, 5, 4);
    const clip = 0.05;
    const total = model.variables.map((v) => new Float64Array(v.size));
    let clippedSome = false;
    for (let i = 0; i < 10; i++) {
      const xi = tf.tensor2d(x.slice(i * 5, i * 5 + 5), [1, 5]);
      const yi = tf.tensor2d([y[i]], [1, 1]);
      const g = clippedBatchGradient(tf, model, xi, yi, clip);
      if (g.norms[0] > clip) clippedSome = true;
      expect(flatNorm(g.sums)).toBeLessThanOrEqual(clip * (1 + 1e-5));
      g.sums.forEach((s, k) => s.dataSync().forEach((v, j) => { total[k][j] += v; }));
      tf.dispose([xi, yi, ...g.sums]);
    }
    expect(clippedSome).toBe(true);
    const xt = tf.tensor2d(x, [10, 5]);
    const yt = tf.tensor2d(y, [10, 1]);
    const batch = clippedBatchGradient(tf, model, xt, yt, clip);
    batch.sums.forEach((s, k) => s.dataSync().forEach((v, j) => expect(v).toBeCloseTo(total[k][j], 5)));
    tf.dispose([xt, yt, ...batch.sums]);
    model.dispose();
  });

  it('Poisson sampling keeps each row with probability q (fixed seed, 99.9% bound)', () => {
    const rng = new SeededRandom(2);
    const rows = 100_000;
    const picked = poissonSample(rows, 0.03, () => rng.nextUint32()).length;
    expect(Math.abs(picked - 3000)).toBeLessThan(3.3 * Math.sqrt(rows * 0.03 * 0.97));
  });

  it('trains a useful model under moderate noise, and pure noise moves the weights by σC·lr/(q·rows) per step', async () => {
    const spec = specs[0];
    const { x, y } = synthetic(2000, 5, 9);
    const w0 = initialWeights(spec, 1);
    const rng = new SeededRandom(11);
    const normals = new BoxMullerNormals(() => rng.nextUint32());
    const dpBase = { normals, uniform32: () => rng.nextUint32() };
    const trained = await trainLocal({
      spec, weights: w0, x, y, epochs: 1, batchSize: 100, learningRate: 0.5, proximalMu: 0, seed: 1, backend,
      dp: { ...dpBase, clipNorm: 1, noiseMultiplier: 1, samplingRate: 0.05, steps: 60 },
    });
    const ev = await evaluate({ spec, weights: trained.weights, x, y, backend });
    expect(ev.lossSum / 2000).toBeLessThan(0.5);
    expect(trained.dp!.sampledExamples).toBeGreaterThan(60 * 100 * 0.8);
    // The noise alone: with a tiny clip and a huge σ the data gradient vanishes beside it.
    const steps = 400;
    const noisy = await trainLocal({
      spec, weights: w0, x, y, epochs: 1, batchSize: 100, learningRate: 1, proximalMu: 0, seed: 1, backend,
      dp: { ...dpBase, clipNorm: 1e-6, noiseMultiplier: 1e5, samplingRate: 0.05, steps },
    });
    // Per coordinate: a sum of `steps` N(0, (σC/(q·rows))²) draws.
    const perStep = (1e5 * 1e-6) / (0.05 * 2000);
    const diffs = Array.from(noisy.weights, (v, i) => (v - w0[i]) / (perStep * Math.sqrt(steps)));
    const rms = Math.sqrt(diffs.reduce((s, v) => s + v * v, 0) / diffs.length);
    expect(rms).toBeGreaterThan(0.3);
    expect(rms).toBeLessThan(2);
  });
});
