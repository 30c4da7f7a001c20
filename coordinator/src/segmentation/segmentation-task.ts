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
  type SegmentationRoundShape, type SegmentationSettings, type SegmentationTask, type SegmentationWorkOrder, type VectorLayout,
  cleanNoisyLloyd, noisyCountsAtLeastZero, segmentationCharge, statisticsCharge,
  type PrivacyCharge, type PrivacyLedger, type ProfileStats, type SegmentationPrivacy,
} from '@consort/core';
import type { JsonObject, Store, TaskRecord } from '../store/store.ts';
import type { RoundReport } from '../round/round-types.ts';
import type { SumRoundClose, SumRoundFacts } from '../round/secure-sum-round.ts';
import { segmentationOrder, taskDefinitionOf } from '../round/task-codec.ts';
import { chargeRound, checkChargesFit, loadLedger, type PrivacyStatus, type RoundPrivacy } from '../privacy/privacy-budget.ts';

/** What this flow needs to run rounds (kept narrow: it sequences, the lifecycle runs rounds). */
export interface SegmentationRounds {
  /** The statistics round fitting the features' means and spreads (charged to `privacy`'s ledger under DP). */
  statisticsRound(task: TaskRecord, privacy?: RoundPrivacy): Promise<RoundReport>;
  /**
   * One secure-sum round; `close` decodes the sum before the round closes; `admit` may refuse the
   * round (throw) before any member hears of it.
   */
  secureSumRound(task: TaskRecord, purpose: SegmentationRoundPurpose, layoutFor: (members: number) => VectorLayout, payloadJson: string,
    close: (sum: ModVector, members: number, survivors: string[], facts: SumRoundFacts) => Promise<SumRoundClose>,
    admit?: (invited: number, number: number) => void): Promise<RoundReport>;
}

/** A private run's hold on the task's budget. */
interface SegmentationDp extends RoundPrivacy {
  privacy: SegmentationPrivacy;
  /** Members invited to the last round (the worst case of the next one is sized from it). */
  invited: number;
  /** The spend after the last charged round. */
  status?: PrivacyStatus;
}

/** Candidate chains riding in the same refinement rounds, and refinement steps (as in the benchmark). */
const CHAINS = 2;
const REFINE_STEPS = 2;
const TOLERANCE = 1e-4;

interface Ctx {
  rounds: SegmentationRounds;
  task: TaskRecord;
  def: SegmentationTask;
  s: SegmentationSettings;
  features: SegmentationFeatures;
  dim: number;
  report: (r: RoundReport) => void;
  used: Record<string, number>;
  store: Pick<Store, 'appendAuditEvent'>;
  logger?: SegmentationLogger;
  dp?: SegmentationDp;
}

/** Where the flow says what it spends (the coordinator's logger). */
export interface SegmentationLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/**
 * The most secure-sum rounds a segmentation task takes: the statistics round (when the task has
 * no fitted statistics yet), one histogram round, a count gate and a Lloyd round per candidate
 * refinement step, a count gate and a Lloyd round per k-means iteration (at most maxIterations:
 * the loop ends earlier once every run's cost is stable), and two profile rounds.
 */
export function segmentationRoundBudget(s: Pick<SegmentationSettings, 'maxIterations'>, withStatistics = true, private_ = false): number {
  // Under differential privacy the profile comes from the last Lloyd sums: only its count gate runs.
  return (withStatistics ? 1 : 0) + 1 + 2 * REFINE_STEPS + 2 * s.maxIterations + (private_ ? 1 : 2);
}

/**
 * The charges of a private segmentation run of `iterations` Lloyd iterations, every invited member
 * surviving: the noisy statistics (when still to fit), the histogram, the candidate refinement
 * (gate + Lloyd per step), gate + Lloyd per iteration, and the profile's count gate.
 */
export function plannedSegmentationCharges(privacy: SegmentationPrivacy, iterations: number, withStatistics: boolean): PrivacyCharge[] {
  const one = (purpose: SegmentationRoundPurpose) => segmentationCharge(privacy, purpose, 0, 1, 1);
  const gated = [...one('segmentation-count-gate'), ...one('segmentation-lloyd')];
  return [
    ...(withStatistics ? statisticsCharge(privacy, 0, 1, 1) : []), ...one('segmentation-histogram'),
    ...Array.from({ length: REFINE_STEPS + iterations }, () => gated).flat(), ...one('segmentation-count-gate'),
  ];
}

/**
 * Refuses (PRIVACY_BUDGET_EXHAUSTED) a private segmentation run whose worst case — segmentation.
 * maxIterations Lloyd iterations — cannot fit the task's budget, naming how many iterations would
 * fit. Returns the planned ε.
 */
