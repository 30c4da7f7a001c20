// Tests of t-of-k Shamir sharing of 32-byte secrets, including the reconstruction budget.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { combineShares, splitSecret } from './shamir.ts';

describe('shamir', () => {
  it('any t of k shares reconstruct; t - 1 shares do not', async () => {
    const secret = new Uint8Array(randomBytes(32));
    const shares = await splitSecret(secret, 13, 7);
    expect(shares).toHaveLength(13);
    expect(await combineShares(shares.slice(0, 7), 7)).toEqual(secret);
    expect(await combineShares(shares.slice(6), 7)).toEqual(secret);
    await expect(combineShares(shares.slice(0, 6), 7)).rejects.toSatisfy((e) => isConsortError(e, 'SECAGG_PROTOCOL_VIOLATION'));
    // Interpolating 6 points of a degree-6 polynomial gives a wrong secret.
    const { combine } = await import('shamir-secret-sharing');
    expect(await combine(shares.slice(0, 6))).not.toEqual(secret);
  });

  it('ignores duplicated shares when counting', async () => {
    const secret = new Uint8Array(randomBytes(32));
    const shares = await splitSecret(secret, 5, 3);
    await expect(combineShares([shares[0], shares[0], shares[1]], 3)).rejects.toThrow();
    expect(await combineShares([shares[0], shares[0], shares[1], shares[4]], 3)).toEqual(secret);
  });

  it('cross-checking detects a corrupted share instead of returning a wrong secret', async () => {
    const secret = new Uint8Array(randomBytes(32));
    const shares = await splitSecret(secret, 13, 7);
    expect(await combineShares(shares.slice(0, 9), 7, 'm1', { crossCheck: true })).toEqual(secret);
    for (const position of [0, 4, 8]) {
      const bad = shares.slice(0, 9).map((s) => s.slice());
      bad[position][5] ^= 0x40;
      await expect(combineShares(bad, 7, 'm1', { crossCheck: true })).rejects.toSatisfy((e) => isConsortError(e, 'SECAGG_VERIFICATION_FAILED'));
    }
  });

  it('reconstructs 100 secrets from 7 of 13 shares in well under 100 ms', async () => {
    const secrets = Array.from({ length: 100 }, () => new Uint8Array(randomBytes(32)));
    const shared = await Promise.all(secrets.map((s) => splitSecret(s, 13, 7)));
    const t0 = performance.now();
    const back = [];
    for (const shares of shared) back.push(await combineShares(shares.slice(3, 10), 7));
    const ms = performance.now() - t0;
    console.log(`100 reconstructions (t=7): ${ms.toFixed(1)} ms`);
    expect(back).toEqual(secrets);
    expect(ms).toBeLessThan(100);
  });
});
