// Exact federated statistics: adversarial columns over a real in-process secure-aggregation round equal pooled rows.
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { packContribution, unpackRoundSum, roundVectorLayout, type RoundVectorOptions } from '../aggregate/round-vector.ts';
import { CoordinatorSession } from '../secagg/coordinator-session.ts';
import { MemberSession } from '../secagg/member-session.ts';
import type { ModVector } from '../secagg/mod-vector.ts';
import { resolveSecAggParams } from '../secagg/params.ts';
import { SeededRandom } from '../random/seeded-random.ts';
import { MAX_ABS_NUMERIC_VALUE, MomentSums, meanAndStd, readMoments, MOMENT_SLOTS } from './exact-moments.ts';
import { fitPipeline, localFeatureStats, type FeatureSchema } from './pipeline.ts';

/** Runs the full secure-aggregation protocol (no dropouts) over the members' packed vectors. */
async function secureSum(vectors: ModVector[]): Promise<ModVector> {
  const ids = vectors.map((_, i) => `member-${i}`);
  const keys = new Map(ids.map((id) => [id, nacl.sign.keyPair()]));
  const identities = new Map(ids.map((id) => [id, keys.get(id)!.publicKey]));
  const params = resolveSecAggParams({ roundId: 'stats-1', vectorLength: vectors[0].length, modulusBits: vectors[0].bits, minMembers: 3 }, ids.length);
  const coordinator = new CoordinatorSession({ params, identities });
  const members = ids.map((id) => new MemberSession({ memberId: id, identity: keys.get(id)!, params }));
  for (const m of members) coordinator.receiveAdvertisement(m.advertiseKeys());
  const keySet = coordinator.closeAdvertiseKeys();
  for (const m of members) m.receiveKeySet(keySet, identities);
  for (let i = 0; i < members.length; i++) coordinator.receiveShares(ids[i], await members[i].shareKeys());
  const routed = coordinator.closeShareKeys();
  members.forEach((m, i) => m.receiveShares(routed.get(ids[i])!));
  members.forEach((m, i) => coordinator.receiveMaskedInput(ids[i], m.maskInput(vectors[i]).vector));
  const consistency = coordinator.closeMaskedInput();
  for (const m of members) coordinator.receiveConsistencySignature(m.signSurvivors(consistency));
  const request = coordinator.closeConsistencyCheck();
  for (const m of members) coordinator.receiveUnmaskShares(m.revealShares(request));
  return (await coordinator.finish()).sum;
}

/** Pooled reference: two-pass mean and std with compensated (Neumaier) sums, in float64. */
function pooled(values: number[]): { mean: number; std: number } {
  const sum = (xs: Iterable<number>) => {
    let s = 0;
    let c = 0;
    for (const x of xs) {
      const t = s + x;
      c += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s;
      s = t;
    }
    return s + c;
  };
  const mean = sum(values) / values.length;
  return { mean, std: Math.sqrt(sum(values.map((x) => (x - mean) ** 2)) / values.length) };
}

/** Columns that broke the old fixed-point sums, each with a generator of one cell. */
const COLUMNS: Record<string, (r: SeededRandom, member: number) => string> = {
  huge: (r) => String((r.next() * 2 - 1) * 1e12),
  hugeOffset: (r) => String(9.99e11 + r.next() * 1e6),
  money: (r, m) => (r.next() < 0.1 ? '' : (r.next() * 2e5 - 2e4 + m * 1e4).toFixed(2)),
  billions: (r) => String(r.next() * 1e9),
  tiny: (r) => String(1e-6 * (1 + r.next())),
  constant: () => '42.125',
  mixed: (r) => String((r.next() < 0.5 ? -1 : 1) * 10 ** (r.next() * 18 - 6)),
  blanks: (r) => (r.next() < 0.7 ? '' : String(r.next() * 100)),
};

