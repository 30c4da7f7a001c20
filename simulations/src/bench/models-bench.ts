// Model-quality benchmark (issues 4, 12): federated at the task defaults (real coordinator +
// agents over gRPC, early stopping) vs pooled centralized training with the same code, vs each
// member alone; MLP vs logistic; training throughput per backend. Writes its section of docs/benchmarks.md.
//   npx tsx simulations/src/bench/models-bench.ts [--quick] [--datasets telco,retail] [--aggregation plain] [--data ../shared/data]
import { Command } from 'commander';
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SeededRandom, exactAuc, initialWeights, localFeatureStats, pipelineFromStats, pipelineInputDim, resolveTaskDefinition,
  type FeaturePipeline, type FeatureSchema, type ModelSpec, type TaskDefinitionInput,
} from '@consort/core';
import { predict, readMemberCsv, selectBackend, stratifiedSplit, toMatrix, trainLocal } from '@consort/client-sdk';
import { bankDataset, retailDataset, syntheticDataset, telcoDataset, type BenchDataset } from './model-datasets.ts';
import type { ArmRequest, ArmResult } from './federated-arm.ts';
import { machineLine, writeBenchmarkSection } from './benchmark-section.ts';

type Records = Record<string, string>[];
interface MemberSplit { name: string; file: string; train: Records; test: Records }

const SEED = 11;
const TEST_FRACTION = 0.2;

function schemaOf(t: TaskDefinitionInput): { schema: FeatureSchema; vocab: Record<string, string[]> } {
  const d = resolveTaskDefinition(t);
  return { schema: { numeric: d.numeric, categorical: d.categorical, label: d.label, positiveLabel: d.positiveLabel, protected: d.protected }, vocab: d.vocabularies };
}

async function splits(ds: BenchDataset): Promise<MemberSplit[]> {
  const { schema } = schemaOf(ds.task);
  const positive = new Set(schema.positiveLabel);
  const out: MemberSplit[] = [];
  for (const m of ds.members) {
    const table = await readMemberCsv(m.file, schema);
    // Exactly the agent's split: same reader, same labels, same seed (the task's seed).
    const { train, test } = stratifiedSplit(table.records, (r) => (positive.has(r[schema.label]) ? 1 : 0), TEST_FRACTION, SEED);
    out.push({ name: m.name, file: m.file, train, test });
  }
  return out;
}

async function aucOf(spec: ModelSpec, pipeline: FeaturePipeline, weights: Float32Array, rows: Records): Promise<number> {
  const m = toMatrix(pipeline, rows, 'bench');
  const scores = await predict(spec, weights, m.x);
  return exactAuc(scores, m.y);
}

/** Pipeline fitted on `rows`, the model spec of `kind` over it, and the encoded rows. */
function centralSetup(kind: 'logistic' | 'mlp', ds: BenchDataset, rows: Records): { spec: ModelSpec; pipeline: FeaturePipeline; m: ReturnType<typeof toMatrix> } {
  const { schema, vocab } = schemaOf(ds.task);
  const pipeline = pipelineFromStats(schema, vocab, localFeatureStats(schema, vocab, rows), 'binary');
  const spec: ModelSpec = { kind, task: 'binary', inputDim: pipelineInputDim(pipeline), hidden: kind === 'mlp' ? [32, 16] : [], activation: 'relu', dropout: 0, l2: 0 };
  return { spec, pipeline, m: toMatrix(pipeline, rows, 'bench') };
}

/** The same training code on rows in one place (pooled, or one member alone). */
async function trainCentral(kind: 'logistic' | 'mlp', ds: BenchDataset, train: Records, epochs: number, lr: number): Promise<{ spec: ModelSpec; pipeline: FeaturePipeline; weights: Float32Array; seconds: number }> {
  const { spec, pipeline, m } = centralSetup(kind, ds, train);
  const t0 = performance.now();
  const r = await trainLocal({ spec, weights: initialWeights(spec, SEED), x: m.x, y: m.y, epochs, batchSize: 32, learningRate: lr, proximalMu: 0, seed: SEED });
  return { spec, pipeline, weights: r.weights, seconds: (performance.now() - t0) / 1000 };
}

