// The round-facing strategy: sampling inside configureTrain, evaluation aggregated from sums only, the wrapped optimizer's state kept.
import { describe, expect, it } from 'vitest';
import { SCORE_BINS } from '../../metrics/index.ts';
import { aucFromHistograms } from '../../metrics/auc.ts';
import { createStrategy } from './create-strategy.ts';
import { sampleMembers } from './client-sampling.ts';
import { RoundStrategy, type EvaluationSums } from './round-strategy.ts';

const base = { localEpochs: 1, batchSize: 32, learningRate: 0.1, proximalMu: 0 };
const members = ['m5', 'm1', 'm4', 'm2', 'm3'];

describe('RoundStrategy', () => {
  it('samples training members inside configureTrain, reproducibly, and asks everyone to evaluate', () => {
    const s = new RoundStrategy(createStrategy({ name: 'fedavg', lrSchedule: { kind: 'exponential', decay: 0.5 } }), { fraction: 0.6, minMembers: 2, seed: 9 });
    const r3 = s.configureTrain(3, base, members);
    expect(r3.members).toEqual(sampleMembers(members, 0.6, 2, 9, 3));
    expect(r3.members).toHaveLength(3);
    expect(r3.settings.learningRate).toBeCloseTo(0.025, 12);
    expect(s.configureTrain(3, base, [...members].reverse()).members).toEqual(r3.members);
    expect(s.configureEvaluate(3, members).members).toEqual(members);
    const all = new RoundStrategy(createStrategy({ name: 'fedavg' }), { fraction: 1, minMembers: 2, seed: 9 });
    expect(all.configureTrain(1, base, members).members).toEqual(members);
  });

  it('aggregates an evaluation from sums: binary loss, AUC and its table; regression in the target\'s units; nothing from no rows', () => {
    const s = new RoundStrategy(createStrategy({ name: 'fedavg' }), { fraction: 1, minMembers: 2, seed: 1 });
    const histPos = new Array<number>(SCORE_BINS).fill(0);
    const histNeg = new Array<number>(SCORE_BINS).fill(0);
    histPos[SCORE_BINS - 2] = 30; histPos[3] = 10; histNeg[2] = 50; histNeg[SCORE_BINS - 3] = 10;
    const sums: EvaluationSums = { task: 'binary', examples: 100, lossSum: 42, absErrSum: 0, labelSum: 0, labelSquareSum: 0, histPos, histNeg, target: { mean: 0, std: 1 } };
    const binary = s.aggregateEvaluate(sums);
    expect(binary.loss).toBeCloseTo(0.42, 12);
    expect(binary.auc).toBeCloseTo(aucFromHistograms(histPos, histNeg), 12);
    expect(binary.detail?.positives).toBe(40);
    // Regression: MSE 0.25 in standardized units is 0.25·std² in the target's units.
    const reg = s.aggregateEvaluate({ ...sums, task: 'regression', lossSum: 25, absErrSum: 40, labelSum: 0, labelSquareSum: 100, target: { mean: 10, std: 2 } });
    expect(reg.loss).toBeCloseTo(1, 12);
    expect(reg.auc).toBeNull();
    expect(reg.rmse).toBeCloseTo(1, 12);
    expect(reg.mae).toBeCloseTo(0.8, 12);
    expect(reg.r2).toBeCloseTo(0.75, 12);
    expect(s.aggregateEvaluate({ ...sums, examples: 0 })).toEqual({ loss: null, auc: null });
  });

  it('keeps the wrapped optimizer\'s state', () => {
    const s = new RoundStrategy(createStrategy({ name: 'fedavgm', momentum: 0.9 }), { fraction: 1, minMembers: 1, seed: 1 });
    const global = new Float32Array([0, 0]);
    s.aggregateTrain(global, { weightedSum: new Float64Array([2, 4]), totalExamples: 2, contributions: 2 }, { kind: 'logistic', task: 'binary', inputDim: 1, hidden: [], activation: 'relu', dropout: 0, l2: 0 });
    const restored = new RoundStrategy(createStrategy({ name: 'fedavgm', momentum: 0.9 }), { fraction: 1, minMembers: 1, seed: 1 });
    restored.restore(s.state());
    expect(restored.state()).toEqual(s.state());
    expect(Object.values(s.state()).some((v) => Array.isArray(v) && v.some((x) => x !== 0))).toBe(true);
  });
});