export function checkPlannedSegmentation(def: SegmentationTask, privacy: SegmentationPrivacy, ledger: PrivacyLedger, withStatistics: boolean): number {
  const max = def.segmentation.maxIterations;
  const planned = ledger.epsilonAfter(plannedSegmentationCharges(privacy, max, withStatistics));
  if (planned <= privacy.epsilon) return planned;
  let fit = -1;
  while (fit < max && ledger.epsilonAfter(plannedSegmentationCharges(privacy, fit + 1, withStatistics)) <= privacy.epsilon) fit++;
  throw new ConsortError('PRIVACY_BUDGET_EXHAUSTED',
    `segmentation task "${def.name}" would spend up to ε=${planned.toFixed(3)} (δ=${privacy.delta}) in ${segmentationRoundBudget(def.segmentation, withStatistics, true)} rounds `
    + `(${max} Lloyd iterations), beyond its budget ε=${privacy.epsilon}`
    + (ledger.charges.length ? ` (ε=${ledger.spent().customer.epsilon.toFixed(3)} already spent)` : '')
    + (fit >= 1
      ? `; ${fit} Lloyd iteration${fit === 1 ? '' : 's'} fit. These settings are pinned with the task: define a new task with segmentation.maxIterations ${fit}, a larger privacy.noiseMultiplier or a larger budget (privacy.epsilon)`
      : '; not even one Lloyd iteration fits. These settings are pinned with the task: define a new task with a larger privacy.noiseMultiplier (and privacy.statistics.noiseMultiplier) or a larger budget (privacy.epsilon)'),
    { plannedEpsilon: planned, budgetEpsilon: privacy.epsilon, iterationsThatFit: Math.max(0, fit) });
}

/** One line for a run header: what a segmentation run will do, and how its rounds are decided. */
export function segmentationPlan(s: SegmentationSettings, withStatistics = true, private_ = false): string {
  const ks = s.fixedK !== undefined ? `k = ${s.fixedK} (fixed)` : `k in ${s.ks[0]}..${s.ks[s.ks.length - 1]} (chosen by Calinski–Harabasz)`;
  return `segmentation: ${ks}, ${s.restarts} restart${s.restarts > 1 ? 's' : ''}, up to ${segmentationRoundBudget(s, withStatistics, private_)} secure-sum rounds `
    + `(k-means runs until its cost is stable, at most ${s.maxIterations} Lloyd iterations of 2 rounds each: segmentation.maxIterations; a round count given to run does not apply)`;
}

/** Thrown inside the flow when a round aborts: the task stops with the reports so far. */
class Stopped extends Error {}

/**
 * The whole segmentation task. Returns every round's report; an aborted round ends the task
 * (its report says why), like a model task's aborted statistics round.
 */
export async function runSegmentationTask(deps: { rounds: SegmentationRounds; store: Pick<Store, 'getTask' | 'listAuditEvents' | 'appendAuditEvent'>; logger?: SegmentationLogger },
  task: TaskRecord, report: (r: RoundReport) => void): Promise<RoundReport[]> {
  const { rounds, store } = deps;
  const reports: RoundReport[] = [];
  const collect = (r: RoundReport) => { reports.push(r); report(r); };
  const def = taskDefinitionOf(task);
  if (def.kind !== 'segmentation') throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} is not a segmentation task; create one with kind "segmentation"`);
  const s = def.segmentation;
  // Differential privacy: refuse to start a run whose worst case cannot fit the budget.
  let dp: SegmentationDp | undefined;
  if (def.privacy) {
    dp = { privacy: def.privacy, ledger: await loadLedger(store, task.id, def.privacy), refused: false, invited: 0 };
    const planned = checkPlannedSegmentation(def, def.privacy, dp.ledger, !task.pipeline);
    deps.logger?.info({ task: task.id, plannedEpsilon: planned }, `privacy: planned ε ≤ ${planned.toFixed(3)} of ${def.privacy.epsilon} (δ=${def.privacy.delta}) for the segmentation run`);
  }
  if (!task.pipeline) {
    const stats = await rounds.statisticsRound(task, dp);
    collect(stats);
    if (stats.state !== 'published') return reports;
  }
  const fitted = await store.getTask(task.id);
  const pipeline = fitted.pipeline as { numeric: { name: string; mean: number; std: number }[] } | null;
  if (!pipeline) throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} has no fitted statistics; run its statistics round first`);
  const byName = new Map(pipeline.numeric.map((n) => [n.name, n]));
  // Under DP standardized values are clipped to the task's privacy.clip (the bound the noise is calibrated on).
  const features = segmentationFeatures(s.features.map((f) => byName.get(f) ?? { name: f, mean: NaN, std: NaN }), def.privacy?.clip ?? DEFAULT_Z_CLIP);
  const ctx: Ctx = {
    rounds, task: fitted, def, s, features, dim: features.names.length, report: collect, store, ...(deps.logger ? { logger: deps.logger } : {}), ...(dp ? { dp } : {}),
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
  const { dp } = ctx;
  const admit = dp && ((invited: number, number: number) => {
    try {
      // Before any member hears of the round: its worst case (only minMembers survive) must fit the budget.
      checkChargesFit(ctx.def.name, dp.privacy, dp.ledger, shape.purpose, segmentationCharge(dp.privacy, shape.purpose, number, Math.min(invited, ctx.def.minMembers), invited));
    } catch (err) {
      dp.refused = true;
      throw err;
    }
    dp.invited = invited;
  });
  const result = await ctx.rounds.secureSumRound(ctx.task, shape.purpose, (members) => segmentationRoundLayout(shape, members), JSON.stringify(payload),
    async (sum, members, survivors, facts) => {
      // The sum is seen: its cost is spent now, whatever the decoding decides.
      const privacy = dp ? await chargeSegmentationRound(ctx, dp, shape.purpose, facts) : undefined;
      value = decode(sum, members);
      return { detail: detail(value), model: model?.(value), ...(privacy ? { privacy } : {}) };
    }, admit);
  ctx.report(result);
  if (result.state !== 'published' || value === undefined) throw new Stopped(result.reason);
  ctx.used[counter] += 1;
  return value;
}

