// Tests for the ONNX export: equal to TF.js predict, contributions against the federation's reference (linear and MLP), metadata.
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import {
  encodeRow, isConsortError, pipelineInputDim, splitWeights, type FeaturePipeline, type ModelSpec,
} from '@consort/core';
import { selectBackend, type Backend } from '../train/backend.ts';
import { predict } from '../train/trainer.ts';
import { ONNX_IO, exportOnnx, onnxFeatureColumns, readOnnxMetadata } from '@consort/core';
import { churnPipeline, randomRecords, randomWeights, rawInputs, specFor } from '../../test-support/onnx-fixtures.ts';

let backend: Backend;
beforeAll(async () => {
  backend = await selectBackend(['cpu']);
});

function encodeAll(pipeline: FeaturePipeline, records: Record<string, string>[]): Float32Array {
  const d = pipelineInputDim(pipeline);
  const x = new Float32Array(records.length * d);
  records.forEach((r, i) => encodeRow(pipeline, r, { file: 'test', row: i + 2 }, x, i * d));
  return x;
}

async function runOnnx(spec: ModelSpec, pipeline: FeaturePipeline, weights: Float32Array, records: Record<string, string>[]) {
  const session = await ort.InferenceSession.create(exportOnnx(spec, pipeline, weights));
  const { numeric, categorical } = rawInputs(pipeline, records);
  const n = records.length;
  const out = await session.run({
    [ONNX_IO.numeric]: new ort.Tensor('float64', numeric, [n, pipeline.numeric.length]),
    [ONNX_IO.categorical]: new ort.Tensor('string', categorical, [n, pipeline.categorical.length]),
  });
  await session.release();
  return {
    score: out[ONNX_IO.score].data as Float32Array,
    logit: out[ONNX_IO.logit]?.data as Float32Array | undefined,
    contributions: out[ONNX_IO.contributions].data as Float32Array,
    contributionDims: out[ONNX_IO.contributions].dims,
  };
}

