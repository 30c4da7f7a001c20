// The member count a DP noise share is sized for: never above what the member verified.
import { describe, expect, it } from 'vitest';
import { NoiseSharers, noiseShareMembers } from './noise-sharers.ts';

describe('noise sharers', () => {
  it('sizes for the fewer of the announced count and the verified key set', async () => {
    expect(noiseShareMembers(6, 4)).toBe(4);
    expect(noiseShareMembers(4, 4)).toBe(4);
    expect(noiseShareMembers(4, 5)).toBe(4);
    expect(() => noiseShareMembers(0, 4)).toThrow(RangeError);
    const s = new NoiseSharers(6);
    expect(s.verified(4)).toBe(4);
    s.abandon('late'); // settled already: no effect
    await expect(s.members).resolves.toBe(4);
  });

  it('a round that ends before its key set is verified rejects the wait (queued local work does not hang)', async () => {
    const s = new NoiseSharers(5);
    s.abandon('the round closed');
    await expect(s.members).rejects.toThrow("the round's key set was never verified (the round closed)");
  });
});
