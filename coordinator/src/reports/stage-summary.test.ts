import { describe, expect, it } from 'vitest';
import { formatStageSeconds } from './stage-summary.ts';

describe('formatStageSeconds', () => {
  it('lists the stages in protocol order with two decimals, whatever order they are stored in', () => {
    expect(formatStageSeconds({ unmask: 0.3, masked_input: 2.604, advertise_keys: 0.21, consistency_check: 0.149, share_keys: 0.58 }))
      .toBe('keys 0.21 · shares 0.58 · input 2.60 · check 0.15 · unmask 0.30');
  });

  it('shows only the stages a round reached (an aborted round) and ignores unknown or non-numeric entries', () => {
    expect(formatStageSeconds({ advertise_keys: 0.2, share_keys: 5, other: 3, masked_input: 'x' })).toBe('keys 0.20 · shares 5.00');
  });

  it('is undefined for a round without stage timings (plain aggregation)', () => {
    expect(formatStageSeconds(undefined)).toBeUndefined();
    expect(formatStageSeconds({})).toBeUndefined();
    expect(formatStageSeconds('keys 1')).toBeUndefined();
  });
});
