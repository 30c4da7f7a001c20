// Utility of differential privacy (issue 17): held-out AUC against ε for customer-level DP-SGD
// and member-level DP-FedAvg, on the synthetic consortium and a shared real dataset, next to the
// same federation without DP. Members run the agent's own DP code (trainLocal with dp,
// privatizeUpdate) in one process; the sum is taken in the clear, which secure aggregation
// reproduces up to quantization (client-sdk/src/train/dp-fedavg.test.ts). ε comes from the
// accountant the coordinator uses, for the training releases of the whole run at δ = 1e-5.
// Writes its section of docs/benchmarks.md and docs/privacy-utility.svg.
//   npx tsx simulations/src/bench/privacy-bench.ts [--quick] [--data ../shared/data]
import { Command } from 'commander';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BoxMullerNormals, PrivacyLedger, SeededRandom, exactAuc, initialWeights, localFeatureStats, pipelineFromStats, pipelineInputDim,
  resolvePrivacyOptions, resolveTaskDefinition, trainingRoundCharges, type ModelSpec, type PrivacyLevel,
} from '@consort/core';
import { predict, privatizeUpdate, readMemberCsv, stratifiedSplit, toMatrix, trainLocal } from '@consort/client-sdk';
import { syntheticDataset, telcoDataset, type BenchDataset } from './model-datasets.ts';
import { machineLine, writeBenchmarkSection } from './benchmark-section.ts';

const SEED = 11;
const DELTA = 1e-5;

interface Encoded { x: Float32Array; y: Float32Array; rows: number }
interface Setup { spec: ModelSpec; members: Encoded[]; test: Encoded }

interface Arm { level: PrivacyLevel | 'none'; sigma: number; clipNorm: number; epochs: number; batchSize: number; learningRate: number }
interface Point { dataset: string; arm: Arm; epsilon: number; auc: number; seconds: number }

async function setupOf(ds: BenchDataset): Promise<Setup> {
  const def = resolveTaskDefinition(ds.task);
  const schema = { numeric: def.numeric, categorical: def.categorical, label: def.label, positiveLabel: def.positiveLabel, protected: def.protected };
  const positive = new Set(schema.positiveLabel);
  const trains: Record<string, string>[][] = [];
  const tests: Record<string, string>[] = [];
  for (const m of ds.members) {
    const table = await readMemberCsv(m.file, schema);
    const { train, test } = stratifiedSplit(table.records, (r) => (positive.has(r[schema.label]) ? 1 : 0), 0.2, SEED);
    trains.push(train);
    tests.push(...test);
  }
  // The statistics round fits the same pipeline from the exact pooled sums.
  const pipeline = pipelineFromStats(schema, def.vocabularies, localFeatureStats(schema, def.vocabularies, trains.flat()), 'binary');
  const spec: ModelSpec = { kind: 'logistic', task: 'binary', inputDim: pipelineInputDim(pipeline), hidden: [], activation: 'relu', dropout: 0, l2: 0 };
  return { spec, members: trains.map((t) => toMatrix(pipeline, t, ds.name)), test: toMatrix(pipeline, tests, ds.name) };
}