interface Row {
  dataset: string; model: string; members: number; rounds: number; earlyStopped: boolean;
  federated: number; pooled: number; pooledCi: [number, number]; localMean: number; federatedOwnMean: number; smallest: { name: string; rows: number; local: number; federated: number }[];
  fedSeconds: number; peakRssMb: number; pooledSeconds: number;
}

/** Pooled and local-only arms: minibatch SGD, the trainer's usual centralized setting. */
const CENTRAL = { epochs: 20, lr: 0.05 };

/** 95 % percentile bootstrap interval of the AUC of `scores` (rows resampled with replacement). */
function bootstrapAuc(scores: Float32Array, y: Float32Array, draws = 1000): [number, number] {
  const rng = new SeededRandom(SEED);
  const n = scores.length;
  const s = new Float32Array(n);
  const t = new Float32Array(n);
  const aucs: number[] = [];
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rng.next() * n);
      s[i] = scores[j];
      t[i] = y[j];
    }
    const auc = exactAuc(s, t);
    if (Number.isFinite(auc)) aucs.push(auc);
  }
  aucs.sort((a, b) => a - b);
  return [aucs[Math.floor(0.025 * aucs.length)], aucs[Math.ceil(0.975 * aucs.length) - 1]];
}

/** Runs the federated arm in a child process (its own peak RSS) at the task's default settings. */
function federatedArm(req: Omit<ArmRequest, 'out'>): Promise<ArmResult> {
  mkdirSync(req.workDir, { recursive: true });
  const file = join(req.workDir, 'arm-request.json');
  const out = join(req.workDir, 'arm-result.json');
  writeFileSync(file, JSON.stringify({ ...req, out }));
  return new Promise((resolveArm, reject) => {
    const child = fork(fileURLToPath(new URL('./federated-arm.ts', import.meta.url)), [file], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveArm(JSON.parse(readFileSync(out, 'utf8')) as ArmResult) : reject(new Error(`federated arm ${req.task.name} exited with ${code}`))));
  });
}

async function compare(ds: BenchDataset, kind: 'logistic' | 'mlp', rounds: number | undefined, aggregation: 'secure' | 'plain', workDir: string): Promise<Row> {
  const members = await splits(ds);
  const pooledTrain = members.flatMap((m) => m.train);
  const pooledTest = members.flatMap((m) => m.test);
  // Default settings: no rounds, learning rate, strategy or early stopping chosen here.
  const task: TaskDefinitionInput = {
    ...ds.task, name: `${ds.task.name}-${kind}`, seed: SEED, testFraction: TEST_FRACTION, aggregation,
    minMembers: Math.min(5, ds.members.length), stageTimeoutSeconds: 300,
    model: { kind, task: 'binary' },
  };
  const arm = await federatedArm({ workDir: join(workDir, `${task.name}-fed`), members: ds.members.map((m) => ({ name: m.name, file: m.file })), task, rounds });
  const exported = JSON.parse(readFileSync(arm.modelFile, 'utf8')) as { spec: ModelSpec; pipeline: FeaturePipeline; weights: number[] };
  const federated = { spec: exported.spec, pipeline: exported.pipeline, weights: Float32Array.from(exported.weights) };
  const pooled = await trainCentral(kind, ds, pooledTrain, CENTRAL.epochs, CENTRAL.lr);
  const perMember = [];
  for (const m of members) {
    const labels = new Set(m.test.map((r) => r[ds.task.label ?? '']));
    if (labels.size < 2 || m.train.length < 20) continue; // AUC needs both classes in the member's test rows
    const alone = await trainCentral(kind, ds, m.train, CENTRAL.epochs, CENTRAL.lr);
    perMember.push({
      name: m.name, rows: m.train.length + m.test.length,
      local: await aucOf(alone.spec, alone.pipeline, alone.weights, m.test),
      federated: await aucOf(federated.spec, federated.pipeline, federated.weights, m.test),
    });
  }
  perMember.sort((a, b) => a.rows - b.rows);
  const pooledM = toMatrix(pooled.pipeline, pooledTest, 'bench');
  const pooledScores = await predict(pooled.spec, pooled.weights, pooledM.x);
  return {
    dataset: ds.name, model: kind, members: ds.members.length, rounds: arm.trainRounds, earlyStopped: arm.earlyStopped,
    federated: await aucOf(federated.spec, federated.pipeline, federated.weights, pooledTest),
    pooled: exactAuc(pooledScores, pooledM.y), pooledCi: bootstrapAuc(pooledScores, pooledM.y),
    localMean: perMember.reduce((s, m) => s + m.local, 0) / perMember.length,
    federatedOwnMean: perMember.reduce((s, m) => s + m.federated, 0) / perMember.length,
    smallest: perMember.slice(0, Math.max(1, Math.ceil(perMember.length / 3))),
    fedSeconds: arm.seconds, peakRssMb: arm.peakRss / 2 ** 20, pooledSeconds: pooled.seconds,
  };
}

