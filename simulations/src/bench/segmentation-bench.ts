// Federated segmentation benchmark: secure-sum k-means (init, choice of k, Lloyd rounds, profiles, ONNX) vs centralized k-means++ with 10 restarts.
//   npx tsx simulations/src/bench/segmentation-bench.ts [--data ../shared/data] [--no-write]
//
// In-process simulation of the rounds: every member's contribution is quantized exactly as for
// a secure round (packVector into Z_2^64) and the vectors are added modulo 2^64 with core's
// addInto. The pairwise and self masks are left out: they cancel in the sum by construction
// (tested in core/src/secagg), so the coordinator-side numbers are those of the real protocol.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  addInto, advanceKMeans, bestRun, chooseK, drawCandidates, gateFromCounts, kmeansBestOf, kmeansCost, kmeansDone, localClusterCounts,
  localFeatureStats, localHistograms, localLloydStepRuns, localProfileStats, nearestCentroid, packClusterCounts, packContribution, packHistograms,
  packLloydStep, packProfileStats, refineCandidateChains, pipelineFromStats, SeededRandom, seedFromCandidates, segmentationFeatures, segmentProfiles,
  sessionCentroids, standardizeRows, startKMeans, unpackClusterCounts, unpackHistograms, unpackLloydSum, unpackProfileStats,
  unpackRoundSum, zeroVector, type Candidates, type FeatureRoles, type FeatureSchema, type KMeansSession, type ModVector, type RoundVectorOptions, type SegmentationFeatures,
} from '@consort/core';
import { assignSegment, exportSegmentOnnx, type SegmentModel } from '@consort/core';
import { membershipChanges, SegmentScorer } from '@consort/client-sdk';
import { generateConsortium, parseCsv } from '../generator/index.ts';
import { machineLine, writeBenchmarkSection } from './benchmark-section.ts';

/** One member's rows: raw feature values (NaN = missing) and labels [churned, value]. */
interface BenchMember { name: string; raw: number[][]; labels: number[][] }
interface BenchData { title: string; features: string[]; labels: string[]; members: BenchMember[]; roles: FeatureRoles; operatorK?: number }

/** Lines printed under the tables. */
const notes: string[] = [];

const K_RANGE = [2, 3, 4, 5, 6, 7, 8];
const RESTARTS = 20;
const MIN_COUNT = 20;
const CANDIDATES = 10 * Math.max(...K_RANGE);
const REFINE_STEPS = 2;
const CHAINS = 4;
const ROLES = { recency: 'recency_days', frequency: 'frequency', monetary: 'monetary', tenure: 'tenure_days' };

function num(v: string | number | undefined): number {
  if (v === undefined || v === '') return NaN;
  const x = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(x) ? x : NaN;
}

function syntheticData(): BenchData {
  const features = ['recency_days', 'frequency', 'monetary', 'tenure_days', 'avg_order_value', 'email_opens', 'web_visits'];
  const members = generateConsortium({ members: 8, seed: 42, totalCustomers: 12_000 }).map((m) => ({
    name: m.memberId,
    raw: m.rows.map((r) => features.map((f) => num(r[f as keyof typeof r]))),
    labels: m.rows.map((r) => [num(r.churned), num(r.next_period_spend)]),
  }));
  return { title: 'synthetic consortium (8 members, seed 42)', features, labels: ['churned', 'next_period_spend'], members, roles: ROLES, operatorK: 5 };
}

/**
 * Per-customer RFM from the online-retail transactions as of (last invoice date − 90 days):
 * recency, frequency (distinct invoices), monetary (net), tenure and average order value before
 * the cutoff; churned = no purchase in the 90 days after, value = net spend in them. Members are
 * countries (countries under 10 customers pooled as "Other").
 */