describe('exact federated statistics', () => {
  it('match pooled means and stds to 1e-9 on adversarial columns across 5 members over secure aggregation', async () => {
    const schema: FeatureSchema = { numeric: Object.keys(COLUMNS), categorical: ['plan'], label: 'spend' };
    const vocab = { plan: ['a', 'b'] };
    const rng = new SeededRandom(12);
    const members = [40, 300, 7, 120, 1000].map((rows, m) => Array.from({ length: rows }, (): Record<string, string> => ({
      ...Object.fromEntries(Object.entries(COLUMNS).map(([name, gen]) => [name, gen(rng, m)])),
      plan: rng.next() < 0.3 ? 'a' : 'b',
      spend: String(Math.round(rng.next() * 5e6) / 100),
    })));
    const o: RoundVectorOptions = {
      purpose: 'statistics', task: 'regression', parameterCount: 0, members: 5, maxExamples: 1_000_000, weightClip: 16, weightScaleBits: 16,
      statisticsLength: localFeatureStats(schema, vocab, [], 'x', 'regression').length,
    };
    expect(roundVectorLayout(o).modulusBits).toBe(64);
    const vectors = members.map((rows, i) => {
      const values = localFeatureStats(schema, vocab, rows, `member-${i}.csv`, 'regression');
      const packed = packContribution(o, { values, numExamples: rows.length, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [] });
      expect(packed.clipped).toBe(0);
      return packed.vector;
    });
    const totals = unpackRoundSum(o, await secureSum(vectors));
    expect(totals.clipped).toBe(0);
    const { pipeline, warnings } = fitPipeline(schema, vocab, totals.vector, 'regression');
    const all = members.flat();
    for (const col of pipeline.numeric) {
      const values = all.map((r) => r[col.name]).filter((v) => v !== '').map(Number);
      const ref = pooled(values);
      expect(Math.abs(col.mean - ref.mean) / Math.abs(ref.mean), `${col.name} mean`).toBeLessThanOrEqual(1e-9);
      if (col.name === 'constant') expect(col.std).toBe(1);
      else expect(Math.abs(col.std - ref.std) / ref.std, `${col.name} std`).toBeLessThanOrEqual(1e-9);
    }
    expect(warnings.map((w) => [w.code, w.column])).toEqual([['ZERO_VARIANCE_COLUMN', 'constant']]);
    const spend = pooled(all.map((r) => Number(r.spend)));
    expect(Math.abs(pipeline.target!.mean - spend.mean) / spend.mean).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(pipeline.target!.std - spend.std) / spend.std).toBeLessThanOrEqual(1e-9);
    expect(pipeline.categorical[0].shares![0]).toBeCloseTo(all.filter((r) => r.plan === 'a').length / all.length, 12);
  });

  it('sum limbs of members exactly at the bounds (±1e12 in every row, sign mixes that cancel)', () => {
    const a = new MomentSums();
    const b = new MomentSums();
    for (let i = 0; i < 1000; i++) { a.add(MAX_ABS_NUMERIC_VALUE); b.add(-MAX_ABS_NUMERIC_VALUE); }
    const va = new Float64Array(MOMENT_SLOTS);
    const vb = new Float64Array(MOMENT_SLOTS);
    a.writeTo(va, 0);
    b.writeTo(vb, 0);
    for (const v of [...va, ...vb]) expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    const m = meanAndStd(readMoments(va.map((v, i) => v + vb[i]), 0, 'col'))!;
    expect(m.mean).toBe(0);
    expect(m.std).toBe(MAX_ABS_NUMERIC_VALUE);
    expect(meanAndStd(readMoments(va, 0, 'col'))).toEqual({ mean: 1e12, std: 0, variance: 0 });
    expect(meanAndStd(readMoments(new Float64Array(MOMENT_SLOTS), 0, 'col'))).toBeNull();
  });

  it('refuses a non-integer limb sum (malformed plain input) naming the column', () => {
    const v = new Float64Array(MOMENT_SLOTS);
    v[0] = 1;
    v[2] = 0.5;
    expect(() => readMoments(v, 0, 'numeric column "x"')).toThrow(/numeric column "x": limb 1 .* not an exact integer/);
  });
});