async function throughput(ds: BenchDataset): Promise<string[]> {
  const members = await splits(ds);
  const train = members.flatMap((m) => m.train);
  const lines: string[] = [];
  // Encoded once per model kind: only training is timed, per backend and batch size.
  const setups = { logistic: centralSetup('logistic', ds, train), mlp: centralSetup('mlp', ds, train) };
  for (const prefer of [['wasm'], ['cpu']]) {
    const backend = await selectBackend(prefer);
    for (const kind of ['logistic', 'mlp'] as const) {
      const { spec, m } = setups[kind];
      for (const batchSize of [32, 256]) {
        const epochs = 3;
        const t0 = performance.now();
        await trainLocal({ spec, weights: initialWeights(spec, 1), x: m.x, y: m.y, epochs, batchSize, learningRate: 0.05, proximalMu: 0, seed: 1, backend });
        const s = (performance.now() - t0) / 1000;
        lines.push(`| ${backend.name} | ${kind} | ${batchSize} | ${m.rows} × ${epochs} | ${s.toFixed(2)} s | ${Math.round((m.rows * epochs) / s).toLocaleString('en-US')} |`);
      }
    }
  }
  return lines;
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

async function main(): Promise<void> {
  const o = new Command()
    .option('--quick', 'synthetic data only, logistic, at most 10 rounds')
    .option('--datasets <list>', 'comma-separated: synthetic,telco,bank,retail', 'synthetic,telco,bank,retail')
    .option('--models <list>', 'comma-separated: logistic,mlp', 'logistic,mlp')
    .option('--rounds <n>', 'training rounds at most (default: the task default, early stopping usually ends sooner)')
    .option('--aggregation <kind>', 'secure (the default of a task) or plain', 'secure')
    .option('--no-throughput', 'skip the per-backend training throughput table')
    .option('--data <dir>', 'folder with the public datasets', resolve(process.cwd(), '../shared/data'))
    .option('--out <file>', 'markdown file to update', 'docs/benchmarks.md')
    .parse().opts<{ quick?: boolean; datasets: string; models: string; rounds?: string; aggregation: 'secure' | 'plain'; throughput: boolean; data: string; out: string }>();
  const rounds = o.quick ? 10 : o.rounds === undefined ? undefined : Number(o.rounds);
  const workDir = mkdtempSync(join(tmpdir(), 'consort-models-bench-'));
  const wanted = o.quick ? ['synthetic'] : o.datasets.split(',');
  const kinds = (o.quick ? ['logistic'] : o.models.split(',')) as ('logistic' | 'mlp')[];
  const datasets: BenchDataset[] = wanted.includes('synthetic') ? [syntheticDataset(workDir)] : [];
  const missing: string[] = [];
  for (const [name, load] of [['telco', telcoDataset], ['bank', bankDataset], ['retail', retailDataset]] as const) {
    if (!wanted.includes(name)) continue;
    const ds = await load(workDir, o.data);
    if (ds) datasets.push(ds); else missing.push(`${name} (looked in ${o.data})`);
  }
  const rows: Row[] = [];
  for (const ds of datasets) {
    for (const kind of kinds) {
      console.log(`[models-bench] ${ds.name} · ${kind} · ${rounds === undefined ? 'default rounds (early stopping)' : `at most ${rounds} rounds`} · ${o.aggregation}`);
      const r = await compare(ds, kind, rounds, o.aggregation, workDir);
      console.log(`  ${r.rounds} rounds${r.earlyStopped ? ' (early stopped)' : ''}: federated AUC ${f3(r.federated)}  pooled ${f3(r.pooled)} [${f3(r.pooledCi[0])}, ${f3(r.pooledCi[1])}]  | on members' own tests: federated ${f3(r.federatedOwnMean)} vs local-only ${f3(r.localMean)}  (${r.fedSeconds.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB)`);
      rows.push(r);
    }
  }
  const tput = o.throughput && datasets.length > 0 ? await throughput(datasets[0]) : [];
  const settings = resolveTaskDefinition({ name: 'defaults', label: 'y', numeric: ['x'] });
  const md = [
    '## Federated vs pooled vs local-only models at the default settings (issues 4, 12)',
    '',
    `Machine: ${machineLine()}. Command: \`npx tsx simulations/src/bench/models-bench.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\`.`,
    '',
    `Federated = the real system (coordinator + one agent per member over loopback gRPC, ${o.aggregation} aggregation${o.aggregation === 'plain' ? ' — see the note below' : ''}) at the task defaults: nothing about training is set in the task, so each round every member runs ${settings.train.localEpochs} local epochs of minibatch SGD (batch ${settings.train.batchSize}, lr ${settings.train.learningRate}), the coordinator averages them (${settings.strategy.name}), and training stops when the federated held-out loss has not improved by ${settings.earlyStopping!.minDelta} for ${settings.earlyStopping!.patience} rounds (at most ${rounds ?? settings.maxRounds}); the final model is the one with the lowest held-out loss. "Rounds" counts training rounds; time and peak RSS are those of the whole federation (all members and the coordinator in one process). Pooled = the same training code (trainLocal) on all members' training rows in one place: minibatch SGD, batch 32, lr 0.05, 20 epochs, with its 95 % bootstrap interval (1,000 resamples of the pooled test rows); local-only = each member alone with the same settings. Every member holds out a stratified 20 % test split (same rows in every arm). AUC is exact AUC on the held-out rows: pooled test rows for federated and pooled, the member's own test rows for the per-member comparison. Vocabularies of categorical columns are those present in the data (a consortium would agree on them). How the defaults were chosen: [Training defaults](#training-defaults-issue-12).`,
    missing.length ? `\nNot run (dataset file absent): ${missing.join(', ')}.` : '',
    o.aggregation === 'plain' ? '\nNote: measured with `aggregation: plain` (the coordinator sums float64 updates in the clear). Until the exact secure statistics round lands, secure aggregation clips the statistics of money-sized columns such as bank\'s `balance` (issue 12); the training rounds themselves are the same, so the numbers should be re-measured with `--aggregation secure` once it has.' : '',
    '',
    '| dataset | split | model | rounds (until stopped) | federated AUC | pooled AUC [95 % CI] | federated − pooled | members\' own tests: federated (mean) | members\' own tests: local-only (mean) | federated wall time | peak RSS |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const ds = datasets.find((d) => d.name === r.dataset)!;
      return `| ${r.dataset} | ${ds.split} | ${r.model} | ${r.rounds}${r.earlyStopped ? '' : ' (cap)'} | ${f3(r.federated)} | ${f3(r.pooled)} [${f3(r.pooledCi[0])}, ${f3(r.pooledCi[1])}] | ${(r.federated - r.pooled >= 0 ? '+' : '') + f3(r.federated - r.pooled)} | ${f3(r.federatedOwnMean)} | ${f3(r.localMean)} | ${r.fedSeconds.toFixed(0)} s | ${r.peakRssMb.toFixed(0)} MB |`;
    }),
    '',
    'Smallest members (a third of the members, smallest first): their own model vs the federated model, each on the member\'s own test rows:',
    '',
    '| dataset | model | member | rows | local-only AUC | federated AUC |',
    '|---|---|---|---|---|---|',
    ...rows.flatMap((r) => r.smallest.map((m) => `| ${r.dataset} | ${r.model} | ${m.name} | ${m.rows} | ${f3(m.local)} | ${f3(m.federated)} |`)),
    ...(tput.length ? [
      '',
      '### Training throughput per backend (rows × epochs per second, first dataset pooled)',
      '',
      '| backend | model | batch | rows × epochs | time | rows·epochs/s |',
      '|---|---|---|---|---|---|',
      ...tput,
      '',
      '`@tensorflow/tfjs-node` / `-node-gpu` cannot install on this machine (their install downloads libtensorflow), so only wasm and cpu are measured here.',
    ] : []),
  ].join('\n');
  writeBenchmarkSection(o.out, 'models', md);
  rmSync(workDir, { recursive: true, force: true });
  console.log(`[models-bench] written to ${o.out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
