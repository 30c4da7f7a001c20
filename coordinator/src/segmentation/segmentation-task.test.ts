// The private segmentation run's plan: its charges, the refusal naming how many Lloyd iterations fit, and profiles from released Lloyd sums.
import { describe, expect, it } from 'vitest';
import { PrivacyLedger, resolveTask, type SegmentationTask } from '@consort/core';
import { checkPlannedSegmentation, plannedSegmentationCharges, profileFromLloyd, segmentationRoundBudget } from './segmentation-task.ts';

const def = resolveTask({
  name: 'seg', kind: 'segmentation', segmentation: { features: ['a'], k: 3, restarts: 1, maxIterations: 30 },
  privacy: { epsilon: 8, noiseMultiplier: 3, statistics: { noiseMultiplier: 2, bounds: { a: [0, 1] } } },
}) as SegmentationTask;
const privacy = def.privacy!;

describe('private segmentation plan', () => {
  it('charges one release per round of the worst case (no profile sums round)', () => {
    const charges = plannedSegmentationCharges(privacy, 30, true);
    expect(charges).toHaveLength(segmentationRoundBudget(def.segmentation, true, true));
    expect(charges).toHaveLength(67);
    expect(charges[0]).toMatchObject({ kind: 'statistics', noiseMultiplier: 2 });
    expect(charges.filter((c) => c.kind === 'segmentation-lloyd')).toHaveLength(32);
    expect(plannedSegmentationCharges(privacy, 30, false)).toHaveLength(66);
  });

  it('refuses a plan past the budget, naming the Lloyd iterations that fit, and the count is right', () => {
    const ledger = new PrivacyLedger({ epsilon: privacy.epsilon, delta: privacy.delta });
    let message = '';
    try { checkPlannedSegmentation(def, privacy, ledger, true); } catch (err) { message = (err as Error).message; }
    const fit = Number(/; (\d+) Lloyd iterations? fit/.exec(message)?.[1]);
    expect(fit).toBeGreaterThan(0);
    // maxIterations and the noise are pinned with the task: the advice is a new task, never "set" or "raise" them.
    expect(message).toContain(`define a new task with segmentation.maxIterations ${fit}`);
    expect(message).not.toMatch(/raise privacy|set segmentation/);
    expect(ledger.epsilonAfter(plannedSegmentationCharges(privacy, fit, true))).toBeLessThanOrEqual(8);
    expect(ledger.epsilonAfter(plannedSegmentationCharges(privacy, fit + 1, true))).toBeGreaterThan(8);
    expect(checkPlannedSegmentation({ ...def, segmentation: { ...def.segmentation, maxIterations: fit } }, privacy, ledger, true)).toBeLessThanOrEqual(8);
  });

  it('profiles from the last Lloyd sums: feature sums only for segments of at least minCount', () => {
    const last = { counts: Float64Array.of(40, 5), sums: Float64Array.of(8, 1), sumSquares: Float64Array.of(20, 1), clusterCost: Float64Array.of(1, 1) };
    const p = profileFromLloyd(Float64Array.of(41, 6), last, 1, 20);
    expect(Array.from(p.size)).toEqual([41, 6]);
    expect(Array.from(p.present)).toEqual([40, 0]);
    expect(Array.from(p.featureSums)).toEqual([8, 0]);
    expect(Array.from(p.featureSquares)).toEqual([20, 0]);
  });
});
