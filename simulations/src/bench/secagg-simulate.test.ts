// Tests of the in-process round simulation (exactness, dropouts, timings and byte counts).
import { describe, expect, it } from 'vitest';
import { neighboursForDropouts } from '@consort/core';
import { simulateSecureRound } from './secagg-simulate.ts';

describe('simulateSecureRound', () => {
  it('n=30, d=10^4, 10% dropouts at masked_input: exact, with timings and bytes', async () => {
    const r = await simulateSecureRound({ n: 30, d: 10_000, dropoutFraction: 0.1, seed: 7 });
    expect(r.exact).toBe(true);
    expect(r.dropped).toBe(3);
    expect(r.survivors).toBe(27);
    expect(r.params.neighbours).toBe(neighboursForDropouts(30, 0.1));
    for (const t of Object.values(r.timings)) expect(t.coordinatorMs).toBeGreaterThanOrEqual(0);
    // The masked vector dominates what a member sends: 4 bytes per element.
    expect(r.bytesPerMember.sent).toBeGreaterThan(0.9 * 4 * 10_000 * 0.9);
  });

  it('n=100, d=10^5, k=13, t=7, 10% dropouts: exact and fast', async () => {
    const r = await simulateSecureRound({ n: 100, d: 100_000, dropoutFraction: 0.1, neighbours: 13, threshold: 7, seed: 3 });
    console.log(JSON.stringify(r));
    expect(r.exact).toBe(true);
    expect(r.timings.unmask.coordinatorMs).toBeLessThan(5_000);
  });

  it('dropouts at consistency_check keep the inputs in the sum', async () => {
    const r = await simulateSecureRound({ n: 20, d: 1000, dropoutFraction: 0.2, dropoutStage: 'consistency_check', seed: 11 });
    expect(r.exact).toBe(true);
    expect(r.survivors).toBe(20);
  });
});