function retailData(file: string): BenchData | null {
  if (!existsSync(file)) return null;
  const { rows } = parseCsv(readFileSync(file, 'utf8'));
  const day = (s: string) => Date.parse(`${s.replace(' ', 'T')}:00Z`) / 86_400_000;
  const dated = rows.filter((r) => r.CustomerID && Number.isFinite(day(r.InvoiceDate)));
  const last = Math.max(...dated.map((r) => day(r.InvoiceDate)));
  const cutoff = last - 90;
  type Acc = { country: string; first: number; last: number; invoices: Set<string>; spend: number; after: number; afterInvoices: number };
  const customers = new Map<string, Acc>();
  for (const r of dated) {
    const t = day(r.InvoiceDate);
    const amount = num(r.Quantity) * num(r.UnitPrice);
    if (!Number.isFinite(amount)) continue;
    let c = customers.get(r.CustomerID);
    if (!c) { c = { country: r.Country, first: Infinity, last: -Infinity, invoices: new Set(), spend: 0, after: 0, afterInvoices: 0 }; customers.set(r.CustomerID, c); }
    if (t < cutoff) {
      c.first = Math.min(c.first, t); c.last = Math.max(c.last, t); c.spend += amount;
      if (!r.InvoiceNo.startsWith('C')) c.invoices.add(r.InvoiceNo);
    } else { c.after += amount; if (!r.InvoiceNo.startsWith('C')) c.afterInvoices++; }
  }
  const active = [...customers.values()].filter((c) => c.invoices.size > 0);
  const perCountry = new Map<string, number>();
  for (const c of active) perCountry.set(c.country, (perCountry.get(c.country) ?? 0) + 1);
  const byMember = new Map<string, BenchMember>();
  for (const c of active) {
    const name = (perCountry.get(c.country) ?? 0) >= 10 ? c.country : 'Other';
    if (!byMember.has(name)) byMember.set(name, { name, raw: [], labels: [] });
    const m = byMember.get(name)!;
    // log1p of counts and money: RFM practice for heavy-tailed retail data (a few wholesalers
    // would otherwise be their own clusters, which a minimum segment size forbids anyway).
    m.raw.push([cutoff - c.last, Math.log1p(c.invoices.size), Math.log1p(Math.max(0, c.spend)), cutoff - c.first, Math.log1p(Math.max(0, c.spend / c.invoices.size))]);
    m.labels.push([c.afterInvoices > 0 ? 0 : 1, c.after]);
  }
  return { title: `online retail, non-UK (${byMember.size} country members)`, features: ['recency_days', 'log_frequency', 'log_monetary', 'tenure_days', 'log_avg_order_value'], labels: ['churned', 'next_90d_spend'], members: [...byMember.values()],
    roles: { recency: 'recency_days', frequency: 'log_frequency', monetary: 'log_monetary', tenure: 'tenure_days' } };
}

function secureSum(vectors: ModVector[]): ModVector {
  const sum = zeroVector(vectors[0].bits, vectors[0].length);
  for (const v of vectors) addInto(sum, v);
  return sum;
}

/** The existing statistics round (round-vector 'statistics' purpose) fits means and stds. */
function statisticsRound(d: BenchData): SegmentationFeatures {
  const schema: FeatureSchema = { numeric: d.features, categorical: [], label: d.labels[0] };
  const n = d.members.length;
  const length = 3 * d.features.length;
  const o: RoundVectorOptions = { purpose: 'statistics', task: 'binary', parameterCount: 0, statisticsLength: length, members: n, maxExamples: 1_000_000, weightClip: 16, weightScaleBits: 16 };
  const vectors = d.members.map((m) => {
    const records = m.raw.map((r) => Object.fromEntries(d.features.map((f, j) => [f, Number.isNaN(r[j]) ? '' : String(r[j])])));
    const stats = localFeatureStats(schema, {}, records);
    return packContribution(o, { values: stats, numExamples: m.raw.length, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [] }).vector;
  });
  const pipeline = pipelineFromStats(schema, {}, unpackRoundSum(o, secureSum(vectors)).vector, 'binary');
  return segmentationFeatures(pipeline.numeric);
}

interface FederatedResult {
  features: SegmentationFeatures;
  session: KMeansSession;
  rounds: { statistics: number; histogram: number; candidates: number; lloyd: number };
  lloydIterations: number;
}

/** Gated Lloyd round: a count round, then sums only for clusters of ≥ gate customers (gate 1: one plain Lloyd round). */
function gatedLloyd(points: Float64Array[][], runs: Float64Array[][], dim: number, gate = MIN_COUNT): ReturnType<typeof unpackLloydSum> {
  const n = points.length;
  const clusters = runs.reduce((a, r) => a + r.length, 0);
  if (gate <= 1) return unpackLloydSum(clusters, dim, n, secureSum(points.map((p) => packLloydStep(localLloydStepRuns(p, runs, dim), dim, n))));
  const counts = unpackClusterCounts(clusters, n, secureSum(points.map((p) => packClusterCounts(localClusterCounts(p, runs, dim), n))));
  const include = gateFromCounts(counts, gate);
  return unpackLloydSum(clusters, dim, n, secureSum(points.map((p) => packLloydStep(localLloydStepRuns(p, runs, dim, { include }), dim, n))));
}

