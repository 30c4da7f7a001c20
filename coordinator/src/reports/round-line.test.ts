// Tests of the operator's round line: unmeasured metrics show "—", warnings are named on their own lines.
import { describe, expect, it } from 'vitest';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import { formatRoundLine, metricCell } from './round-line.ts';

function report(over: Partial<RoundReport__Output> = {}, metrics: Partial<NonNullable<RoundReport__Output['metrics']>> = {}): RoundReport__Output {
  return {
    roundId: 'r1', purpose: 'train', roundNumber: 2, state: 'published', reason: '', modelVersionId: 'mv-1',
    participants: ['a', 'b', 'c'], dropped: [], waiting: null,
    metrics: { participants: 3, numExamples: 900, trainLoss: 0.41234, evalLoss: 0.44, evalAuc: 0.812, evalExamples: 200, stageSeconds: {}, warnings: [], ...metrics },
    ...over,
  };
}

describe('formatRoundLine', () => {
  it('prints what a training round measured', () => {
    expect(formatRoundLine(report())).toBe('round 2 train published: 3 members, train loss 0.4123, held-out loss 0.4400, AUC 0.8120, model mv-1');
  });

  it('shows "—" for the loss and AUC a statistics round never measured (no 0.0000)', () => {
    const line = formatRoundLine(report({ purpose: 'statistics', roundNumber: 1, modelVersionId: '' }, { trainLoss: undefined, evalAuc: undefined, evalLoss: 0, evalExamples: 0 }));
    expect(line).toBe('round 1 statistics published: 3 members, train loss —, held-out loss —, AUC —');
    expect(line).not.toContain('0.0000');
    // An evaluation round measured held-out quality but did not train.
    expect(formatRoundLine(report({ purpose: 'evaluate' }, { trainLoss: undefined }))).toContain('train loss —, held-out loss 0.4400, AUC 0.8120');
    // A regression round has no AUC.
    expect(formatRoundLine(report({}, { evalAuc: undefined }))).toContain('AUC —');
  });

  it('names each warning on its own line, then the dropped members', () => {
    const text = formatRoundLine(report({ dropped: ['c: no input'] }, {
      warnings: [
        { code: 'WEIGHTS_CLIPPED', message: '3 of 90 model weights (3.3%) were clipped', column: '' },
        { code: 'ZERO_VARIANCE_COLUMN', message: 'no spread', column: 'balance' },
      ],
    }));
    expect(text.split('\n')).toEqual([
      'round 2 train published: 2 members, train loss 0.4123, held-out loss 0.4400, AUC 0.8120, model mv-1; 2 warnings',
      '  warning WEIGHTS_CLIPPED: 3 of 90 model weights (3.3%) were clipped',
      '  warning ZERO_VARIANCE_COLUMN [balance]: no spread',
      '  dropped c: no input',
    ]);
  });

  it('metricCell never prints NaN or a missing value as a number', () => {
    expect(metricCell(Number.NaN)).toBe('—');
    expect(metricCell(null)).toBe('—');
    expect(metricCell(0.5, 2)).toBe('0.50');
  });
  it('leaves the model columns out of rounds that sum counts (audit, reweighing, segmentation), keeping ε', () => {
    const line = formatRoundLine(report({ purpose: 'segmentation-lloyd', modelVersionId: '' }, { trainLoss: undefined, evalAuc: undefined, evalExamples: 0, privacyEpsilon: 1.5, privacyBudgetEpsilon: 8, privacyDelta: 1e-5 }));
    expect(line).toBe('round 2 segmentation-lloyd published: 3 members, privacy ε 1.500 of 8 (δ 0.00001)');
  });
});