/** Records a private round's release in the ledger and the audit log, and logs the spend. */
async function chargeSegmentationRound(ctx: Ctx, dp: SegmentationDp, purpose: SegmentationRoundPurpose, facts: SumRoundFacts): Promise<PrivacyStatus> {
  const status = await chargeRound(ctx.store, ctx.task.id, dp.ledger, segmentationCharge(dp.privacy, purpose, facts.number, facts.survivors.length, facts.members), dp.privacy);
  dp.status = status;
  ctx.logger?.info({ task: ctx.task.id, round: facts.number, privacy: status }, `privacy spent: ε=${status.epsilon.toFixed(3)} of ${status.budgetEpsilon} (δ=${status.delta})`);
  return status;
}

/** A count-gate sum read as counts: noisy counts (DP) at least 0 (post-processing). */
function readCounts(ctx: Ctx, counts: Float64Array): Float64Array {
  return ctx.dp ? noisyCountsAtLeastZero(counts) : counts;
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
    (sum, members) => readCounts(ctx, unpackClusterCounts(clusters, members, sum, bounds)),
    (c) => ({ clusters, gated: c.filter((x) => x < ctx.s.minClusterCount).length }));
  const include = gateFromCounts(counts, ctx.s.minClusterCount);
  const agg = await sumRound(ctx, shapeOf(ctx, 'segmentation-lloyd', { clusters }), { runs: wire, include }, counter,
    (sum, members) => {
      const exact = unpackLloydSum(clusters, ctx.dim, members, sum, bounds);
      // Noisy sums: counts ≥ 0, centroids kept in the box, withheld clusters at the gate's count (post-processing).
      return ctx.dp ? cleanNoisyLloyd(exact, ctx.dim, ctx.features.zClip, { include, counts }) : exact;
    },
    (a) => ({ clusters, cost: a.clusterCost.reduce((x, y) => x + y, 0) }));
  return { agg, include };
}

