// Tests of the pure round-warning rules: each warning fires on its condition and stays quiet otherwise.
import { describe, expect, it } from 'vitest';
import { roundWarnings, type EarlierRound, type RoundObservation } from './round-warnings.ts';

const BINS = 10;

function hist(fill: (i: number) => number): Float64Array {
  return Float64Array.from({ length: BINS }, (_, i) => fill(i));
}

function train(over: Partial<RoundObservation> = {}): RoundObservation {
  return {
    purpose: 'train', task: 'binary', trainLoss: 0.5, evalAuc: 0.8, evalExamples: 200,
    histPos: hist((i) => (i >= 5 ? 20 : 0)), histNeg: hist((i) => (i < 5 ? 20 : 0)),
    clipped: 0, clippable: 1000, weightClip: 16, ...over,
  };
}

const history: EarlierRound[] = [
  { number: 1, purpose: 'statistics', trainLoss: null, evalAuc: null },
  { number: 2, purpose: 'train', trainLoss: 0.6, evalAuc: 0.7 },
  { number: 3, purpose: 'train', trainLoss: 0.5, evalAuc: 0.82 },
];

const codes = (o: RoundObservation, e: EarlierRound[] = history) => roundWarnings(o, e).map((w) => w.code);

describe('round warnings', () => {
  it('a sound training round raises nothing', () => {
    expect(roundWarnings(train(), history)).toEqual([]);
    expect(roundWarnings(train(), [])).toEqual([]);
  });

  it('names clipped weights with count and share, and clipped statistics', () => {
    const [w] = roundWarnings(train({ clipped: 12 }), history);
    expect(w.code).toBe('WEIGHTS_CLIPPED');
    expect(w.message).toContain('12 of 1000 model weights (1.2%)');
    expect(w.message).toContain('±16');
    const [s] = roundWarnings({ ...train({ clipped: 3, clippable: 60 }), purpose: 'statistics', trainLoss: null, evalAuc: null, evalExamples: 0 }, []);
    expect(s.code).toBe('STATISTICS_CLIPPED');
    expect(s.message).toContain('3 of 60 feature sums (5.0%)');
  });

  it('names non-finite values (secure count) and the members left out (plain)', () => {
    expect(codes(train({ nonFiniteValues: 4 }))).toEqual(['NON_FINITE_VALUES']);
    const [w] = roundWarnings(train({ nonFiniteMembers: ['m-7'] }), history);
    expect(w).toMatchObject({ code: 'NON_FINITE_VALUES' });
    expect(w.message).toContain('m-7');
  });

  it('flags a non-finite loss, the binary clamp artefact, and a 10× explosion', () => {
    expect(codes(train({ trainLoss: Number.NaN }))).toEqual(['LOSS_DIVERGED']);
    expect(codes(train({ trainLoss: Number.POSITIVE_INFINITY }))).toEqual(['LOSS_DIVERGED']);
    const [clamp] = roundWarnings(train({ trainLoss: 50008.33 }), []);
    expect(clamp.code).toBe('LOSS_DIVERGED');
    expect(clamp.message).toContain('ceiling');
    // Regression losses have no ceiling, but 10× the first round's is divergence.
    expect(codes(train({ task: 'regression', trainLoss: 6.1, evalAuc: null }))).toEqual(['LOSS_DIVERGED']);
    expect(codes(train({ task: 'regression', trainLoss: 5.9, evalAuc: null }))).toEqual([]);
    // Non-training rounds carry no training loss and never raise it.
    expect(codes({ ...train(), purpose: 'evaluate', trainLoss: null })).toEqual([]);
  });

  it('flags held-out scores that all fall in one bin', () => {
    const constant = train({ histPos: hist((i) => (i === 5 ? 40 : 0)), histNeg: hist((i) => (i === 5 ? 160 : 0)), evalAuc: 0.5 });
    expect(codes(constant, [])).toEqual(['CONSTANT_SCORES']);
    expect(roundWarnings(constant, [])[0].message).toContain('all 200 held-out rows');
    // Two bins: not constant.
    expect(codes(train({ histPos: hist((i) => (i === 5 ? 40 : 0)), histNeg: hist((i) => (i === 4 ? 160 : 0)) }), [])).toEqual([]);
    // Regression has no histograms to judge.
    expect(codes(train({ task: 'regression', evalAuc: null, histPos: hist(() => 0), histNeg: hist((i) => (i === 0 ? 9 : 0)) }), [])).toEqual([]);
  });

  it('flags AUC ≥ 0.05 below the best so far, not a small wobble', () => {
    const [w] = roundWarnings(train({ evalAuc: 0.77 }), history);
    expect(w.code).toBe('AUC_DROPPED');
    expect(w.message).toContain('best so far (0.8200, round 3)');
    expect(codes(train({ evalAuc: 0.775 }))).toEqual([]);
    expect(codes(train({ evalAuc: null }))).toEqual([]);
  });

  it('reports several warnings of one round in a fixed order', () => {
    expect(codes(train({ clipped: 1, nonFiniteValues: 2, trainLoss: 9, evalAuc: 0.6 }))).toEqual(['WEIGHTS_CLIPPED', 'NON_FINITE_VALUES', 'LOSS_DIVERGED', 'AUC_DROPPED']);
  });
});
