// Strategy sweep behind the default training settings (issue 12): the federated algorithm run in
// one process (the agent's own encode/train/evaluate code, the coordinator's strategies and early
// stopping, plain float64 sums) over the shared datasets, against pooled training.
//   npx tsx simulations/src/bench/strategy-sweep.ts [--datasets telco,bank,retail] [--models logistic,mlp] [--configs a,b]
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  EarlyStopping, createStrategy, exactAuc, initialWeights, localFeatureStats, pipelineFromStats, pipelineInputDim, resolveTaskDefinition,
  type EarlyStoppingOptions, type FeaturePipeline, type ModelSpec, type StrategyOptions, type TaskDefinitionInput, type TrainSettings,
} from '@consort/core';
import { evaluate, predict, readMemberCsv, stratifiedSplit, toMatrix, trainLocal } from '@consort/client-sdk';
import { bankDataset, retailDataset, syntheticDataset, telcoDataset, type BenchDataset } from './model-datasets.ts';

interface Config { train: TrainSettings; strategy: StrategyOptions; earlyStopping: EarlyStoppingOptions; maxRounds: number }

const base = { localEpochs: 1, batchSize: 64, learningRate: 0.05, proximalMu: 0 };
const stop = { patience: 10, minDelta: 1e-4 };
/** Candidate defaults: server optimizer × local work per round. */
const CONFIGS: Record<string, Config> = {
  'fedavg-e2': { train: { ...base, localEpochs: 2 }, strategy: { name: 'fedavg' }, earlyStopping: stop, maxRounds: 200 },
  'fedavg-e1': { train: base, strategy: { name: 'fedavg' }, earlyStopping: stop, maxRounds: 200 },
  'fedavgm-e1': { train: base, strategy: { name: 'fedavgm', serverLearningRate: 1, momentum: 0.9 }, earlyStopping: stop, maxRounds: 200 },
  'fedavgm05-e1': { train: base, strategy: { name: 'fedavgm', serverLearningRate: 0.5, momentum: 0.5 }, earlyStopping: stop, maxRounds: 200 },
  'fedadam-e1': { train: base, strategy: { name: 'fedadam', serverLearningRate: 0.01 }, earlyStopping: stop, maxRounds: 200 },
  'fedadam-fullbatch': { train: { ...base, batchSize: 1_000_000, learningRate: 1 }, strategy: { name: 'fedadam', serverLearningRate: 0.05 }, earlyStopping: stop, maxRounds: 200 },
};

const SEED = 1;
type Records = Record<string, string>[];

async function prepare(ds: BenchDataset, kind: 'logistic' | 'mlp') {
  const def = resolveTaskDefinition({ ...ds.task, model: { kind, task: 'binary' } } as TaskDefinitionInput);
  const schema = { numeric: def.numeric, categorical: def.categorical, label: def.label, positiveLabel: def.positiveLabel, protected: def.protected };
  const positive = new Set(def.positiveLabel);
  const members: { train: Records; test: Records }[] = [];
  for (const m of ds.members) {
    const t = await readMemberCsv(m.file, schema);
    members.push(stratifiedSplit(t.records, (r) => (positive.has(r[def.label]) ? 1 : 0), def.testFraction, def.seed));
  }
  const pooledTrain = members.flatMap((m) => m.train);
  const pipeline: FeaturePipeline = pipelineFromStats(schema, def.vocabularies, localFeatureStats(schema, def.vocabularies, pooledTrain), 'binary');
  const spec: ModelSpec = { kind, task: 'binary', inputDim: pipelineInputDim(pipeline), hidden: def.model.hidden, activation: 'relu', dropout: 0, l2: 0 };
  const enc = members.map((m) => ({ train: toMatrix(pipeline, m.train, 'train'), test: toMatrix(pipeline, m.test, 'test') }));
  const pooledTest = toMatrix(pipeline, members.flatMap((m) => m.test), 'test');
  const pooledTrainM = toMatrix(pipeline, pooledTrain, 'train');
  return { spec, enc, pooledTest, pooledTrainM };
}

