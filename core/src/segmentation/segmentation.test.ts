// Tests of federated k-means: quantized secure sums vs centralized Lloyd, empty clusters, awkward members, init, choice of k, profiles and names.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seeded-random.ts';
import { addInto, zeroVector, type ModVector } from '../secagg/mod-vector.ts';
import { kmeansBestOf, kmeansCost, lloyd, nearestCentroid } from './centralized.ts';
import {
  advanceKMeans, bestRun, gateFromCounts, kmeansDone, localClusterCounts, localLloydStep, localLloydStepRuns, lloydStepLayout,
  packClusterCounts, packLloydStep, runAggregates, sessionCentroids, sessionClusters, startKMeans, unpackClusterCounts, unpackLloydSum, updateCentroids,
  type ClusterAggregates, type KMeansSession,
} from './kmeans-protocol.ts';
import { drawCandidates, localHistograms, packHistograms, refineCandidateChains, refineCandidates, seedFromCandidates, unpackHistograms } from './init.ts';
import { chooseK, chooseKFromCriteria, criteriaFromAggregates, type KCriteria } from './choose-k.ts';
import { columnWords, localProfileStats, nameSegment, packProfileStats, segmentProfiles, unpackProfileStats, type OverallProfile, type SegmentProfile } from './profiles.ts';
import { segmentationFeatures, standardizeRows } from './standardize.ts';
import { segmentationRoundLayout } from './rounds.ts';

/** Sums members' packed vectors modulo 2^bits, as secure aggregation reveals them (masks cancel). */
function secureSum(vectors: ModVector[]): ModVector {
  const sum = zeroVector(vectors[0].bits, vectors[0].length);
  for (const v of vectors) addInto(sum, v);
  return sum;
}

/** Gaussian blobs around `centres`, split unevenly over members. */
function blobs(rng: SeededRandom, centres: number[][], perCentre: number, sd: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (const c of centres) for (let i = 0; i < perCentre; i++) out.push(Float64Array.from(c, (m) => m + rng.normal(0, sd)));
  return rng.shuffle(out);
}

function splitMembers(points: Float64Array[], sizes: number[]): Float64Array[][] {
  const out: Float64Array[][] = [];
  let at = 0;
  for (const s of sizes) { out.push(points.slice(at, at + s)); at += s; }
  out.push(points.slice(at));
  return out;
}

/** One federated Lloyd round over members, through quantization and modular addition. */
function federatedRound(members: Float64Array[][], s: KMeansSession, include?: boolean[]): ClusterAggregates {
  const clusters = sessionClusters(s);
  const vectors = members.map((pts) => packLloydStep(localLloydStepRuns(pts, sessionCentroids(s), s.dim, { include }), s.dim, members.length));
  return unpackLloydSum(clusters, s.dim, members.length, secureSum(vectors));
}

const CENTRES = [[-4, -4, 0], [4, -4, 1], [0, 4, -1], [5, 5, 5]];