function federated(d: BenchData, gate: number): FederatedResult {
  const features = statisticsRound(d);
  const dim = features.names.length;
  const n = d.members.length;
  const points = d.members.map((m) => standardizeRows(m.raw, features));
  const hist = unpackHistograms(dim, n, secureSum(points.map((p) => packHistograms(localHistograms(p, dim, undefined, features.zClip), dim, n))));
  // CHAINS independent candidate chains ride in the same rounds (one run each); their
  // surviving means are pooled, which gives the weighted k-means++ more diverse candidates.
  const rng = new SeededRandom(9);
  let chains = Array.from({ length: CHAINS }, () => drawCandidates(hist, dim, CANDIDATES, rng, undefined, features.zClip));
  let weighted: Candidates = { points: [], weights: [] };
  for (let s = 0; s < REFINE_STEPS; s++) {
    ({ chains, pooled: weighted } = refineCandidateChains(gatedLloyd(points, chains, dim), chains, dim, MIN_COUNT));
  }
  let session = startKMeans(seedFromCandidates(weighted, K_RANGE, RESTARTS, { seed: 4 }));
  let iterations = 0;
  while (!kmeansDone(session)) {
    const agg = gatedLloyd(points, sessionCentroids(session), dim, gate);
    session = advanceKMeans(session, agg, { tol: 1e-4, maxIterations: 50, minClusterCount: gate }, gate > 1 ? 1 : 0);
    iterations++;
  }
  return { features, session, rounds: { statistics: 1, histogram: 1, candidates: 2 * REFINE_STEPS, lloyd: session.rounds }, lloydIterations: iterations };
}

async function benchDataset(d: BenchData, gate: number): Promise<{ summary: string[]; perK: string[]; profiles: string[] }> {
  const t0 = performance.now();
  const fed = federated(d, gate);
  const ms = performance.now() - t0;
  const pooled = standardizeRows(d.members.flatMap((m) => m.raw), fed.features);
  const choice = chooseK(fed.session, undefined, gate);
  const k = choice.recommended;
  const perK = K_RANGE.map((kk) => {
    const f = kmeansCost(pooled, bestRun(fed.session, kk, gate).centroids);
    const c = kmeansBestOf(pooled, kk, 10, 1, { maxIterations: 300, tol: 1e-9 }).cost;
    const crit = choice.criteria.find((x) => x.k === kk)!;
    return { kk, f, c, crit };
  });
  const chosen = perK.find((p) => p.kk === k)!;
  const totalRounds = fed.rounds.statistics + fed.rounds.histogram + fed.rounds.candidates + fed.rounds.lloyd;
  const profileRounds = 2; // count gate + profile round

  const { rows: profiles, model } = profilesAt(d, fed, k, gate, '');
  const scorer = await SegmentScorer.create(exportSegmentOnnx(model));
  let agree = 0;
  let total = 0;
  for (const m of d.members) {
    const scored = await scorer.score(m.raw);
    m.raw.forEach((r, i) => { total++; if (scored[i].segment === assignSegment(model, r).segment) agree++; });
  }
  await scorer.release();
  if (gate > 1 && d.operatorK !== undefined && d.operatorK !== k) {
    const fixed = profilesAt(d, fed, d.operatorK, gate, ` (k = ${d.operatorK} fixed by the operator)`);
    profiles.push(...fixed.rows);
    // What a member sees locally when the release moves from the chosen k to the operator's k.
    const m0 = d.members[0];
    const changes = membershipChanges(m0.raw.map((r) => assignSegment(model, r).segment), m0.raw.map((r) => assignSegment(fixed.model, r).segment), k, d.operatorK);
    notes.push(`${d.title}: ${m0.name} (local report) — ${changes.moved} of ${changes.total} customers change segment between the k = ${k} and k = ${d.operatorK} models.`);
  }

  const customers = d.members.reduce((a, m) => a + m.raw.length, 0);
  const summary = [
    `| ${d.title} | ${gate > 1 ? `≥ ${gate}` : 'none'} | ${customers.toLocaleString('en-US')} | ${d.features.length} | ${k} (CH ${choice.byCalinskiHarabasz}, DB ${choice.byDaviesBouldin}, elbow ${choice.byElbow}) | ${chosen.f.toFixed(1)} | ${chosen.c.toFixed(1)} | **${(chosen.f / chosen.c).toFixed(4)}** | ${fed.lloydIterations} | ${totalRounds} (1 + 1 + ${fed.rounds.candidates} + ${fed.rounds.lloyd}), then ${profileRounds} for profiles | ${agree}/${total} | ${(ms / 1000).toFixed(1)} s |`,
  ];
  const perKRows = perK.map((p) => `| ${d.title} | ${gate > 1 ? `≥ ${gate}` : 'none'} | ${p.kk} | ${p.f.toFixed(1)} | ${p.c.toFixed(1)} | ${(p.f / p.c).toFixed(4)} | ${p.crit.calinskiHarabasz.toFixed(1)} | ${p.crit.daviesBouldin.toFixed(3)} |`);
  return { summary, perK: perKRows, profiles };
}

