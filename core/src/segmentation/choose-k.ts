// Choosing k from secure sums: within-cluster cost curve (elbow), Calinski–Harabasz (1974) and Davies–Bouldin (1979) indices.
//
// All three need only per-cluster Σz, Σz² and counts over all members, which the last Lloyd round
// of each run already carries: no extra round and no per-member quantity.
import { ConsortError } from '../errors/consort-error.ts';
import { bestRun, clusterMoments, withinScatter, type ClusterAggregates, type KMeansSession } from './kmeans-protocol.ts';

/** Criteria of one k. */
export interface KCriteria {
  k: number;
  /** Within-cluster sum of squares W_k (about the cluster means). */
  withinCost: number;
  /** Calinski–Harabasz: (B/(k−1)) / (W/(n−k)); higher is better; NaN for k = 1. */
  calinskiHarabasz: number;
  /** Davies–Bouldin with RMS scatter: mean over clusters of max (s_i + s_j)/‖μ_i − μ_j‖; lower is better. */
  daviesBouldin: number;
  /** Clusters entering the criteria (non-empty and not withheld). */
  nonEmpty: number;
  /** Customers in clusters withheld by a count gate (left out of the criteria). */
  hidden: number;
}

/** The curve and recommendation reported to the operator. */
export interface KChoice {
  criteria: KCriteria[];
  /** k with the highest Calinski–Harabasz index (the recommendation). */
  byCalinskiHarabasz: number;
  /** k with the lowest Davies–Bouldin index. */
  byDaviesBouldin: number;
  /** Elbow of the W_k curve: the point farthest below the chord from first to last k. */
  byElbow: number;
  recommended: number;
  /** One sentence for the operator. */
  summary: string;
}

/**
 * Criteria of one clustering from its summed aggregates. Clusters below `minCount` (withheld
 * by a count gate: their sums are zero) are left out of every term, and counted in `hidden`.
 */
export function criteriaFromAggregates(input: ClusterAggregates, dim: number, minCount = 1): KCriteria {
  const k = input.counts.length;
  const keep = (c: number) => input.counts[c] >= minCount;
  const agg: ClusterAggregates = {
    sums: input.sums.map((v, i) => (keep(Math.floor(i / dim)) ? v : 0)),
    sumSquares: input.sumSquares.map((v, i) => (keep(Math.floor(i / dim)) ? v : 0)),
    counts: input.counts.map((v, c) => (keep(c) ? v : 0)),
    clusterCost: input.clusterCost.map((v, c) => (keep(c) ? v : 0)),
  };
  const hidden = input.counts.reduce((a, v, c) => a + (keep(c) ? 0 : v), 0);
  let n = 0;
  const total = new Float64Array(dim);
  let totalSq = 0;
  for (let c = 0; c < k; c++) {
    n += agg.counts[c];
    for (let j = 0; j < dim; j++) { total[j] += agg.sums[c * dim + j]; totalSq += agg.sumSquares[c * dim + j]; }
  }
  if (!(n > 1)) throw new ConsortError('INVALID_ARGUMENT', 'the aggregates cover fewer than 2 customers; criteria need data from the members');
  let totalScatter = totalSq;
  for (let j = 0; j < dim; j++) totalScatter -= (total[j] * total[j]) / n;
  const within = withinScatter(agg, dim);
  const live = [...agg.counts.keys()].filter((c) => agg.counts[c] > 0);
  const kk = live.length;
  const between = Math.max(0, totalScatter - within);
  const ch = kk > 1 && n > kk ? (between / (kk - 1)) / (Math.max(within, 1e-12) / (n - kk)) : NaN;
  const moments = live.map((c) => clusterMoments(agg, c, dim));
  const scatter = live.map((c, i) => Math.sqrt(moments[i].variance.reduce((a, b) => a + b, 0)));
  let db = 0;
  for (let i = 0; i < kk; i++) {
    let worst = 0;
    for (let j = 0; j < kk; j++) {
      if (i === j) continue;
      let d2 = 0;
      for (let t = 0; t < dim; t++) d2 += (moments[i].mean[t] - moments[j].mean[t]) ** 2;
      worst = Math.max(worst, d2 > 0 ? (scatter[i] + scatter[j]) / Math.sqrt(d2) : Infinity);
    }
    db += worst;
  }
  return { k, withinCost: within, calinskiHarabasz: ch, daviesBouldin: kk > 1 ? db / kk : NaN, nonEmpty: kk, hidden };
}

