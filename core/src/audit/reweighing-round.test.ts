// The reweighing round: pinned layout (refused when the task did not ask), release with suppression, member checks and weights.
import { describe, expect, it } from 'vitest';
import { resolveTask } from '../task/task-definition.ts';
import { buildReweighingLayout, memberGroupLabelVector } from './mitigation.ts';
import { parseAuditPolicy } from './policy.ts';
import {
  MAX_REWEIGHING_WEIGHT, checkReweighingCounts, pinnedReweighingLayout, releaseReweighingCounts, reweighingScheme, rowWeights, type ReweighingCounts,
} from './reweighing-round.ts';

const policyInput = { attributes: [{ name: 'gender', groups: ['F', 'M'] }], minMembers: 3, minCellCount: 10 };
const base = { name: 'churn', label: 'churned', numeric: ['spend'], protected: ['gender'], audit: { policy: policyInput } };
const reweighed = resolveTask({ ...base, mitigation: { reweighing: { attributes: ['gender'] } } });
const policy = parseAuditPolicy(policyInput);
const layout = buildReweighingLayout(policy, ['gender']);

describe('reweighing round', () => {
  it('lays out the counts from the pinned task only, and refuses a task that did not ask or other attributes', () => {
    expect(pinnedReweighingLayout(reweighed, ['gender']).length).toBe(6);
    expect(() => pinnedReweighingLayout(resolveTask(base), ['gender'])).toThrow(/sets no mitigation.reweighing; refused/);
    expect(() => pinnedReweighingLayout(reweighed, ['age'])).toThrow(/over age; the pinned task reweighs over gender/);
  });

  it('suppresses cells below minMembers or minCellCount, and refuses a sum that is not counts', () => {
    // F: 30 neg, 10 pos, 3 members; M: 5 rows from 3 members (below minCellCount).
    expect(releaseReweighingCounts([30, 10, 3, 4, 1, 3], layout, policy)).toEqual([{ negatives: 30, positives: 10, members: 3 }, null]);
    expect(releaseReweighingCounts([30, 10, 2, 40, 10, 3], layout, policy)).toEqual([null, { negatives: 40, positives: 10, members: 3 }]);
    expect(() => releaseReweighingCounts([30, -1, 3, 0, 0, 0], layout, policy)).toThrow(/not a non-negative integer/);
    expect(() => releaseReweighingCounts([30, 10, 3], layout, policy)).toThrow(/length 3/);
  });

  it('gives Kamiran & Calders weights on released cells, 1 on suppressed ones, capped at the maximum', () => {
    // F: 60 neg, 20 pos; M: 20 neg, 60 pos. N = 160, n_y = 80 each, n_g = 80 each: w(F,1) = 80·80/(160·20) = 2.
    const s = reweighingScheme([{ negatives: 60, positives: 20, members: 3 }, { negatives: 20, positives: 60, members: 3 }], layout);
    expect(s.weights[0]).toMatchObject({ negative: 80 * 80 / (160 * 60), positive: 2, suppressed: false });
    expect(s.weights[1]).toMatchObject({ negative: 2, positive: 80 * 80 / (160 * 60) });
    // Weighted, each group has the overall base rate: F 20·2 / (60·2/3 + 20·2) = 0.5.
    expect((20 * s.weights[0].positive) / (20 * s.weights[0].positive + 60 * s.weights[0].negative)).toBeCloseTo(0.5, 12);
    const one = reweighingScheme([{ negatives: 60, positives: 20, members: 3 }, null], layout);
    expect(one.weights[1]).toEqual({ key: ['M'], negative: 1, positive: 1, suppressed: true });
    // 1000 negatives and 1 positive in F, the reverse in M: w(F,1) = 1001·1001/(2002·1) ≈ 500, capped.
    const skew = reweighingScheme([{ negatives: 1000, positives: 1, members: 3 }, { negatives: 1, positives: 1000, members: 3 }], layout);
    expect(skew.weights[0].positive).toBe(MAX_REWEIGHING_WEIGHT);
    expect(skew.capped).toBe(2);
    expect(() => reweighingScheme([null, null], layout)).toThrow(/every cell of the counts is suppressed/);
    expect(Array.from(rowWeights(s, [{ values: { gender: 'F' }, label: 1 }, { values: { gender: 'M' }, label: 0 }, { values: { gender: 'X' }, label: 1 }]))).toEqual([2, 2, 1]);
  });

  it('a member refuses counts that are not sane: wrong length, non-integers, below its own rows or the floors, more members than invited', () => {
    const own = memberGroupLabelVector([...Array(12)].map((_, i) => ({ values: { gender: 'F' }, label: (i < 4 ? 1 : 0) as 0 | 1 })), layout);
    const counts = (cells: unknown[]): ReweighingCounts => ({ kind: 'reweighing-counts', roundId: 'r1', attributes: ['gender'], cells: cells as ReweighingCounts['cells'] });
    const good = [{ negatives: 30, positives: 10, members: 3 }, null];
    expect(checkReweighingCounts(counts(good), layout, policy, own, 5)).toEqual(good);
    expect(() => checkReweighingCounts(counts([good[0]]), layout, policy, own, 5)).toThrow(/hold 1 cells; the pinned task's layout has 2/);
    expect(() => checkReweighingCounts(counts([{ negatives: 30.5, positives: 10, members: 3 }, null]), layout, policy, own, 5)).toThrow(/not a non-negative integer/);
    expect(() => checkReweighingCounts(counts([{ negatives: 30, positives: Infinity, members: 3 }, null]), layout, policy, own, 5)).toThrow(/not a non-negative integer/);
    expect(() => checkReweighingCounts(counts([{ negatives: 30, positives: 3, members: 3 }, null]), layout, policy, own, 5)).toThrow(/fewer rows than this member alone has/);
    expect(() => checkReweighingCounts(counts([{ negatives: 30, positives: 10, members: 2 }, null]), layout, policy, own, 5)).toThrow(/below the policy's floors/);
    expect(() => checkReweighingCounts(counts([{ negatives: 30, positives: 10, members: 6 }, null]), layout, policy, own, 5)).toThrow(/6 contributing members; 5 were invited/);
    expect(() => checkReweighingCounts({ ...counts(good), kind: 'weights' } as unknown as ReweighingCounts, layout, policy, own, 5)).toThrow(/not a reweighing-counts document/);
  });
});
