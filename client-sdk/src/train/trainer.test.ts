// Tests for the TF.js model and trainer, run once per available backend (wasm, cpu).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SeededRandom, aucFromHistograms, exactAuc, initialWeights, layoutOf, sigmoid, type ModelSpec,
} from '@consort/core';
import { selectBackend, type Backend } from './backend.ts';
import { TfModel, toLayersModel } from './tf-model.ts';
import { evaluate, predict, trainLocal } from './trainer.ts';

/** Rows from a logistic (or linear) model with known weights. */
function synthetic(rows: number, d: number, seed: number, task: 'binary' | 'regression' = 'binary') {
  const rng = new SeededRandom(seed);
  const w = Array.from({ length: d }, () => rng.normal() * 2);
  const x = new Float32Array(rows * d);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0.5;
    for (let j = 0; j < d; j++) { const v = rng.normal(); x[i * d + j] = v; s += v * w[j]; }
    y[i] = task === 'binary' ? (rng.next() < sigmoid(s) ? 1 : 0) : s + 0.1 * rng.normal();
  }
  return { x, y };
}

function distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

const mlp: ModelSpec = { kind: 'mlp', task: 'binary', inputDim: 6, hidden: [8, 4], activation: 'tanh', dropout: 0.1 };
const logistic: ModelSpec = { kind: 'logistic', task: 'binary', inputDim: 6 };