function elbow(c: KCriteria[]): number {
  if (c.length < 3) return c[c.length - 1].k;
  const first = c[0];
  const last = c[c.length - 1];
  // Normalize both axes so the chord distance does not depend on units.
  const dx = last.k - first.k;
  const dy = first.withinCost - last.withinCost || 1;
  let best = c[0].k;
  let bestGap = -Infinity;
  for (const p of c) {
    const x = (p.k - first.k) / dx;
    const y = (first.withinCost - p.withinCost) / dy;
    if (y - x > bestGap) { bestGap = y - x; best = p.k; }
  }
  return best;
}

/**
 * Compares the best run of every k in a session (run one session with restarts for each k of
 * the range; all ride in the same rounds). Recommends the Calinski–Harabasz maximum: it uses
 * both within- and between-cluster sums, needs no threshold, and is the index that most often
 * recovers the true k in Milligan & Cooper's (1985) comparison. The elbow and Davies–Bouldin
 * picks are reported beside it; `fixedK` (the operator's choice) overrides the recommendation.
 * `minCount`: the count gate of the Lloyd rounds, if any.
 */
export function chooseK(session: KMeansSession, fixedK?: number, minCount = 1): KChoice {
  const ks = [...new Set(session.runs.map((r) => r.k))].sort((a, b) => a - b);
  const criteria = ks.map((k) => {
    const run = bestRun(session, k, minCount);
    if (!run.last) throw new ConsortError('INVALID_ARGUMENT', `the run with k = ${k} has not taken a round yet; run Lloyd rounds before choosing k`);
    return criteriaFromAggregates(run.last, session.dim, minCount);
  });
  return chooseKFromCriteria(criteria, fixedK);
}

/** The recommendation from criteria already computed. */
export function chooseKFromCriteria(criteria: KCriteria[], fixedK?: number): KChoice {
  if (criteria.length === 0) throw new ConsortError('INVALID_ARGUMENT', 'no k to choose from; give a range such as 2..8');
  const withCh = criteria.filter((c) => Number.isFinite(c.calinskiHarabasz));
  const byCh = withCh.length ? withCh.reduce((a, b) => (b.calinskiHarabasz > a.calinskiHarabasz ? b : a)).k : criteria[0].k;
  const withDb = criteria.filter((c) => Number.isFinite(c.daviesBouldin));
  const byDb = withDb.length ? withDb.reduce((a, b) => (b.daviesBouldin < a.daviesBouldin ? b : a)).k : criteria[0].k;
  const byElbow = elbow(criteria);
  if (fixedK !== undefined && !criteria.some((c) => c.k === fixedK)) {
    throw new ConsortError('INVALID_ARGUMENT', `k = ${fixedK} was not in the evaluated range (${criteria.map((c) => c.k).join(', ')}); widen the range or pick one of these`);
  }
  const recommended = fixedK ?? byCh;
  const agree = byCh === byDb && byCh === byElbow ? 'all three criteria agree' : `elbow suggests ${byElbow}, Davies–Bouldin ${byDb}`;
  // With one k evaluated there is nothing to compare: no criterion "agrees" with anything.
  const summary = criteria.length === 1
    ? `k = ${criteria[0].k} ${fixedK !== undefined ? 'fixed by the operator' : 'is the only k in the range'}; no other k was evaluated, so no criterion compared it.`
    : fixedK !== undefined
      ? `k = ${fixedK} fixed by the operator (over k = ${criteria[0].k}..${criteria[criteria.length - 1].k}, Calinski–Harabasz would pick ${byCh}; ${agree}).`
      : `Recommended k = ${byCh} of ${criteria[0].k}..${criteria[criteria.length - 1].k} (highest Calinski–Harabasz; ${agree}).`;
  return { criteria, byCalinskiHarabasz: byCh, byDaviesBouldin: byDb, byElbow, recommended, summary };
}
