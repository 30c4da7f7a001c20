// Tests of the member's per-round log lines.
import { describe, expect, it } from 'vitest';
import type { RoundClosed__Output } from '@consort/protos/types/RoundClosed';
import { roundClosedLine, type RoundSeen } from './round-log.ts';

const seen = (purpose: string): RoundSeen => ({ roundId: 'r1', number: 3, purpose, aggregation: 'secure' });
const metrics = { participants: 5, numExamples: 12000, trainLoss: 0.41234, evalLoss: 0.40123, evalAuc: 0.81234, evalExamples: 3000, stageSeconds: {}, warnings: [] };
const closed = (o: Partial<RoundClosed__Output>): RoundClosed__Output => ({ roundId: 'r1', outcome: 'aggregated', reason: '', modelVersionId: '', metrics: null, ...o });

describe('roundClosedLine', () => {
  it('names the round, the new model and its metrics after a training round', () => {
    expect(roundClosedLine(seen('train'), closed({ modelVersionId: 'mv9', metrics }))).toBe(
      'round 3 (train, secure) aggregated: new model mv9; train loss 0.4123 over 12,000 rows of 5 members; previous model held-out loss 0.4012, AUC 0.8123 on 3,000 rows');
  });

  it('says what statistics and evaluation rounds produced', () => {
    expect(roundClosedLine(seen('statistics'), closed({ metrics }))).toBe('round 3 (statistics, secure) aggregated: preprocessing fitted from 12,000 rows of 5 members');
    expect(roundClosedLine(seen('evaluate'), closed({ metrics }))).toBe('round 3 (evaluate, secure) aggregated: final model held-out loss 0.4012, AUC 0.8123 on 3,000 rows, 5 members');
  });

  it('gives the reason of an aborted round, and the round id of one never seen open', () => {
    expect(roundClosedLine(seen('train'), closed({ outcome: 'aborted', reason: 'too few members' }))).toBe('round 3 (train, secure) aborted: too few members');
    expect(roundClosedLine(undefined, closed({ outcome: 'aborted', reason: 'x' }))).toBe('round r1 aborted: x');
  });
});