/** Count gate + profile round for k segments of the best run, with names (rows of the profile table). */
function profilesAt(d: BenchData, fed: FederatedResult, k: number, gate: number, label: string): { rows: string[]; model: SegmentModel } {
  const run = bestRun(fed.session, k, gate);
  const L = d.labels.length;
  const F = d.features.length;
  const n = d.members.length;
  const assigned = d.members.map((m) => standardizeRows(m.raw, fed.features));
  // Count gate on the released centroids first, so suppressed segments' sums are never sent.
  const sizes = unpackClusterCounts(k, n, secureSum(assigned.map((z) => packClusterCounts(localClusterCounts(z, [run.centroids], F), n))));
  const include = gateFromCounts(sizes, MIN_COUNT);
  const profSum = unpackProfileStats(k, F, L, n, secureSum(d.members.map((m, i) => {
    const seg = assigned[i].map((p) => nearestCentroid(p, run.centroids).index);
    return packProfileStats(localProfileStats(m.raw, seg, m.labels, k, fed.features, include), k, F, L, n);
  })));
  const { overall, segments } = segmentProfiles(profSum, fed.features, { labelNames: d.labels, churnLabel: d.labels[0], valueLabel: d.labels[1], roles: d.roles, minCount: MIN_COUNT });
  const title = `${d.title}${label}`;
  const fmtPct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)} %`);
  const rows = segments.map((s) => `| ${title} | ${s.id} | ${s.name} | ${s.size ?? `< ${MIN_COUNT}`} | ${fmtPct(s.share ?? undefined)} | ${fmtPct(s.churnRate)} | ${s.meanValue?.toFixed(1) ?? '–'} | ${s.description} |`);
  rows.push(`| ${title} | all | (population) | ${overall.size} | 100 % | ${fmtPct(overall.churnRate)} | ${overall.meanValue?.toFixed(1) ?? '–'} | |`);
  return { rows, model: { features: fed.features, centroids: run.centroids, names: segments.map((s) => s.name) } };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dataDir = args.includes('--data') ? args[args.indexOf('--data') + 1] : resolve(import.meta.dirname, '../../../../shared/data');
  const datasets = [syntheticData()];
  const retail = retailData(resolve(dataDir, 'online_retail_sample_non_uk.csv'));
  if (retail) datasets.push(retail);
  else console.warn(`online_retail_sample_non_uk.csv not found under ${dataDir}; benchmarking the synthetic consortium only`);
  const results = [];
  const gated = [];
  for (const d of datasets) {
    const g = await benchDataset(d, MIN_COUNT);
    gated.push(g);
    results.push(g, await benchDataset(d, 1));
  }
  const md = [
    '## Federated segmentation (k-means over secure sums)',
    '',
    `Script: \`npx tsx simulations/src/bench/segmentation-bench.ts\`. Machine: ${machineLine()}.`,
    '',
    `Each member's contribution is quantized as for secure aggregation (packVector into Z_2^64) and summed modulo 2^64; masks are omitted in-process (they cancel). `
      + `Pipeline: statistics round (means/stds) → per-feature histogram round → ${REFINE_STEPS} oversampled Lloyd steps over ${CHAINS} chains × ${CANDIDATES} random candidates (each step with a count gate, minimum ${MIN_COUNT}) → `
      + `weighted k-means++ on candidate means at the coordinator → Lloyd rounds for k = ${K_RANGE[0]}..${K_RANGE[K_RANGE.length - 1]} × ${RESTARTS} restarts in the same vectors, each preceded by a count gate, until every run's relative cost change < 1e-4. `
      + 'Cost = within-cluster sum of squares on the pooled standardized (±8σ-clipped) data; the baseline is centralized k-means++ with 10 restarts on the same data. Goal: ratio ≤ 1.02.',
    '',
    '| dataset | count gate | customers | features | k chosen | federated cost | centralized cost | ratio | Lloyd iterations | secure-sum rounds (stats + histogram + candidates + Lloyd) | ONNX = TS assignment | time |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.flatMap((r) => r.summary),
    '',
    'Per k (the choice-of-k report the operator sees; every k rides in the same rounds):',
    '',
    '| dataset | count gate | k | federated cost | centralized cost | ratio | Calinski–Harabasz | Davies–Bouldin |',
    '|---|---|---|---|---|---|---|---|',
    ...results.flatMap((r) => r.perK),
    '',
    `Segment profiles at the chosen k with the count gate (aggregates only; names derived automatically; segments under ${MIN_COUNT} suppressed):`,
    '',
    '| dataset | id | name | size | share | churn | mean value | description |',
    '|---|---|---|---|---|---|---|---|',
    ...gated.flatMap((r) => r.profiles),
    '',
    ...notes.map((line) => `- ${line}`),
  ].join('\n');
  console.log(md);
  if (!args.includes('--no-write')) writeBenchmarkSection(resolve(import.meta.dirname, '../../../docs/benchmarks.md'), 'segmentation', md);
}

await main();