describe('federated Lloyd step', () => {
  const rng = new SeededRandom(7);
  const pooled = blobs(rng, CENTRES, 150, 1.2);
  // Member 0 has fewer customers than k; member 1 has all-constant features; member 5 is empty.
  const constant = Array.from({ length: 30 }, () => Float64Array.from([0.5, 0.5, 0.5]));
  const members = [...splitMembers(pooled, [2, 100, 57, 201, 0]), constant];
  const all = members.flat();
  const init = [Float64Array.from([-1, -1, 0]), Float64Array.from([1, -1, 0]), Float64Array.from([0, 1, 0]), Float64Array.from([1, 1, 1])];

  it('equals centralized Lloyd from the same initial centroids, within the quantization bound', () => {
    let s = startKMeans([init]);
    let reference: Float64Array[] = init.map((c) => Float64Array.from(c));
    for (let t = 0; t < 6; t++) {
      s = advanceKMeans(s, federatedRound(members, s), { tol: 0 });
      reference = lloyd(all, reference, { maxIterations: 1 }).centroids;
      const fed = s.runs[0].centroids;
      // Σz carries ≤ members·2^-16 error per entry; divided by a cluster of ≥ 100 customers.
      for (let c = 0; c < 4; c++) for (let j = 0; j < 3; j++) expect(Math.abs(fed[c][j] - reference[c][j])).toBeLessThan(members.length * 2 ** -16);
    }
    // Counts are exact integers; the measured cost matches the pooled cost of the round's centroids.
    const last = s.runs[0];
    expect(last.last!.counts.reduce((a, b) => a + b, 0)).toBe(all.length);
    // One cost per Lloyd round taken; a run whose cost stopped changing converges early (tol 0
    // still stops on an exactly repeated cost, which depends on the stochastic rounding).
    expect(last.costHistory.length).toBe(last.iterations);
    expect(last.converged ? last.iterations >= 2 && last.iterations <= 6 : last.iterations === 6).toBe(true);
  });

  it('a member with fewer customers than k, constant features or no rows gives a valid step', () => {
    for (const pts of [members[0], constant, []]) {
      const step = localLloydStep(pts, init);
      expect(step.counts.reduce((a, b) => a + b, 0)).toBe(pts.length);
      expect(Number.isFinite(step.cost)).toBe(true);
      expect(() => packLloydStep(step, 3, members.length)).not.toThrow();
    }
    const constStep = localLloydStep(constant, init);
    expect(constStep.counts.filter((c) => c > 0).length).toBe(1);
  });

  it('re-seeds an empty cluster by splitting the costliest cluster along its widest spread', () => {
    const far = [...init.slice(0, 3), Float64Array.from([100, 100, 100])];
    const s = startKMeans([far]);
    const agg = federatedRound(members, s);
    expect(agg.counts[3]).toBe(0);
    const next = updateCentroids(s.runs[0], agg);
    expect(next.reseeded).toEqual([3]);
    expect(next.converged).toBe(false);
    const moved = next.centroids[3];
    expect(moved.every((v) => Number.isFinite(v) && Math.abs(v) < 10)).toBe(true);
    // The split cluster is now non-empty on the next round.
    const s2 = advanceKMeans(startKMeans([next.centroids]), federatedRound(members, startKMeans([next.centroids])));
    expect(s2.runs[0].last!.counts[3]).toBeGreaterThan(0);
  });

  it('count gates hide the sums of clusters below the minimum count and treat them as empty', () => {
    const s = startKMeans([init]);
    const counts = unpackClusterCounts(4, members.length, secureSum(members.map((m) => packClusterCounts(localClusterCounts(m, [init], 3), members.length))));
    expect(counts).toEqual(localClusterCounts(all, [init], 3));
    const include = gateFromCounts(counts, 1e9);
    const agg = federatedRound(members, s, include);
    expect(Array.from(agg.sums).every((v) => v === 0)).toBe(true);
    expect(lloydStepLayout(4, 3, members.length).modulusBits).toBe(64);
  });

  it('converges: relative cost change below tol stops a run', () => {
    let s = startKMeans([init, init.map((c) => c.map((v) => -v))]);
    while (!kmeansDone(s)) s = advanceKMeans(s, federatedRound(members, s), { tol: 1e-6, maxIterations: 60 });
    expect(s.runs.every((r) => r.iterations < 60)).toBe(true);
    const best = bestRun(s);
    expect(kmeansCost(all, best.centroids)).toBeLessThanOrEqual(1.0001 * kmeansBestOf(all, 4, 10, 3).cost + 1e-9);
  });
});

