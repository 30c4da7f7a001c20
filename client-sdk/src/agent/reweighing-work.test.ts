// A member's reweighing: counts only for a task that asks, weights from released counts it checked once per counting round.
import { describe, expect, it } from 'vitest';
import { resolveTask, unpackVector, reweighingSumLayout, buildReweighingLayout, parseAuditPolicy, type ReweighingCounts } from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { ReweighingMemory, reweighingOrderOf, reweighingVector, trainingWeights } from './reweighing-work.ts';

const policy = { attributes: [{ name: 'gender', groups: ['F', 'M'] }], minMembers: 3, minCellCount: 10 };
const base = { name: 'churn', label: 'churned', numeric: ['spend'], protected: ['gender'], audit: { policy } };
const reweighed = resolveTask({ ...base, mitigation: { reweighing: { attributes: ['gender'] } } });
const plain = resolveTask(base);
// 20 F rows (5 positive), 20 M rows (15 positive).
const train = [...Array(40)].map((_, i) => ({ spend: '1', gender: i < 20 ? 'F' : 'M', churned: (i < 20 ? i < 5 : i < 35) ? '1' : '0' }));
const order = { kind: 'reweighing' as const, attributes: ['gender'], maxRows: 1000 };
const counts = (cells: ReweighingCounts['cells'], roundId = 'count-1'): string => JSON.stringify({ kind: 'reweighing-counts', roundId, attributes: ['gender'], cells });
const open = (payloadJson: string): RoundOpen__Output => ({ roundId: 'train-1', payloadJson, secagg: { invitedMembers: 4 } }) as unknown as RoundOpen__Output;
// The federation: F 60 neg / 20 pos, M 20 neg / 60 pos (this member's rows included).
const released = [{ negatives: 60, positives: 20, members: 4 }, { negatives: 20, positives: 60, members: 4 }];

describe('member reweighing work', () => {
  it('counts training rows by group × label only for a task that asks for it', () => {
    expect(reweighingOrderOf(JSON.stringify(order))).toEqual(order);
    expect(reweighingOrderOf('')).toBeUndefined();
    expect(reweighingOrderOf(JSON.stringify({ kind: 'audit' }))).toBeUndefined();
    const layout = buildReweighingLayout(parseAuditPolicy(policy), ['gender']);
    const packed = reweighingVector(reweighed, order, train, 'a.csv', 4);
    expect(Array.from(unpackVector(reweighingSumLayout(layout, 1000, 4), packed).reweighing)).toEqual([15, 5, 1, 5, 15, 1]);
    expect(() => reweighingVector(plain, order, train, 'a.csv', 4)).toThrow(expect.objectContaining({ code: 'ROUND_POLICY_REFUSED', message: expect.stringMatching(/sets no mitigation.reweighing/) }));
    expect(() => reweighingVector(reweighed, { ...order, maxRows: 10 }, train, 'a.csv', 4)).toThrow(/more than the 10/);
  });

  it('derives weights from counts of a round it counted in, and refuses other counts for it, counts of unknown rounds, or a missing or unasked section', () => {
    const memory = new ReweighingMemory();
    expect(() => trainingWeights(open(counts(released)), reweighed, train, memory)).toThrow(/round count-1, in which this member did not count its rows/);
    memory.countedIn('count-1');
    const w = trainingWeights(open(counts(released)), reweighed, train, memory)!;
    // w(F,1) = 80·80/(160·20) = 2, w(F,0) = 80·80/(160·60) = 2/3.
    expect(w.weights[0]).toBeCloseTo(2, 6);
    expect(w.weights[10]).toBeCloseTo(2 / 3, 6);
    expect(w.weights[39]).toBeCloseTo(2, 6);
    // Same counts again: the same answer. Other counts for the same round: refused.
    expect(trainingWeights(open(counts(released)), reweighed, train, memory)!.weights).toEqual(w.weights);
    expect(() => trainingWeights(open(counts([released[0], { negatives: 21, positives: 60, members: 4 }])), reweighed, train, memory)).toThrow(/differ from those this member was first sent/);
    // A refusal sticks for the counting round: asking again with other counts gets no new answer.
    memory.countedIn('count-2');
    const low = [{ negatives: 60, positives: 4, members: 4 }, released[1]];
    expect(() => trainingWeights(open(counts(low, 'count-2')), reweighed, train, memory)).toThrow(/fewer rows than this member alone has/);
    expect(() => trainingWeights(open(counts(released, 'count-2')), reweighed, train, memory)).toThrow(/differ from those this member was first sent/);
    expect(() => trainingWeights(open(counts(low, 'count-2')), reweighed, train, memory)).toThrow(/fewer rows than this member alone has/);
    expect(() => trainingWeights(open(''), reweighed, train, memory)).toThrow(/carries no reweighing counts, but the pinned task reweighs over gender/);
    expect(() => trainingWeights(open(counts(released)), plain, train, memory)).toThrow(/carries reweighing counts, but task "churn" as pinned sets no mitigation.reweighing/);
    expect(trainingWeights(open(''), plain, train, memory)).toBeUndefined();
  });
});
