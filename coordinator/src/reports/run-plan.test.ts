// Run headers say what will happen: the rounds a model task runs, a segmentation task's k range and round budget.
import { describe, expect, it } from 'vitest';
import { resolveTask, resolveTaskDefinition } from '@consort/core';
import { runPlan } from './run-plan.ts';
import { segmentationRoundBudget } from '../segmentation/segmentation-task.ts';

describe('runPlan', () => {
  const model = resolveTaskDefinition({ name: 't', label: 'churned', numeric: ['x'] });

  it('counts a model task\'s statistics, training and evaluation rounds', () => {
    expect(runPlan({ ...model, earlyStopping: undefined }, 10)).toBe('logistic binary model, secure aggregation: 1 statistics round, 10 training rounds, then 1 evaluation round');
    // The default: early stopping, patience 10.
    expect(runPlan(model, 200)).toBe('logistic binary model, secure aggregation: 1 statistics round, up to 200 training rounds (early stopping once the held-out loss has not improved for 10 rounds), then 1 evaluation round');
    expect(runPlan({ ...model, earlyStopping: { patience: 3 } }, 50, false))
      .toBe('logistic binary model, secure aggregation: up to 50 training rounds (early stopping once the held-out loss has not improved for 3 rounds), then 1 evaluation round');
  });

  it('ends with the audit round when the task pins an audit policy', () => {
    const audited = resolveTaskDefinition({ name: 't', label: 'churned', numeric: ['x'], protected: ['gender'], earlyStopping: false, audit: { policy: { attributes: [{ name: 'gender', groups: ['F', 'M'] }] } } });
    expect(runPlan(audited, 5)).toBe(`logistic binary model, secure aggregation: 1 statistics round, 5 training rounds, then 1 evaluation round and 1 fairness audit round (policy ${audited.audit!.policyHash.slice(0, 12)})`);
  });

  it('gives a segmentation run its k range and real round budget, not the round count it was given', () => {
    const seg = resolveTask({ name: 's', kind: 'segmentation', segmentation: { features: ['a', 'b'], k: { min: 2, max: 6 } } });
    if (seg.kind !== 'segmentation') throw new Error('kind');
    // statistics + histogram + 2 refinement steps × 2 + 30 iterations × 2 + 2 profile rounds: the 68 a run really took.
    expect(segmentationRoundBudget(seg.segmentation)).toBe(68);
    const text = runPlan(seg, 10);
    expect(text).toMatch(/^segmentation: k in 2\.\.6 \(chosen by Calinski–Harabasz\), 5 restarts, up to 68 secure-sum rounds/);
    expect(text).not.toContain('10');
    const fixed = resolveTask({ name: 's', kind: 'segmentation', segmentation: { features: ['a'], k: 4, maxIterations: 10 } });
    expect(runPlan(fixed, 10)).toMatch(/^segmentation: k = 4 \(fixed\), 5 restarts, up to 28 secure-sum rounds/);
  });
});