async function auc(spec: ModelSpec, w: Float32Array, m: { x: Float32Array; y: Float32Array }): Promise<number> {
  return exactAuc(await predict(spec, w, m.x), m.y);
}

async function federate(p: Awaited<ReturnType<typeof prepare>>, c: Config) {
  const strategy = createStrategy(c.strategy);
  const stopper = new EarlyStopping(c.earlyStopping);
  let w = initialWeights(p.spec, SEED);
  let best = w;
  let rounds = 0;
  const t0 = performance.now();
  for (let round = 1; round <= c.maxRounds; round++) {
    rounds = round;
    const sum = new Float64Array(w.length);
    let n = 0;
    let lossSum = 0;
    let count = 0;
    const train = strategy.configureTrain(round, c.train);
    for (const m of p.enc) {
      const ev = await evaluate({ spec: p.spec, weights: w, x: m.test.x, y: m.test.y });
      lossSum += ev.lossSum;
      count += ev.count;
      const r = await trainLocal({ spec: p.spec, weights: w, x: m.train.x, y: m.train.y, epochs: train.localEpochs, batchSize: train.batchSize, learningRate: train.learningRate, proximalMu: 0, seed: SEED + round });
      for (let i = 0; i < sum.length; i++) sum[i] += r.numExamples * r.weights[i];
      n += r.numExamples;
    }
    const verdict = stopper.observe(round, lossSum / count);
    if (stopper.best?.round === round) best = w;
    if (verdict === 'stop') break;
    w = strategy.aggregateTrain(w, { weightedSum: sum, totalExamples: n, contributions: p.enc.length }, p.spec);
  }
  return { rounds, bestRound: stopper.best?.round ?? 0, bestLoss: stopper.best?.loss ?? NaN, best: await auc(p.spec, best, p.pooledTest), last: await auc(p.spec, w, p.pooledTest), seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const o = new Command()
    .option('--datasets <list>', 'telco,bank,retail,synthetic', 'telco,bank,retail')
    .option('--models <list>', 'logistic,mlp', 'logistic,mlp')
    .option('--configs <list>', Object.keys(CONFIGS).join(','), Object.keys(CONFIGS).join(','))
    .option('--data <dir>', 'folder with the public datasets', resolve(process.cwd(), '../shared/data'))
    .parse().opts<{ datasets: string; models: string; configs: string; data: string }>();
  const workDir = mkdtempSync(join(tmpdir(), 'consort-sweep-'));
  const loaders: Record<string, () => Promise<BenchDataset | undefined>> = {
    telco: () => telcoDataset(workDir, o.data), bank: () => bankDataset(workDir, o.data), retail: () => retailDataset(workDir, o.data),
    synthetic: async () => syntheticDataset(workDir),
  };
  for (const name of o.datasets.split(',')) {
    const ds = await loaders[name]();
    if (!ds) { console.log(`${name}: data absent`); continue; }
    for (const kind of o.models.split(',') as ('logistic' | 'mlp')[]) {
      const p = await prepare(ds, kind);
      const t0 = performance.now();
      const pooled = await trainLocal({ spec: p.spec, weights: initialWeights(p.spec, SEED), x: p.pooledTrainM.x, y: p.pooledTrainM.y, epochs: 20, batchSize: 32, learningRate: 0.05, proximalMu: 0, seed: SEED });
      console.log(`${name} ${kind}: pooled AUC ${(await auc(p.spec, pooled.weights, p.pooledTest)).toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      for (const c of o.configs.split(',')) {
        const r = await federate(p, CONFIGS[c]);
        console.log(`  ${c.padEnd(18)} rounds ${String(r.rounds).padStart(3)} best@${String(r.bestRound).padStart(3)} loss ${r.bestLoss.toFixed(4)}  AUC best ${r.best.toFixed(4)} last ${r.last.toFixed(4)}  ${r.seconds.toFixed(1)} s`);
      }
    }
  }
  rmSync(workDir, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); process.exit(1); });
