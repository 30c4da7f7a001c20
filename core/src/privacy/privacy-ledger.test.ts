// Budget ledger and round charges: composition, refusal past the budget, dropped members' missing noise.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { DEFAULT_ORDERS, epsilonFromRdp, rdpCurve } from './rdp.ts';
import { PrivacyLedger, type PrivacyCharge } from './privacy-ledger.ts';
import { dpSgdSchedule, evaluationCharge, resolvePrivacyOptions, trainingRoundCharges } from './privacy-options.ts';

const train = (round: number, sigma = 1.1): PrivacyCharge => ({ round, kind: 'train', unit: 'customer', samplingRate: 0.01, noiseMultiplier: sigma, steps: 100 });

describe('PrivacyLedger', () => {
  it('composes charges: n rounds of 100 steps cost what 100·n steps cost', () => {
    const ledger = new PrivacyLedger({ epsilon: 100, delta: 1e-5 });
    for (let r = 0; r < 5; r++) ledger.charge(train(r));
    const direct = epsilonFromRdp(DEFAULT_ORDERS, rdpCurve(0.01, 1.1, 500), 1e-5).epsilon;
    expect(ledger.spent().customer.epsilon).toBeCloseTo(direct, 10);
    expect(ledger.spent().member.epsilon).toBe(0);
    expect(ledger.spent().charges).toBe(5);
  });

  it('refuses the charge that would pass the budget with PRIVACY_BUDGET_EXHAUSTED and records nothing', () => {
    const one = epsilonFromRdp(DEFAULT_ORDERS, rdpCurve(0.01, 1.1, 100), 1e-5).epsilon;
    const two = epsilonFromRdp(DEFAULT_ORDERS, rdpCurve(0.01, 1.1, 200), 1e-5).epsilon;
    const ledger = new PrivacyLedger({ epsilon: (one + two) / 2, delta: 1e-5 });
    ledger.charge(train(0));
    expect(ledger.wouldExceed([train(1)])).toBe(true);
    let caught: unknown;
    try { ledger.charge(train(1)); } catch (e) { caught = e; }
    expect(isConsortError(caught, 'PRIVACY_BUDGET_EXHAUSTED')).toBe(true);
    expect((caught as Error).message).toMatch(/budget ε=.* would be exceeded/);
    expect(ledger.charges).toHaveLength(1);
  });

  it('replays stored charges to the same spend', () => {
    const a = new PrivacyLedger({ epsilon: 50, delta: 1e-6 });
    a.charge(train(0), { ...train(1), unit: 'member', samplingRate: 1, steps: 1, noiseMultiplier: 3 });
    const b = PrivacyLedger.fromCharges(a.budget, a.charges);
    expect(b.spent()).toEqual(a.spent());
    expect(b.spent().member.epsilon).toBeGreaterThan(0);
    expect(b.spent().member.epsilon).toBeLessThan(b.spent().customer.epsilon);
  });

  it('refuses a budget with no ε or a δ of 1', () => {
    expect(() => new PrivacyLedger({ epsilon: 0, delta: 1e-5 })).toThrow(/epsilon > 0/);
    expect(() => new PrivacyLedger({ epsilon: 1, delta: 1 })).toThrow(/delta < 1/);
  });
});

describe('privacy options and round charges', () => {
  it('resolves defaults and refuses bad values with the field path', () => {
    const o = resolvePrivacyOptions({ level: 'customer', epsilon: 3, noiseMultiplier: 1.1, clipNorm: 1 })!;
    expect(o).toMatchObject({ delta: 1e-5, minRows: 1000, releaseNoiseMultiplier: 0 });
    expect(resolvePrivacyOptions(undefined)).toBeUndefined();
    expect(() => resolvePrivacyOptions({ level: 'row', epsilon: 1, noiseMultiplier: 1, clipNorm: 1 })).toThrow(/privacy.level/);
    expect(() => resolvePrivacyOptions({ level: 'member', epsilon: -1, noiseMultiplier: 1, clipNorm: 1 })).toThrow(/privacy.epsilon/);
    expect(() => resolvePrivacyOptions({ level: 'customer', epsilon: 1, noiseMultiplier: 1, clipNorm: 1, adaptiveClipping: { countNoiseMultiplier: 5 } }))
      .toThrow(/privacy.adaptiveClipping/);
  });

  it('customer level: q = batchSize / minRows and ⌈epochs / q⌉ steps per round', () => {
    const o = resolvePrivacyOptions({ level: 'customer', epsilon: 3, noiseMultiplier: 1.1, clipNorm: 1, minRows: 2000 })!;
    expect(dpSgdSchedule(o, { localEpochs: 2, batchSize: 50 })).toEqual({ samplingRate: 0.025, steps: 80 });
    const [c] = trainingRoundCharges(o, { round: 3, train: { localEpochs: 2, batchSize: 50 }, memberSamplingRate: 1, invited: 5, survivors: 5 });
    expect(c).toMatchObject({ round: 3, unit: 'customer', samplingRate: 0.025, steps: 80, noiseMultiplier: 1.1 });
  });

  it('member level: dropped members leave less noise in the sum, and the charge is for what is really there', () => {
    const o = resolvePrivacyOptions({ level: 'member', epsilon: 10, noiseMultiplier: 2, clipNorm: 1 })!;
    const all = trainingRoundCharges(o, { round: 0, train: { localEpochs: 1, batchSize: 32 }, memberSamplingRate: 0.5, invited: 10, survivors: 10 })[0];
    const some = trainingRoundCharges(o, { round: 0, train: { localEpochs: 1, batchSize: 32 }, memberSamplingRate: 0.5, invited: 10, survivors: 6 })[0];
    expect(all.noiseMultiplier).toBeCloseTo(2, 12);
    expect(some.noiseMultiplier).toBeCloseTo(2 * Math.sqrt(0.6), 12);
    const ledger = new PrivacyLedger({ epsilon: 100, delta: 1e-5 });
    expect(ledger.epsilonAfter([some])).toBeGreaterThan(ledger.epsilonAfter([all]));
  });

  it('adaptive clipping: update and count together cost exactly the configured σ when all survive', () => {
    const o = resolvePrivacyOptions({ level: 'member', epsilon: 10, noiseMultiplier: 1, clipNorm: 1, adaptiveClipping: { countNoiseMultiplier: 10 } })!;
    const [c] = trainingRoundCharges(o, { round: 0, train: { localEpochs: 1, batchSize: 32 }, memberSamplingRate: 1, invited: 8, survivors: 8 });
    expect(c.noiseMultiplier).toBeCloseTo(1, 10);
  });

  it('evaluation releases are charged only when the task asks for them', () => {
    const off = resolvePrivacyOptions({ level: 'customer', epsilon: 3, noiseMultiplier: 1, clipNorm: 1 })!;
    expect(evaluationCharge(off, 0, 5, 5)).toEqual([]);
    const on = resolvePrivacyOptions({ level: 'customer', epsilon: 3, noiseMultiplier: 1, clipNorm: 1, releaseNoiseMultiplier: 20 })!;
    expect(evaluationCharge(on, 0, 5, 5)[0]).toMatchObject({ kind: 'evaluate', samplingRate: 1, noiseMultiplier: 20 });
  });
});

describe('an empty ledger', () => {
  it('has spent nothing (not the conversion\'s ε of a zero curve)', () => {
    expect(new PrivacyLedger({ epsilon: 1, delta: 1e-5 }).spent().customer.epsilon).toBe(0);
  });
});
