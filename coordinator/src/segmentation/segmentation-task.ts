// Runs a segmentation task as real secure-sum rounds: statistics -> histogram -> candidate refinement -> gated Lloyd until converged -> k -> profile, one model version.
//
// The protocol itself is core's (pure functions, also driven in-process by the segmentation
// benchmark); this module only sequences it over persisted rounds and decodes sums. Every
// number it sees is a sum over the round's surviving members.
import {
  ConsortError, SeededRandom, advanceKMeans, bestRun, chooseK, drawCandidates, gateFromCounts, kmeansDone, refineCandidateChains,
  seedFromCandidates, segmentationFeatures, segmentationRoundLayout, segmentProfiles, sessionCentroids, startKMeans, unpackClusterCounts,
  unpackHistograms, unpackLloydSum, unpackProfileStats, DEFAULT_HISTOGRAM_BINS, DEFAULT_MAX_EXAMPLES, DEFAULT_Z_CLIP,
  type Candidates, type ClusterAggregates, type KMeansSession, type ModVector, type SegmentationFeatures, type SegmentationRoundPurpose,
  type SegmentationRoundShape, type SegmentationSettings, type SegmentationWorkOrder, type TaskDefinition, type VectorLayout,
} from '@consort/core';
import type { JsonObject, Store, TaskRecord } from '../store/store.ts';
import type { RoundReport } from '../round/round-types.ts';
import type { SumRoundClose } from '../round/secure-sum-round.ts';
import { segmentationOrder, taskDefinitionOf } from '../round/task-codec.ts';

/** What this flow needs to run rounds (kept narrow: it sequences, the lifecycle runs rounds). */
export interface SegmentationRounds {
  /** The statistics round fitting the features' means and spreads. */
  statisticsRound(task: TaskRecord): Promise<RoundReport>;
  /** One secure-sum round; `close` decodes the sum before the round closes. */
  secureSumRound(task: TaskRecord, purpose: SegmentationRoundPurpose, layoutFor: (members: number) => VectorLayout, payloadJson: string,
    close: (sum: ModVector, members: number, survivors: string[]) => Promise<SumRoundClose>): Promise<RoundReport>;
}

/** Candidate chains riding in the same refinement rounds, and refinement steps (as in the benchmark). */
const CHAINS = 2;
const REFINE_STEPS = 2;
const TOLERANCE = 1e-4;

interface Ctx {
  rounds: SegmentationRounds;
  task: TaskRecord;
  def: TaskDefinition;
  s: SegmentationSettings;
  features: SegmentationFeatures;
  dim: number;
  report: (r: RoundReport) => void;
  used: Record<string, number>;
}

/**
 * The most secure-sum rounds a segmentation task takes: the statistics round (when the task has
 * no fitted statistics yet), one histogram round, a count gate and a Lloyd round per candidate
 * refinement step, a count gate and a Lloyd round per k-means iteration (at most maxIterations:
 * the loop ends earlier once every run's cost is stable), and two profile rounds.
 */
export function segmentationRoundBudget(s: Pick<SegmentationSettings, 'maxIterations'>, withStatistics = true): number {
  return (withStatistics ? 1 : 0) + 1 + 2 * REFINE_STEPS + 2 * s.maxIterations + 2;
}

/** One line for a run header: what a segmentation run will do, and how its rounds are decided. */
export function segmentationPlan(s: SegmentationSettings, withStatistics = true): string {
  const ks = s.fixedK !== undefined ? `k = ${s.fixedK} (fixed)` : `k in ${s.ks[0]}..${s.ks[s.ks.length - 1]} (chosen by Calinski–Harabasz)`;
  return `segmentation: ${ks}, ${s.restarts} restart${s.restarts > 1 ? 's' : ''}, up to ${segmentationRoundBudget(s, withStatistics)} secure-sum rounds `
    + `(k-means runs until its cost is stable, at most ${s.maxIterations} Lloyd iterations of 2 rounds each: segmentation.maxIterations; a round count given to run does not apply)`;
}

/** Thrown inside the flow when a round aborts: the task stops with the reports so far. */
class Stopped extends Error {}

/**
 * The whole segmentation task. Returns every round's report; an aborted round ends the task
 * (its report says why), like a model task's aborted statistics round.
 */