/** One federated run of `rounds` rounds; returns the final model's held-out AUC and the run's ε. */
async function runArm(s: Setup, arm: Arm, rounds: number): Promise<{ auc: number; epsilon: number }> {
  const rng = new SeededRandom(SEED);
  const normals = new BoxMullerNormals(() => rng.nextUint32());
  const n = s.members.length;
  const minRows = Math.min(...s.members.map((m) => m.rows));
  const privacy = arm.level === 'none' ? undefined : resolvePrivacyOptions({ level: arm.level, epsilon: 1e9, delta: DELTA, noiseMultiplier: arm.sigma, clipNorm: arm.clipNorm, minRows });
  const ledger = new PrivacyLedger({ epsilon: 1e9, delta: DELTA });
  let global = initialWeights(s.spec, SEED);
  for (let r = 0; r < rounds; r++) {
    const sum = new Float64Array(global.length);
    let weight = 0;
    for (const [k, m] of s.members.entries()) {
      const base = { spec: s.spec, weights: global, x: m.x, y: m.y, epochs: arm.epochs, batchSize: arm.batchSize, learningRate: arm.learningRate, proximalMu: 0, seed: SEED + 97 * r + k };
      let w: Float32Array;
      let nk = m.rows;
      if (privacy?.level === 'customer') {
        const samplingRate = Math.min(1, arm.batchSize / minRows);
        w = (await trainLocal({ ...base, dp: { clipNorm: arm.clipNorm, noiseMultiplier: arm.sigma, samplingRate, steps: Math.ceil(arm.epochs / samplingRate), normals, uniform32: () => rng.nextUint32() } })).weights;
        nk = 1;
      } else {
        w = (await trainLocal(base)).weights;
        if (privacy?.level === 'member') {
          w = privatizeUpdate({ global, local: w, clipNorm: arm.clipNorm, noiseMultiplier: arm.sigma, invited: n, normals }).weights;
          nk = 1;
        }
      }
      for (let i = 0; i < w.length; i++) sum[i] += nk * w[i];
      weight += nk;
    }
    global = Float32Array.from(sum, (v) => v / weight);
    if (privacy) ledger.charge(...trainingRoundCharges(privacy, { round: r, train: { localEpochs: arm.epochs, batchSize: arm.batchSize }, memberSamplingRate: 1, invited: n, survivors: n }));
  }
  const scores = await predict(s.spec, global, s.test.x);
  return { auc: exactAuc(scores, s.test.y), epsilon: privacy ? ledger.spent().customer.epsilon : Infinity };
}

function arms(quick: boolean): Arm[] {
  const plain: Arm = { level: 'none', sigma: 0, clipNorm: 0, epochs: 1, batchSize: 32, learningRate: 0.1 };
  const customer = (sigma: number): Arm => ({ level: 'customer', sigma, clipNorm: 1, epochs: 1, batchSize: 64, learningRate: 1 });
  const member = (sigma: number): Arm => ({ level: 'member', sigma, clipNorm: 0.5, epochs: 1, batchSize: 32, learningRate: 0.1 });
  return [plain, ...(quick ? [1, 3] : [0.7, 1, 1.5, 3, 6]).map(customer), ...(quick ? [0.5, 2] : [0.25, 0.5, 1, 2]).map(member)];
}