describe.each(['wasm', 'cpu'])('trainer on %s', (name) => {
  let backend: Backend;
  beforeAll(async () => { backend = await selectBackend([name]); });

  it('round-trips flat weights exactly, and tf.LayersModel.getWeights() follows layoutOf', () => {
    const w = initialWeights(mlp, 3);
    const m = new TfModel(backend.tf, mlp, w);
    expect(m.getWeights()).toEqual(w);
    const w2 = initialWeights(mlp, 4);
    m.setWeights(w2);
    expect(m.getWeights()).toEqual(w2);
    const layers = toLayersModel(backend.tf, mlp, w2);
    const lw = layers.getWeights();
    expect(lw.map((t) => t.shape)).toEqual(layoutOf(mlp).map((l) => l.shape));
    expect(Float32Array.from(lw.flatMap((t) => Array.from(t.dataSync())))).toEqual(w2);
    // same predictions from both graphs (dropout is inactive at inference)
    const { x } = synthetic(20, 6, 1);
    const a = backend.tf.tidy(() => m.predict(backend.tf.tensor2d(x, [20, 6])).dataSync());
    const b = backend.tf.tidy(() => (layers.predict(backend.tf.tensor2d(x, [20, 6])) as ReturnType<typeof m.predict>).dataSync());
    for (let i = 0; i < 20; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    m.dispose();
    layers.dispose();
  });

  it('logistic predictions equal plain-JS sigmoid(x·w + b) to 1e-5', async () => {
    const w = initialWeights(logistic, 9);
    w[6] = 0.3; // bias
    const { x } = synthetic(50, 6, 2);
    const p = await predict(logistic, w, x, backend);
    for (let i = 0; i < 50; i++) {
      let z = w[6];
      for (let j = 0; j < 6; j++) z += x[i * 6 + j] * w[j];
      expect(Math.abs(p[i] - sigmoid(z))).toBeLessThan(1e-5);
    }
  });

  it('training lowers the loss and reaches AUC > 0.9; evaluation is additive and consistent', async () => {
    const { x, y } = synthetic(2000, 6, 5);
    for (const spec of [logistic, mlp]) {
      const w0 = initialWeights(spec, 1);
      const before = await evaluate({ spec, weights: w0, x, y, backend });
      const epochs: number[] = [];
      const r = await trainLocal({ spec, weights: w0, x, y, epochs: 4, batchSize: 32, learningRate: 0.1, proximalMu: 0, seed: 1, onEpoch: (_e, l) => epochs.push(l), backend });
      expect(r.numExamples).toBe(2000);
      expect(epochs).toHaveLength(4);
      expect(epochs[3]).toBeLessThan(epochs[0]);
      const after = await evaluate({ spec, weights: r.weights, x, y, backend });
      expect(after.lossSum).toBeLessThan(0.7 * before.lossSum);
      expect(r.lossSum).toBeCloseTo(after.lossSum, 1);
      const auc = exactAuc(await predict(spec, r.weights, x, backend), y);
      expect(auc).toBeGreaterThan(0.9);
      expect(Math.abs(aucFromHistograms(after.histPos, after.histNeg) - auc)).toBeLessThan(0.002);
      expect(after.histPos.reduce((a, b) => a + b, 0) + after.histNeg.reduce((a, b) => a + b, 0)).toBe(2000);
    }
    expect(backend.tf.memory().numTensors).toBe(0);
  });

  it('is deterministic for a seed', async () => {
    const { x, y } = synthetic(300, 6, 6);
    const opts = { spec: mlp, weights: initialWeights(mlp, 2), x, y, epochs: 2, batchSize: 16, learningRate: 0.05, proximalMu: 0, backend };
    const a = await trainLocal({ ...opts, seed: 7 });
    const b = await trainLocal({ ...opts, seed: 7 });
    const c = await trainLocal({ ...opts, seed: 8 });
    expect(a.weights).toEqual(b.weights);
    expect(a.weights).not.toEqual(c.weights);
  });

  it('the proximal term pulls weights toward the global model (larger mu, smaller distance)', async () => {
    const { x, y } = synthetic(500, 6, 7);
    const global = initialWeights(logistic, 4);
    const dist: number[] = [];
    for (const mu of [0, 1, 10]) {
      const r = await trainLocal({ spec: logistic, weights: global, x, y, epochs: 3, batchSize: 32, learningRate: 0.05, proximalMu: mu, seed: 1, backend });
      dist.push(distance(r.weights, global));
    }
    expect(dist[1]).toBeLessThan(dist[0]);
    expect(dist[2]).toBeLessThan(dist[1]);
  });

  it('L2 shrinks kernels; regression lowers the squared error', async () => {
    const { x, y } = synthetic(500, 6, 8);
    const base = { weights: initialWeights(logistic, 4), x, y, epochs: 3, batchSize: 32, learningRate: 0.05, proximalMu: 0, seed: 1, backend };
    const plain = await trainLocal({ ...base, spec: logistic });
    const shrunk = await trainLocal({ ...base, spec: { ...logistic, l2: 0.05 } });
    const norm = (w: Float32Array) => Math.hypot(...Array.from(w.subarray(0, 6)));
    expect(norm(shrunk.weights)).toBeLessThan(norm(plain.weights));

    const reg: ModelSpec = { kind: 'logistic', task: 'regression', inputDim: 6 };
    const data = synthetic(500, 6, 9, 'regression');
    const w0 = initialWeights(reg, 1);
    const before = await evaluate({ spec: reg, weights: w0, ...data, backend });
    const r = await trainLocal({ spec: reg, weights: w0, ...data, epochs: 5, batchSize: 32, learningRate: 0.02, proximalMu: 0, seed: 1, backend });
    expect(r.lossSum / 500).toBeLessThan(0.05 * before.lossSum / 500);
    expect(before.histPos).toEqual([]);
  });

  it('rejects mismatched shapes', async () => {
    await expect(trainLocal({ spec: logistic, weights: new Float32Array(3), x: new Float32Array(6), y: new Float32Array(1), epochs: 1, batchSize: 1, learningRate: 0.1, proximalMu: 0, seed: 1, backend }))
      .rejects.toThrow(/needs 7/);
    await expect(evaluate({ spec: logistic, weights: initialWeights(logistic, 1), x: new Float32Array(7), y: new Float32Array(1), backend }))
      .rejects.toThrow(/not a multiple of the model's inputDim 6/);
  });

  it('sample weights: weight 2 on a row is that row twice (full-batch step, 1e-6); weights shift the fit toward heavy rows', async () => {
    const { x, y } = synthetic(40, 6, 11);
    const w0 = initialWeights(logistic, 3);
    const weights = Float32Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? 2 : 1));
    // The duplicated data set: every weight-2 row appears twice.
    const dupRows = [...Array(40).keys()].flatMap((i) => (weights[i] === 2 ? [i, i] : [i]));
    const dx = new Float32Array(dupRows.length * 6);
    dupRows.forEach((r, k) => dx.set(x.subarray(r * 6, r * 6 + 6), k * 6));
    const dy = Float32Array.from(dupRows, (r) => y[r]);
    const one = { spec: logistic, weights: w0, epochs: 1, learningRate: 0.5, proximalMu: 0, seed: 1, backend };
    const weighted = await trainLocal({ ...one, x, y, batchSize: 40, sampleWeights: weights });
    const duplicated = await trainLocal({ ...one, x: dx, y: dy, batchSize: dupRows.length });
    const plain = await trainLocal({ ...one, x, y, batchSize: 40 });
    for (let i = 0; i < w0.length; i++) expect(weighted.weights[i]).toBeCloseTo(duplicated.weights[i], 6);
    expect(distance(weighted.weights, plain.weights)).toBeGreaterThan(1e-3);
    expect(weighted.weighted!.weightSum).toBe(48);
    expect(weighted.weighted!.lossSum).toBeCloseTo(duplicated.lossSum, 4);
    // All weight on the positives: the fitted model scores every row higher than without weights.
    const toPos = Float32Array.from(y, (v) => (v === 1 ? 10 : 0.1));
    const many = { ...one, x, y, epochs: 20, batchSize: 8 };
    const up = await predict(logistic, (await trainLocal({ ...many, sampleWeights: toPos })).weights, x, backend);
    const flat = await predict(logistic, (await trainLocal(many)).weights, x, backend);
    expect(up.reduce((a, b) => a + b, 0)).toBeGreaterThan(flat.reduce((a, b) => a + b, 0) + 0.1 * 40);
  });

  it('refuses sample weights that are negative, non-finite, of the wrong count, or with DP-SGD', async () => {
    const { x, y } = synthetic(4, 6, 12);
    const base = { spec: logistic, weights: initialWeights(logistic, 1), x, y, epochs: 1, batchSize: 4, learningRate: 0.1, proximalMu: 0, seed: 1, backend };
    await expect(trainLocal({ ...base, sampleWeights: Float32Array.of(1, 1, -1, 1) })).rejects.toThrow(/row 2 is -1; weights must be finite and ≥ 0/);
    await expect(trainLocal({ ...base, sampleWeights: Float32Array.of(1, NaN, 1, 1) })).rejects.toThrow(/row 1 is NaN/);
    await expect(trainLocal({ ...base, sampleWeights: Float32Array.of(1, 1) })).rejects.toThrow(/2 sample weights for 4 training rows/);
    const dp = { clipNorm: 1, noiseMultiplier: 1, samplingRate: 0.5, steps: 1, normals: () => 0, uniform32: () => 0 } as unknown as NonNullable<Parameters<typeof trainLocal>[0]['dp']>;
    await expect(trainLocal({ ...base, sampleWeights: Float32Array.of(1, 1, 1, 1), dp })).rejects.toThrow(/cannot be combined with DP-SGD/);
  });
});
