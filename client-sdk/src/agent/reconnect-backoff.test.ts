// Tests of the reconnect schedule: capped exponential growth, full jitter, give-up time.
import { describe, expect, it } from 'vitest';
import { ReconnectBackoff } from './reconnect-backoff.ts';

describe('ReconnectBackoff', () => {
  it('doubles the ceiling per attempt up to the cap (random = almost 1)', () => {
    const b = new ReconnectBackoff({ baseMs: 1000, capMs: 8000, giveUpAfterMs: 0, random: () => 0.999999 });
    const delays = Array.from({ length: 6 }, () => b.next(0)!.delayMs);
    expect(delays).toEqual([999, 1999, 3999, 7999, 7999, 7999]);
  });

  it('draws each delay uniformly from zero to the ceiling (full jitter)', () => {
    const b = new ReconnectBackoff({ baseMs: 1000, capMs: 30_000, random: () => 0.25 });
    expect([b.next(0)!, b.next(0)!, b.next(0)!].map((s) => [s.attempt, s.delayMs])).toEqual([[1, 250], [2, 500], [3, 1000]]);
  });

  it('gives up once the outage lasted giveUpAfterMs, the last wait ending at that time', () => {
    const b = new ReconnectBackoff({ baseMs: 1000, capMs: 30_000, giveUpAfterMs: 10_000, random: () => 0.999 });
    expect(b.next(1000)).toMatchObject({ attempt: 1, giveUpAt: 11_000 });
    expect(b.next(9000)!.delayMs).toBe(1998);
    expect(b.next(10_500)!.delayMs).toBe(500);
    expect(b.next(11_000)).toBeUndefined();
  });

  it('never gives up with giveUpAfterMs 0, and starts over after reset', () => {
    const b = new ReconnectBackoff({ giveUpAfterMs: 0, random: () => 0.5 });
    expect(b.next(0)!.giveUpAt).toBeUndefined();
    expect(b.next(1e12)).toBeDefined();
    b.reset();
    expect(b.outageStartedAt).toBeUndefined();
    expect(b.next(5)).toMatchObject({ attempt: 1, delayMs: 500 });
    expect(b.outageStartedAt).toBe(5);
  });
});