/** AUC against log ε, one polyline per dataset × level, the no-DP AUC as a dashed line: a static SVG. */
function svgPlot(points: Point[]): string {
  const W = 640;
  const H = 400;
  const pad = { l: 60, r: 170, t: 20, b: 50 };
  const finite = points.filter((p) => Number.isFinite(p.epsilon));
  const lx = finite.map((p) => Math.log10(p.epsilon));
  const x0 = Math.floor(Math.min(...lx));
  const x1 = Math.ceil(Math.max(...lx));
  const y0 = 0.5;
  const y1 = 1;
  const X = (e: number) => pad.l + ((Math.log10(e) - x0) / (x1 - x0)) * (W - pad.l - pad.r);
  const Y = (a: number) => H - pad.b - ((Math.min(Math.max(a, y0), y1) - y0) / (y1 - y0)) * (H - pad.t - pad.b);
  const colours = ['#1b6ca8', '#d1495b', '#00798c', '#edae49'];
  const parts: string[] = [];
  for (let e = x0; e <= x1; e++) parts.push(`<line x1="${X(10 ** e)}" y1="${H - pad.b}" x2="${X(10 ** e)}" y2="${pad.t}" stroke="#eee"/><text x="${X(10 ** e)}" y="${H - pad.b + 16}" text-anchor="middle" font-size="11">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(Math.abs(e))}</text>`);
  for (let a = 0.5; a <= 1.0001; a += 0.1) parts.push(`<line x1="${pad.l}" y1="${Y(a)}" x2="${W - pad.r}" y2="${Y(a)}" stroke="#eee"/><text x="${pad.l - 6}" y="${Y(a) + 4}" text-anchor="end" font-size="11">${a.toFixed(1)}</text>`);
  parts.push(`<text x="${(pad.l + W - pad.r) / 2}" y="${H - 12}" text-anchor="middle" font-size="12">ε (δ = ${DELTA}), log scale</text>`);
  parts.push(`<text x="14" y="${(H - pad.b + pad.t) / 2}" transform="rotate(-90 14 ${(H - pad.b + pad.t) / 2})" text-anchor="middle" font-size="12">held-out AUC</text>`);
  const groups = [...new Set(finite.map((p) => `${p.dataset}|${p.arm.level}`))];
  groups.forEach((g, i) => {
    const [dataset, level] = g.split('|');
    const c = colours[i % colours.length];
    const pts = finite.filter((p) => p.dataset === dataset && p.arm.level === level).sort((a, b) => a.epsilon - b.epsilon);
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${X(p.epsilon).toFixed(1)},${Y(p.auc).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${X(p.epsilon).toFixed(1)}" cy="${Y(p.auc).toFixed(1)}" r="3" fill="${c}"/>`);
    const base = points.find((p) => p.dataset === dataset && p.arm.level === 'none');
    if (base && level === 'customer') parts.push(`<line x1="${pad.l}" y1="${Y(base.auc)}" x2="${W - pad.r}" y2="${Y(base.auc)}" stroke="${c}" stroke-dasharray="4 3"/>`);
    parts.push(`<rect x="${W - pad.r + 10}" y="${pad.t + 18 * i}" width="10" height="10" fill="${c}"/><text x="${W - pad.r + 24}" y="${pad.t + 18 * i + 9}" font-size="11">${dataset.split(' ')[0]}, ${level}</text>`);
  });
  parts.push(`<text x="${W - pad.r + 10}" y="${pad.t + 18 * groups.length + 12}" font-size="10" fill="#555">dashed: no DP (same federation)</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif"><rect width="${W}" height="${H}" fill="white"/>${parts.join('')}</svg>\n`;
}

async function main(): Promise<void> {
  const program = new Command().option('--quick', 'two noise levels per level, 5 rounds').option('--data <dir>', 'shared datasets', '../shared/data')
    .option('--rounds <n>', 'federated rounds per run', (v) => Number(v), 15).parse();
  const o = program.opts<{ quick?: boolean; data: string; rounds: number }>();
  const rounds = o.quick ? 5 : o.rounds;
  const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
  const work = mkdtempSync(join(tmpdir(), 'consort-privacy-bench-'));
  const points: Point[] = [];
  try {
    const datasets = [syntheticDataset(work), await telcoDataset(work, resolve(root, o.data))].filter((d): d is BenchDataset => d !== undefined);
    for (const ds of datasets) {
      const s = await setupOf(ds);
      for (const arm of arms(o.quick ?? false)) {
        const t0 = performance.now();
        const { auc, epsilon } = await runArm(s, arm, rounds);
        const p = { dataset: ds.name, arm, epsilon, auc, seconds: (performance.now() - t0) / 1000 };
        points.push(p);
        console.log(`${ds.name} ${arm.level} σ=${arm.sigma}: ε=${epsilon.toFixed(2)} AUC=${auc.toFixed(4)} (${p.seconds.toFixed(1)} s)`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(join(root, 'docs/privacy-utility.svg'), svgPlot(points));
  const rows = points.map((p) => `| ${p.dataset} | ${p.arm.level === 'none' ? 'no DP' : p.arm.level} | ${p.arm.level === 'none' ? '—' : p.arm.sigma} | ${p.arm.level === 'none' ? '—' : p.arm.clipNorm} | ${Number.isFinite(p.epsilon) ? p.epsilon.toFixed(2) : '∞'} | ${p.auc.toFixed(3)} |`);
  writeBenchmarkSection(join(root, 'docs/benchmarks.md'), 'privacy', `## Differential privacy: AUC against ε (issue 17)

\`npx tsx simulations/src/bench/privacy-bench.ts${o.quick ? ' --quick' : ''}\` — ${machineLine()}. ${rounds} federated rounds of logistic regression,
every member in every round, the final model's AUC on all members' held-out rows (20 %, exact, no noise: the
benchmark's own measurement). ε is the accountant's for the training releases at δ = ${DELTA} (the
per-round evaluation releases a task also makes are charged on top when \`releaseNoiseMultiplier\` is set).
Customer level: DP-SGD, clip 1, batch 64 expected at the smallest member (q = 64 / its rows), 1 epoch per
round, learning rate 1. Member level: DP-FedAvg, update clip 0.5, the noise split across all members. No DP:
the task defaults' FedAvg (weighted by rows, batch 32, learning rate 0.1). Plot: docs/privacy-utility.svg.

| dataset | DP level | σ | clip | ε | AUC |
|---|---|---|---|---|---|
${rows.join('\n')}
`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