describe('initialization from secure sums and choice of k', () => {
  const rng = new SeededRandom(11);
  const centres = [[-6, 0, 0, 0], [6, 0, 0, 0], [0, 6, 0, 3], [0, -6, 3, 0], [0, 0, -6, -6]];
  const pooled = blobs(rng, centres, 120, 1).map((p) => p.map((v) => v / 4)); // roughly standardized
  const members = splitMembers(pooled, [40, 100, 160, 3]);

  function initialRuns(ks: number[], restarts: number): { runs: Float64Array[][]; rounds: number } {
    const dim = 4;
    const hist = unpackHistograms(dim, members.length, secureSum(members.map((m) => packHistograms(localHistograms(m, dim), dim, members.length))));
    let candidates = drawCandidates(hist, dim, 60, new SeededRandom(5));
    let weighted = { points: candidates, weights: candidates.map(() => 1) };
    let rounds = 1;
    for (let step = 0; step < 2; step++) {
      const s = startKMeans([candidates]);
      const counts = unpackClusterCounts(candidates.length, members.length, secureSum(members.map((m) => packClusterCounts(localClusterCounts(m, [candidates], dim), members.length))));
      const agg = federatedRound(members, s, gateFromCounts(counts, 20));
      weighted = refineCandidates(agg, dim, 20);
      candidates = weighted.points;
      rounds += 2;
    }
    return { runs: seedFromCandidates(weighted, ks, restarts, { seed: 2 }), rounds };
  }

  it('reaches the centralized k-means++ (10 restarts) cost within 2 %', () => {
    let s = startKMeans(initialRuns([5], 4).runs);
    while (!kmeansDone(s)) s = advanceKMeans(s, federatedRound(members, s));
    const fed = kmeansCost(pooled, bestRun(s).centroids);
    expect(fed).toBeLessThanOrEqual(1.02 * kmeansBestOf(pooled, 5, 10, 1).cost);
  });

  it('choose-k recommends the true k on well-separated blobs', () => {
    let s = startKMeans(initialRuns([2, 3, 4, 5, 6, 7], 2).runs);
    while (!kmeansDone(s)) s = advanceKMeans(s, federatedRound(members, s));
    const choice = chooseK(s);
    expect(choice.recommended).toBe(5);
    expect(choice.byDaviesBouldin).toBe(5);
    expect(choice.criteria.map((c) => c.k)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(chooseK(s, 4).recommended).toBe(4);
    expect(() => chooseK(s, 12)).toThrow(/not in the evaluated range/);
  });

  it('criteria leave out clusters withheld by a count gate, and candidate chains pool their survivors', () => {
    const dim = 4;
    const chains = [drawCandidates(unpackHistograms(dim, members.length, secureSum(members.map((m) => packHistograms(localHistograms(m, dim), dim, members.length)))), dim, 30, new SeededRandom(8)), pooled.slice(0, 3)];
    const s = startKMeans(chains);
    const counts = unpackClusterCounts(33, members.length, secureSum(members.map((m) => packClusterCounts(localClusterCounts(m, chains, dim), members.length))));
    const agg = federatedRound(members, s, gateFromCounts(counts, 20));
    const { chains: next, pooled: candidates } = refineCandidateChains(agg, chains, dim, 20);
    expect(next.length).toBe(2);
    expect(candidates.points.length).toBe(next[0].length + next[1].length);
    expect(candidates.weights.every((w) => w >= 20)).toBe(true);
    const first = runAggregates(agg, 0, 30, dim);
    const crit = criteriaFromAggregates(first, dim, 20);
    expect(crit.hidden).toBe(Array.from(first.counts).filter((c) => c > 0 && c < 20).reduce((a, b) => a + b, 0));
    expect(crit.nonEmpty).toBe(next[0].length);
    expect(Number.isFinite(crit.daviesBouldin)).toBe(true);
  });
});

describe('segment profiles and names', () => {
  const f = segmentationFeatures([
    { name: 'recency_days', mean: 60, std: 40 }, { name: 'frequency', mean: 10, std: 5 },
    { name: 'monetary', mean: 500, std: 300 }, { name: 'tenure_days', mean: 700, std: 400 },
  ]);
  const roles = { recency: 'recency_days', frequency: 'frequency', monetary: 'monetary', tenure: 'tenure_days' };
  const overall: OverallProfile = { size: 1000, features: f.names.map((name, j) => ({ name, mean: f.mean[j], std: f.std[j] })), labels: {}, churnRate: 0.2 };
  const seg = (id: number, z: number[], churn = 0.2): SegmentProfile => ({
    id, size: 100, share: 0.1, suppressed: false, labels: {}, churnRate: churn, name: '', description: '',
    features: f.names.map((name, j) => ({ name, mean: f.mean[j] + z[j] * f.std[j], std: f.std[j] / 2 })),
  });

  it('names RFM-like profiles', () => {
    expect(nameSegment(seg(0, [-0.8, 1.2, 1.5, 0.8]), overall, roles).name).toBe('High-value loyal');
    expect(nameSegment(seg(1, [1.5, -1, -0.5, 0.3], 0.5), overall, roles).name).toBe('Lapsed');
    expect(nameSegment(seg(2, [0.1, -0.6, -0.7, 0.2]), overall, roles).name).toBe('Occasional low spenders');
    expect(nameSegment(seg(3, [-0.6, 0.2, 0, -1.2]), overall, roles).name).toBe('New and engaged');
    expect(nameSegment(seg(4, [0.1, -0.6, -0.7, 0.2], 0.45), overall, roles).name).toBe('Occasional low spenders at risk');
    expect(nameSegment(seg(6, [0, -0.7, 1.2, 0.1]), overall, roles).name).toBe('Big-basket occasional buyers');
    const fallback = nameSegment(seg(5, [0.1, 0.9, -0.7, 0.2]), overall, {});
    expect(fallback.name).toBe('High frequency, low monetary');
    // Roles that do not stand out leave the name to the columns that do.
    expect(nameSegment(seg(7, [0.1, 0.2, 0.1, -1.8]), overall, { recency: 'recency_days', frequency: 'frequency' }).name).toBe('Very short tenure days');
    expect(nameSegment(seg(8, [0.1, 0.1, 0.2, 0.1]), overall, {}).name).toBe('Close to average');
    expect(nameSegment(seg(1, [1.5, -1, -0.5, 0.3]), overall, roles).description).toMatch(/^100 customers \(10\.0%\); average recency_days 120 vs 60, frequency 5\.0 vs 10\.0, monetary 350 vs 500 overall; churn 20% vs 20%\.$/);
  });

  it('column words keep the federation\'s column recognisable', () => {
    expect(['Total_Trans_Amt', 'EstimatedSalary', 'NPS', 'months_on_book', 'avgOrderValue', 'CLVScore'].map(columnWords))
      .toEqual(['total trans amt', 'estimated salary', 'NPS', 'months on book', 'avg order value', 'CLV score']);
  });

  it('a task without RFM columns: names from its own columns, profiles in original units through the secure sum', () => {
    // A bank's accounts: money columns around 1e5, no recency/frequency/monetary roles.
    const bank = segmentationFeatures([
      { name: 'Balance', mean: 76_485.9, std: 62_397.4 }, { name: 'EstimatedSalary', mean: 100_090.2, std: 57_510.5 },
      { name: 'Age', mean: 38.9, std: 10.5 }, { name: 'Tenure', mean: 5.0, std: 2.9 },
    ]);
    const rng = new SeededRandom(11);
    // Three groups: rich and long-standing, young with no balance, older with a middling balance.
    const groups = [
      () => [rng.uniform(110_000, 140_000), rng.uniform(80_000, 120_000), rng.uniform(35, 45), rng.uniform(7, 10)],
      () => [0, rng.uniform(20_000, 200_000), rng.uniform(20, 30), rng.uniform(0, 10)],
      () => [rng.uniform(60_000, 90_000), rng.uniform(20_000, 200_000), rng.uniform(55, 70), rng.uniform(0, 10)],
    ];
    const truth = Array.from({ length: 600 }, (_, i) => i % 3);
    const raw = truth.map((g) => groups[g]());
    const labels = raw.map((_, i) => [truth[i] === 1 ? 1 : 0]);
    const parts = [[0, 150], [150, 320], [320, 450], [450, 530], [530, 600]];
    const stats = parts.map(([a, b]) => localProfileStats(raw.slice(a, b), truth.slice(a, b), labels.slice(a, b), 3, bank));
    const sum = unpackProfileStats(3, 4, 1, 5, secureSum(stats.map((x) => packProfileStats(x, 3, 4, 1, 5))));
    const { overall: o, segments } = segmentProfiles(sum, bank, { labelNames: ['Exited'], churnLabel: 'Exited' });
    for (let g = 0; g < 3; g++) {
      const rows = raw.filter((_, i) => truth[i] === g);
      bank.names.forEach((name, j) => {
        const direct = rows.reduce((a, r) => a + r[j], 0) / rows.length;
        // Original units, not standardized values: a balance mean of ~125,000 reads as such.
        expect(Math.abs(segments[g].features[j].mean - direct)).toBeLessThan(1e-3 * Math.max(1, bank.std[j]));
      });
    }
    expect(o.features[0].mean).toBeCloseTo(raw.reduce((a, r) => a + r[0], 0) / raw.length, 0);
    const names = segments.map((x) => x.name);
    expect(names[0]).toBe('High balance, long tenure');
    expect(names[1]).toBe('Low balance, low age, at risk');
    expect(names[2]).toBe('High age, short tenure');
    for (const n of names) expect(n).not.toMatch(/spender|bargain|loyal|lapsed|regulars|newcomer|typical/i);
    expect(segments[0].description).toMatch(/average Balance 12\d,\d{3} vs 6\d,\d{3}, Tenure 8\.\d\d vs 6\.\d\d overall/);
  });

  it('profiles come from summed statistics, equal direct means, and small segments are suppressed', () => {
    const rng = new SeededRandom(3);
    const raw = Array.from({ length: 300 }, () => [rng.uniform(0, 200), rng.int(20), rng.uniform(0, 2000), rng.uniform(0, 1500)]);
    raw[5][1] = NaN;
    const z = standardizeRows(raw, f);
    const centroids = [Float64Array.from([-1, 0, 0, 0]), Float64Array.from([1, 0, 0, 0]), Float64Array.from([50, 50, 50, 50])];
    const seg = z.map((p) => nearestCentroid(p, centroids).index);
    const labels = raw.map((r) => [r[0] > 120 ? 1 : 0, r[2]]);
    const parts = [[0, 90], [90, 300]].map(([a, b]) => localProfileStats(raw.slice(a, b), seg.slice(a, b), labels.slice(a, b), 3, f));
    const sum = unpackProfileStats(3, 4, 2, 2, secureSum(parts.map((p) => packProfileStats(p, 3, 4, 2, 2))));
    const { overall: o, segments } = segmentProfiles(sum, f, { labelNames: ['churned', 'spend'], churnLabel: 'churned', valueLabel: 'spend', roles });
    expect(o.size).toBe(300);
    expect(segments[2].suppressed).toBe(true);
    expect(segments[2].size).toBeNull();
    const members0 = raw.filter((_, i) => seg[i] === 0);
    const directMean = members0.reduce((a, r) => a + r[2], 0) / members0.length;
    expect(segments[0].features[2].mean).toBeCloseTo(directMean, 2);
    const directChurn = members0.filter((r) => r[0] > 120).length / members0.length;
    expect(segments[0].churnRate).toBeCloseTo(directChurn, 10);
    expect(segments[0].name).not.toBe(segments[1].name);
    // With the count gate, the small segment's statistics never reach the sum at all.
    const gated = localProfileStats(raw, seg, labels, 3, f, [true, false, true]);
    expect(gated.size[1]).toBe(seg.filter((c) => c === 1).length);
    expect(gated.size[1]).toBeGreaterThan(0);
    expect([...gated.featureSums.slice(4, 8), ...gated.present.slice(4, 8), ...gated.labelSums.slice(2, 4)].every((v) => v === 0)).toBe(true);
    expect(segments[0].description.endsWith('.')).toBe(true);
  });
});

describe('segmentation round purposes', () => {
  it('every purpose has a packVector-compatible layout', () => {
    const lloydLayout = segmentationRoundLayout({ purpose: 'segmentation-lloyd', dim: 7, clusters: 350 }, 100);
    expect(lloydLayout.segments.map((s) => s.name)).toEqual(['sums', 'sumSquares', 'counts', 'cost']);
    expect(lloydLayout.length).toBe(350 * 7 * 2 + 350 * 2);
    expect(segmentationRoundLayout({ purpose: 'segmentation-histogram', dim: 7 }, 100).length).toBe(7 * 32);
    expect(segmentationRoundLayout({ purpose: 'segmentation-count-gate', dim: 7, clusters: 10 }, 100).modulusBits).toBe(32);
    expect(segmentationRoundLayout({ purpose: 'segmentation-profile', dim: 7, clusters: 5, labels: 2 }, 100).length).toBe(5 + 5 * 7 * 3 + 5 * 2 * 2);
    expect(() => segmentationRoundLayout({ purpose: 'segmentation-lloyd', dim: 7 }, 100)).toThrow(/number of clusters/);
  });
});

describe('choice of k: the summary says only what was compared', () => {
  const c = (k: number, ch: number, db: number, w: number): KCriteria => ({ k, withinCost: w, calinskiHarabasz: ch, daviesBouldin: db, nonEmpty: k, hidden: 0 });

  it('a fixed k (one k evaluated) does not claim that criteria agree', () => {
    const s = chooseKFromCriteria([c(4, 120, 0.8, 50)], 4).summary;
    expect(s).toBe('k = 4 fixed by the operator; no other k was evaluated, so no criterion compared it.');
    expect(s).not.toContain('agree');
  });

  it('a range names its bounds and the criteria that picked', () => {
    const choice = chooseKFromCriteria([c(2, 100, 0.9, 80), c(3, 150, 0.7, 50), c(4, 120, 0.8, 45)]);
    expect(choice.summary).toBe('Recommended k = 3 of 2..4 (highest Calinski–Harabasz; all three criteria agree).');
    expect(chooseKFromCriteria([c(2, 100, 0.9, 80), c(3, 150, 0.7, 50), c(4, 120, 0.8, 45)], 2).summary)
      .toBe('k = 2 fixed by the operator (over k = 2..4, Calinski–Harabasz would pick 3; all three criteria agree).');
  });
});