export async function runSegmentationTask(deps: { rounds: SegmentationRounds; store: Pick<Store, 'getTask'> }, task: TaskRecord,
  report: (r: RoundReport) => void): Promise<RoundReport[]> {
  const { rounds, store } = deps;
  const reports: RoundReport[] = [];
  const collect = (r: RoundReport) => { reports.push(r); report(r); };
  const def = taskDefinitionOf(task);
  const s = def.segmentation;
  if (!s) throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} has no segmentation settings; create it with kind "segmentation"`);
  if (!task.pipeline) {
    const stats = await rounds.statisticsRound(task);
    collect(stats);
    if (stats.state !== 'published') return reports;
  }
  const fitted = await store.getTask(task.id);
  const pipeline = fitted.pipeline as { numeric: { name: string; mean: number; std: number }[] } | null;
  if (!pipeline) throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} has no fitted statistics; run its statistics round first`);
  const byName = new Map(pipeline.numeric.map((n) => [n.name, n]));
  const features = segmentationFeatures(s.features.map((f) => byName.get(f) ?? { name: f, mean: NaN, std: NaN }));
  const ctx: Ctx = {
    rounds, task: fitted, def, s, features, dim: features.names.length, report: collect,
    used: { statistics: task.pipeline ? 0 : 1, histogram: 0, candidates: 0, lloyd: 0, profile: 0 },
  };
  try {
    await flow(ctx);
  } catch (err) {
    if (!(err instanceof Stopped)) throw err;
  }
  return reports;
}

function shapeOf(ctx: Ctx, purpose: SegmentationRoundPurpose, extra: Partial<SegmentationRoundShape> = {}): SegmentationRoundShape {
  return { purpose, dim: ctx.dim, maxExamples: DEFAULT_MAX_EXAMPLES, zClip: ctx.features.zClip, ...extra };
}

/** One secure-sum round; the sum is decoded with the round's own member count. */
async function sumRound<T>(ctx: Ctx, shape: SegmentationRoundShape, order: Partial<SegmentationWorkOrder>, counter: string,
  decode: (sum: ModVector, members: number) => T, detail: (value: T) => JsonObject = () => ({}),
  model?: (value: T) => { weights: Float32Array; metrics: JsonObject }): Promise<T> {
  const payload: SegmentationWorkOrder = { ...segmentationOrder(ctx.def, shape.purpose), ...order, shape };
  let value: T | undefined;
  const result = await ctx.rounds.secureSumRound(ctx.task, shape.purpose, (members) => segmentationRoundLayout(shape, members), JSON.stringify(payload),
    async (sum, members) => {
      value = decode(sum, members);
      return { detail: detail(value), model: model?.(value) };
    });
  ctx.report(result);
  if (result.state !== 'published' || value === undefined) throw new Stopped(result.reason);
  ctx.used[counter] += 1;
  return value;
}

/**
 * A count gate, then a Lloyd round whose sums leave out clusters under the minimum count: no
 * sum of fewer customers ever reaches the coordinator (PRIVACY.md).
 */
async function gatedLloyd(ctx: Ctx, runs: Float64Array[][], counter: string): Promise<{ agg: ClusterAggregates; include: boolean[] }> {
  const clusters = runs.reduce((n, r) => n + r.length, 0);
  const wire = runs.map((r) => r.map((c) => Array.from(c)));
  const bounds = { maxExamples: DEFAULT_MAX_EXAMPLES, zClip: ctx.features.zClip };
  const counts = await sumRound(ctx, shapeOf(ctx, 'segmentation-count-gate', { clusters }), { runs: wire }, counter,
    (sum, members) => unpackClusterCounts(clusters, members, sum, bounds),
    (c) => ({ clusters, gated: c.filter((x) => x < ctx.s.minClusterCount).length }));
  const include = gateFromCounts(counts, ctx.s.minClusterCount);
  const agg = await sumRound(ctx, shapeOf(ctx, 'segmentation-lloyd', { clusters }), { runs: wire, include }, counter,
    (sum, members) => unpackLloydSum(clusters, ctx.dim, members, sum, bounds),
    (a) => ({ clusters, cost: a.clusterCost.reduce((x, y) => x + y, 0) }));
  return { agg, include };
}