/** Plain float64 forward pass to a logit, for the occlusion reference. */
function jsLogit(spec: ModelSpec, weights: Float32Array, z: ArrayLike<number>): number {
  const t = splitWeights(spec, weights);
  let h = Array.from(z);
  for (let l = 0; l < t.length / 2; l++) {
    const [fanIn, units] = t[2 * l].shape;
    const next = new Array<number>(units).fill(0);
    for (let o = 0; o < units; o++) {
      let s = t[2 * l + 1].values[o];
      for (let i = 0; i < fanIn; i++) s += h[i] * t[2 * l].values[i * units + o];
      next[o] = l === t.length / 2 - 1 ? s : spec.activation === 'tanh' ? Math.tanh(s) : Math.max(0, s);
    }
    h = next;
  }
  return h[0];
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('exportOnnx', () => {
  const cases: [string, 'binary' | 'regression', 'logistic' | 'mlp', 'relu' | 'tanh'][] = [
    ['logistic regression', 'binary', 'logistic', 'relu'],
    ['MLP relu', 'binary', 'mlp', 'relu'],
    ['MLP tanh', 'binary', 'mlp', 'tanh'],
    ['linear regression', 'regression', 'logistic', 'relu'],
    ['MLP regression', 'regression', 'mlp', 'tanh'],
  ];
  for (const [name, task, kind, activation] of cases) {
    it(`${name}: ONNX scores equal TF.js predict within 1e-5 (numeric + categorical, with blanks)`, async () => {
      const pipeline = churnPipeline(task);
      const spec = specFor(pipeline, kind, activation);
      const weights = randomWeights(spec, 11);
      const records = randomRecords(pipeline, 500, 5);
      // The fixture really has blanks in every column, and they must be scored too.
      for (const c of [...pipeline.numeric, ...pipeline.categorical]) expect(records.some((r) => r[c.name] === '')).toBe(true);
      const tfScores = await predict(spec, weights, encodeAll(pipeline, records), backend);
      const onnx = await runOnnx(spec, pipeline, weights, records);
      expect(onnx.score.length).toBe(records.length);
      // Scores must not be trivially saturated, or the comparison would prove little.
      if (task === 'binary') expect(onnx.score.some((p) => p > 0.05 && p < 0.95)).toBe(true);
      expect(maxAbsDiff(onnx.score, tfScores)).toBeLessThan(1e-5);
      expect(onnx.contributionDims).toEqual([records.length, onnxFeatureColumns(pipeline).length]);
      expect(onnx.logit === undefined).toBe(task === 'regression');
    });
  }

  it('regression with a fitted target: the graph de-standardizes, scores come out in the target units', async () => {
    const target = { mean: 52_000, std: 3_100 };
    const pipeline = { ...churnPipeline('regression'), target };
    for (const kind of ['logistic', 'mlp'] as const) {
      const spec = specFor(pipeline, kind, 'relu');
      const weights = randomWeights(spec, 13);
      const records = randomRecords(pipeline, 200, 3);
      const standardized = await predict(spec, weights, encodeAll(pipeline, records), backend);
      const onnx = await runOnnx(spec, pipeline, weights, records);
      const expected = Float64Array.from(standardized, (v) => v * target.std + target.mean);
      // float32 output: an ulp of 52,000 is 0.004.
      expect(maxAbsDiff(onnx.score, expected)).toBeLessThan(0.05);
      expect(maxAbsDiff(onnx.score, standardized)).toBeGreaterThan(1000);
      if (kind === 'logistic') {
        // Reasons in the target's units too: they add up from the reference customer's score.
        const F = onnxFeatureColumns(pipeline).length;
        const referenceScore = jsLogit(spec, weights, REFERENCE) * target.std + target.mean;
        for (let i = 0; i < records.length; i++) {
          let sum = referenceScore;
          for (let j = 0; j < F; j++) sum += onnx.contributions[i * F + j];
          expect(Math.abs(sum - onnx.score[i])).toBeLessThan(0.5);
        }
      }
    }
  });

  // Encoded entry k belongs to column GROUP[k]: numeric 0..3, then plan (3 entries), channel (4).
  const GROUP = [0, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5];
  const GROUPS = [[0], [1], [2], [3], [4, 5, 6], [7, 8, 9, 10]];
  /** The reference customer of churnPipeline: numeric means (z = 0), then the pooled shares. */
  const REFERENCE = [0, 0, 0, 0, 0.5, 0.3, 0.2, 0.4, 0.3, 0.2, 0.1];

  it('logistic regression: contributions are w·(z − reference) per column and sum to logit − logit(reference)', async () => {
    const pipeline = churnPipeline('binary');
    const spec = specFor(pipeline, 'logistic');
    const weights = randomWeights(spec, 23, 1.2);
    const records = randomRecords(pipeline, 300, 9);
    const { logit, contributions } = await runOnnx(spec, pipeline, weights, records);
    const x = encodeAll(pipeline, records);
    const d = spec.inputDim;
    const F = onnxFeatureColumns(pipeline).length;
    const referenceLogit = jsLogit(spec, weights, REFERENCE);
    const expected = new Float64Array(records.length * F);
    for (let i = 0; i < records.length; i++) {
      let sum = referenceLogit;
      for (let j = 0; j < F; j++) sum += contributions[i * F + j];
      expect(Math.abs(sum - logit![i])).toBeLessThan(1e-5);
      for (let k = 0; k < d; k++) expected[i * F + GROUP[k]] += weights[k] * (x[i * d + k] - REFERENCE[k]);
    }
    expect(maxAbsDiff(contributions, expected)).toBeLessThan(1e-5);
    // A blank numeric cell sits at the mean: zero contribution. A blank category is "no
    // category" for the model, so it is credited with the distance from the federation's mix.
    const blankRow = records.findIndex((r) => r.recency_days === '');
    expect(contributions[blankRow * F]).toBe(0);
    const blankPlan = records.findIndex((r) => r.plan === '');
    const planAtMix = weights[4] * 0.5 + weights[5] * 0.3 + weights[6] * 0.2;
    expect(Math.abs(contributions[blankPlan * F + 4] + planAtMix)).toBeLessThan(1e-5);
  });

  it('a categorical contribution is measured against the federation\'s mix, not against "no category"', async () => {
    const pipeline = churnPipeline('binary');
    const spec = specFor(pipeline, 'logistic');
    const weights = randomWeights(spec, 5);
    // Every plan raises the logit by 0.9 against "no category": against the mix, no plan explains anything.
    weights.set([0.9, 0.9, 0.9], 4);
    // The most common channel (web, 40 %) is the riskiest: it must still be a positive reason.
    weights.set([1.0, -0.5, 0, 0.2], 7);
    const records = randomRecords(pipeline, 200, 3).filter((r) => r.plan !== '' && r.channel !== '');
    const { contributions } = await runOnnx(spec, pipeline, weights, records);
    const mix = 0.4 * 1.0 + 0.3 * -0.5 + 0.1 * 0.2;
    const byChannel = { web: 1.0 - mix, store: -0.5 - mix, phone: -mix, partner: 0.2 - mix };
    records.forEach((r, i) => {
      expect(Math.abs(contributions[i * 6 + 4])).toBeLessThan(1e-6);
      expect(contributions[i * 6 + 5]).toBeCloseTo(byChannel[r.channel as keyof typeof byChannel], 5);
    });
    expect(byChannel.web).toBeGreaterThan(0.5);
  });

  it('without pooled shares (a pipeline fitted before they were kept) categories are measured against "no category"', async () => {
    const base = churnPipeline('binary');
    const pipeline = { ...base, categorical: base.categorical.map(({ name, vocabulary }) => ({ name, vocabulary })) };
    const spec = specFor(pipeline, 'logistic');
    const weights = randomWeights(spec, 7);
    const records = randomRecords(pipeline, 100, 4);
    const { contributions } = await runOnnx(spec, pipeline, weights, records);
    const x = encodeAll(pipeline, records);
    records.forEach((_, i) => {
      let plan = 0;
      for (const k of GROUPS[4]) plan += weights[k] * x[i * 11 + k];
      expect(contributions[i * 6 + 4]).toBeCloseTo(plan, 5);
    });
    const meta = readOnnxMetadata(exportOnnx(spec, pipeline, weights));
    expect(JSON.parse(meta.props['consort.reference'])).toMatchObject({ recency_days: 'federation-mean', plan: 'no-category' });
  });

  it('MLP: contributions are logit(x) − the share-weighted mean of logit(x with the column set to each reference value)', async () => {
    const pipeline = churnPipeline('binary');
    const spec = specFor(pipeline, 'mlp', 'relu');
    const weights = randomWeights(spec, 31);
    const records = randomRecords(pipeline, 200, 13);
    const { logit, contributions } = await runOnnx(spec, pipeline, weights, records);
    const x = encodeAll(pipeline, records);
    const d = spec.inputDim;
    const F = 6;
    let nonZero = 0;
    for (let i = 0; i < records.length; i++) {
      const z = Array.from(x.subarray(i * d, (i + 1) * d));
      const full = jsLogit(spec, weights, z);
      expect(Math.abs(full - logit![i])).toBeLessThan(1e-4);
      for (let j = 0; j < F; j++) {
        const group = GROUPS[j];
        let reference = 0;
        if (group.length === 1) {
          const occluded = z.slice();
          occluded[group[0]] = 0;
          reference = jsLogit(spec, weights, occluded);
        } else {
          group.forEach((k, v) => {
            const occluded = z.slice();
            for (const u of group) occluded[u] = u === k ? 1 : 0;
            reference += REFERENCE[group[v]] * jsLogit(spec, weights, occluded);
          });
        }
        const expected = full - reference;
        expect(Math.abs(contributions[i * F + j] - expected)).toBeLessThan(1e-4);
        if (Math.abs(expected) > 1e-3) nonZero++;
      }
    }
    expect(nonZero).toBeGreaterThan(records.length * 2);
  });

  it('stores spec, pipeline and feature columns in the metadata', () => {
    const pipeline = churnPipeline('binary');
    const spec = specFor(pipeline, 'mlp', 'tanh');
    const bytes = exportOnnx(spec, pipeline, randomWeights(spec, 1), { modelVersionId: 'mv-7', version: 7 });
    const meta = readOnnxMetadata(bytes);
    expect(meta.spec).toEqual(spec);
    expect(meta.pipeline).toEqual(pipeline);
    expect(meta.features).toEqual(['recency_days', 'frequency', 'monetary', 'nps', 'plan', 'channel']);
    expect(meta.props['consort.modelVersionId']).toBe('mv-7');
    expect(meta.props['consort.contributions']).toBe('occlusion-vs-reference');
    expect(JSON.parse(meta.props['consort.reference'])).toEqual({
      recency_days: 'federation-mean', frequency: 'federation-mean', monetary: 'federation-mean', nps: 'federation-mean', plan: 'pooled-shares', channel: 'pooled-shares',
    });
  });

  it('is deterministic: the same inputs give the same bytes (the registry pins the graph by the model file\'s hash)', () => {
    const pipeline = churnPipeline('binary');
    for (const kind of ['logistic', 'mlp'] as const) {
      const spec = specFor(pipeline, kind, 'relu');
      const weights = randomWeights(spec, 3);
      const provenance = { task: 'churn', modelVersionId: 'mv-2', version: 2, sha256: 'ab'.repeat(32) };
      const a = exportOnnx(spec, pipeline, weights, provenance);
      const b = exportOnnx(structuredClone(spec), structuredClone(pipeline), Float32Array.from(weights), { ...provenance });
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    }
  });

  it('works with numeric-only and categorical-only pipelines', async () => {
    const base = churnPipeline('binary');
    for (const pipeline of [{ ...base, categorical: [] }, { ...base, numeric: [] }]) {
      const spec = specFor(pipeline, 'mlp');
      const weights = randomWeights(spec, 3);
      const records = randomRecords(pipeline, 50, 2);
      const session = await ort.InferenceSession.create(exportOnnx(spec, pipeline, weights));
      expect(session.inputNames).toEqual(pipeline.numeric.length > 0 ? [ONNX_IO.numeric] : [ONNX_IO.categorical]);
      const { numeric, categorical } = rawInputs(pipeline, records);
      const feeds: Record<string, ort.Tensor> = pipeline.numeric.length > 0
        ? { [ONNX_IO.numeric]: new ort.Tensor('float64', numeric, [50, pipeline.numeric.length]) }
        : { [ONNX_IO.categorical]: new ort.Tensor('string', categorical, [50, pipeline.categorical.length]) };
      const out = await session.run(feeds);
      const tf = await predict(spec, weights, encodeAll(pipeline, records), backend);
      expect(maxAbsDiff(out[ONNX_IO.score].data as Float32Array, tf)).toBeLessThan(1e-5);
      await session.release();
    }
  });

  it('rejects a pipeline that does not match the spec, naming both widths', () => {
    const pipeline = churnPipeline('binary');
    const spec = { ...specFor(pipeline, 'logistic'), inputDim: 10 };
    let err: unknown;
    try { exportOnnx(spec, pipeline, randomWeights(spec, 1)); } catch (e) { err = e; }
    expect(isConsortError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/encodes 11 inputs.*inputDim 10/);
  });
});