async function flow(ctx: Ctx): Promise<void> {
  const { s, dim, features } = ctx;
  const bins = DEFAULT_HISTOGRAM_BINS;
  const bounds = { maxExamples: DEFAULT_MAX_EXAMPLES, zClip: features.zClip };
  // 1. Marginal histograms of the standardized features: where to draw candidates from.
  const hist = await sumRound(ctx, shapeOf(ctx, 'segmentation-histogram', { bins }), {}, 'histogram',
    (sum, members) => readCounts(ctx, unpackHistograms(dim, members, sum, bins, bounds)));
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
    if (!(await nextIterationFits(ctx))) break;
    const { agg } = await gatedLloyd(ctx, sessionCentroids(session), 'lloyd');
    session = advanceKMeans(session, agg, { tol: TOLERANCE, maxIterations: s.maxIterations, minClusterCount: s.minClusterCount }, 1);
  }
  // 4. k (the operator's, or Calinski–Harabasz's) and its best run.
  const choice = chooseK(session, s.fixedK, s.minClusterCount);
  const k = choice.recommended;
  const run = bestRun(session, k, s.minClusterCount);
  const centroids = run.centroids.map((c) => Array.from(c));
  // 5. Profiles of the released centroids, count-gated so suppressed segments send no sums.
  const profileOptions = { labelNames: s.profileLabels, churnLabel: s.churnLabel, valueLabel: s.valueLabel, roles: s.roles, minCount: s.minClusterCount };
  const modelOf = (p: ReturnType<typeof segmentProfiles>) => {
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
        // The spend after the release (ε of every round of the run, and of earlier runs of the task).
        ...(ctx.dp?.status ? { privacy: { ...ctx.dp.status, noiseMultiplier: ctx.dp.privacy.noiseMultiplier, clip: ctx.dp.privacy.clip, profiles: 'from the noisy Lloyd sums' } } : {}),
      },
    };
  };
  const last = run.last;
  if (ctx.dp) {
    if (!last) {
      // The budget stopped k-means before its first iteration: there are no released sums to profile.
      ctx.logger?.warn({ task: ctx.task.id }, 'privacy budget reached before any Lloyd iteration: no segments are released');
      return;
    }
    // Under DP the profile round is not run: segment sizes come from a (noisy) count gate on the
    // released centroids and feature means and spreads from the best run's last noisy Lloyd sums,
    // which the coordinator already holds (post-processing, no further cost). No label profiles.
    await sumRound(ctx, shapeOf(ctx, 'segmentation-count-gate', { clusters: k }), { runs: [centroids] }, 'profile',
      (sum, members) => segmentProfiles(profileFromLloyd(readCounts(ctx, unpackClusterCounts(k, members, sum, bounds)), last, dim, s.minClusterCount), features, profileOptions),
      (p) => ({ k, segments: p.segments.map((x) => x.name) }),
      modelOf);
    return;
  }
  const sizes = await sumRound(ctx, shapeOf(ctx, 'segmentation-count-gate', { clusters: k }), { runs: [centroids] }, 'profile',
    (sum, members) => unpackClusterCounts(k, members, sum, bounds), () => ({ clusters: k }));
  const include = gateFromCounts(sizes, s.minClusterCount);
  const L = s.profileLabels.length;
  await sumRound(ctx, shapeOf(ctx, 'segmentation-profile', { clusters: k, labels: L }), { runs: [centroids], include }, 'profile',
    (sum, members) => segmentProfiles(unpackProfileStats(k, dim, L, members, sum, DEFAULT_MAX_EXAMPLES), features, profileOptions),
    (p) => ({ k, segments: p.segments.map((x) => x.name) }),
    modelOf);
}

/**
 * Profile statistics from already released sums (DP): sizes from the profile's count gate, and per
 * segment with at least minCount customers in the last Lloyd round its Σz and Σz² (standardized
 * units, as the profile round's u); smaller segments have no feature statistics.
 */
export function profileFromLloyd(sizes: Float64Array, last: ClusterAggregates, dim: number, minCount: number): ProfileStats {
  const k = sizes.length;
  const present = new Float64Array(k * dim);
  for (let c = 0; c < k; c++) if (last.counts[c] >= minCount) present.fill(last.counts[c], c * dim, (c + 1) * dim);
  const keep = (v: Float64Array) => v.map((x, i) => (present[i] > 0 ? x : 0));
  return { size: sizes, present, featureSums: keep(last.sums), featureSquares: keep(last.sumSquares), labelPresent: new Float64Array(0), labelSums: new Float64Array(0) };
}

/**
 * Under DP: whether one more Lloyd iteration (gate + Lloyd) and the release's count gate still fit
 * the budget at their worst case (only minMembers of the last round's members surviving). When
 * not, k-means stops at the centroids it has and the run goes on to its release.
 */
async function nextIterationFits(ctx: Ctx): Promise<boolean> {
  const { dp } = ctx;
  if (!dp) return true;
  const invited = Math.max(dp.invited, ctx.def.minMembers);
  const worst = (purpose: SegmentationRoundPurpose) => segmentationCharge(dp.privacy, purpose, 0, Math.min(invited, ctx.def.minMembers), invited);
  if (!dp.ledger.wouldExceed([...worst('segmentation-count-gate'), ...worst('segmentation-lloyd'), ...worst('segmentation-count-gate')])) return true;
  const spent = dp.ledger.spent().customer.epsilon;
  ctx.logger?.warn({ task: ctx.task.id, spent }, 'privacy budget reached: k-means stops at its current centroids and the segments are released');
  await ctx.store.appendAuditEvent({ actor: 'coordinator', kind: 'segmentation.privacy_budget_exhausted', subjectType: 'task', subjectId: ctx.task.id, detail: { spentEpsilon: spent, lloydIterations: ctx.used.lloyd / 2 } });
  return false;
}