async function flow(ctx: Ctx): Promise<void> {
  const { s, dim, features } = ctx;
  const bins = DEFAULT_HISTOGRAM_BINS;
  const bounds = { maxExamples: DEFAULT_MAX_EXAMPLES, zClip: features.zClip };
  // 1. Marginal histograms of the standardized features: where to draw candidates from.
  const hist = await sumRound(ctx, shapeOf(ctx, 'segmentation-histogram', { bins }), {}, 'histogram',
    (sum, members) => unpackHistograms(dim, members, sum, bins, bounds));
  const customers = hist.slice(0, bins).reduce((a, b) => a + b, 0);
  // 2. Candidates: enough that each can gather minClusterCount customers, at least 2 per cluster.
  const kMax = Math.max(...s.ks);
  const candidates = Math.max(2 * kMax, Math.min(10 * kMax, Math.floor(customers / (2 * s.minClusterCount))));
  const rng = new SeededRandom(ctx.def.seed);
  let chains = Array.from({ length: CHAINS }, () => drawCandidates(hist, dim, candidates, rng, bins, features.zClip));
  let pooled: Candidates = { points: [], weights: [] };
  for (let step = 0; step < REFINE_STEPS; step++) {
    const { agg } = await gatedLloyd(ctx, chains, 'candidates');
    ({ chains, pooled } = refineCandidateChains(agg, chains, dim, s.minClusterCount));
  }
  // 3. Seeding on candidate means only, then federated Lloyd rounds for every run at once.
  let session: KMeansSession = startKMeans(seedFromCandidates(pooled, s.ks, s.restarts, { seed: ctx.def.seed }));
  while (!kmeansDone(session)) {
    const { agg } = await gatedLloyd(ctx, sessionCentroids(session), 'lloyd');
    session = advanceKMeans(session, agg, { tol: TOLERANCE, maxIterations: s.maxIterations, minClusterCount: s.minClusterCount }, 1);
  }
  // 4. k (the operator's, or Calinski–Harabasz's) and its best run.
  const choice = chooseK(session, s.fixedK, s.minClusterCount);
  const k = choice.recommended;
  const run = bestRun(session, k, s.minClusterCount);
  const centroids = run.centroids.map((c) => Array.from(c));
  // 5. Profiles of the released centroids, count-gated so suppressed segments send no sums.
  const sizes = await sumRound(ctx, shapeOf(ctx, 'segmentation-count-gate', { clusters: k }), { runs: [centroids] }, 'profile',
    (sum, members) => unpackClusterCounts(k, members, sum, bounds), () => ({ clusters: k }));
  const include = gateFromCounts(sizes, s.minClusterCount);
  const L = s.profileLabels.length;
  await sumRound(ctx, shapeOf(ctx, 'segmentation-profile', { clusters: k, labels: L }), { runs: [centroids], include }, 'profile',
    (sum, members) => segmentProfiles(unpackProfileStats(k, dim, L, members, sum, DEFAULT_MAX_EXAMPLES), features, {
      labelNames: s.profileLabels, churnLabel: s.churnLabel, valueLabel: s.valueLabel, roles: s.roles, minCount: s.minClusterCount,
    }),
    (p) => ({ k, segments: p.segments.map((x) => x.name) }),
    (p) => {
      ctx.used.profile += 1; // this round, counted before the model's metrics are written
      const weights = new Float32Array(k * dim);
      centroids.forEach((c, i) => weights.set(c, i * dim));
      return {
        weights,
        metrics: {
          kind: 'segmentation', k, dim, features: features.names, standardization: { mean: features.mean, std: features.std, zClip: features.zClip ?? DEFAULT_Z_CLIP },
          criteria: { summary: choice.summary, byCalinskiHarabasz: choice.byCalinskiHarabasz, byDaviesBouldin: choice.byDaviesBouldin, byElbow: choice.byElbow, perK: choice.criteria },
          profiles: { overall: p.overall, segments: p.segments },
          names: p.segments.map((x) => x.name), descriptions: p.segments.map((x) => x.description),
          minClusterCount: s.minClusterCount, iterations: run.iterations, costHistory: run.costHistory,
          rounds: { ...ctx.used, secureSumRounds: Object.values(ctx.used).reduce((a, b) => a + b, 0) },
        },
      };
    });
}
