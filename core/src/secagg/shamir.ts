// t-of-k Shamir sharing of 32-byte secrets over GF(256), via the audited shamir-secret-sharing package.
//
// x-coordinates: `split` draws a random permutation of 1..255 and gives share j the coordinate
// xs[j], stored as the LAST byte of the share (so a share of a 32-byte secret is 33 bytes and is
// self-describing). Coordinates are therefore distinct within one split, never 0 (the secret),
// and at most 255 shares exist; `combine` rejects duplicate coordinates and interpolates at 0.
// The library requires 2 <= t and does not check the result: callers verify reconstructed
// secrets where they can (a mask key against its advertised public key).
import { combine, split } from 'shamir-secret-sharing';
import { ConsortError } from '../errors/consort-error.ts';

/** Bytes of a share of a 32-byte secret: 32 evaluations + the x-coordinate. */
export const SHARE_BYTES = 33;

/** Splits a secret into `shares` shares, any `threshold` of which reconstruct it. */
export async function splitSecret(secret: Uint8Array, shares: number, threshold: number): Promise<Uint8Array[]> {
  if (!(threshold >= 2 && threshold <= shares && shares <= 255)) {
    throw new ConsortError('INVALID_ARGUMENT', `Shamir needs 2 <= threshold (${threshold}) <= shares (${shares}) <= 255.`);
  }
  return split(secret, shares, threshold);
}

/** The x-coordinate of a share (its last byte). */
export function shareX(share: Uint8Array): number {
  return share[share.length - 1];
}

/**
 * Reconstructs a secret from at least `threshold` shares with distinct x-coordinates (duplicates
 * are skipped). With `crossCheck` and more than t shares, it also reconstructs from the last t
 * and requires the same result: two different t-subsets agree only if the shares they do not
 * share lie on one polynomial, so a single corrupted share is detected (with overwhelming
 * probability) instead of silently corrupting the sum. Throws SECAGG_PROTOCOL_VIOLATION when
 * too few shares remain, SECAGG_VERIFICATION_FAILED when the subsets disagree.
 */
export async function combineShares(
  shares: readonly Uint8Array[],
  threshold: number,
  owner = 'a member',
  options: { crossCheck?: boolean } = {},
): Promise<Uint8Array> {
  const seen = new Set<number>();
  const distinct: Uint8Array[] = [];
  for (const s of shares) {
    if (s.length !== SHARE_BYTES || seen.has(shareX(s)) || shareX(s) === 0) continue;
    seen.add(shareX(s));
    distinct.push(s);
  }
  if (distinct.length < threshold) {
    throw new ConsortError(
      'SECAGG_PROTOCOL_VIOLATION',
      `Only ${distinct.length} valid distinct shares of ${owner}'s secret, ${threshold} are needed: abort the round.`,
      { member: owner },
    );
  }
  const secret = await combine(distinct.slice(0, threshold));
  if (options.crossCheck && distinct.length > threshold) {
    const other = await combine(distinct.slice(distinct.length - threshold));
    let diff = 0;
    for (let i = 0; i < secret.length; i++) diff |= secret[i] ^ other[i];
    if (diff !== 0) {
      throw new ConsortError(
        'SECAGG_VERIFICATION_FAILED',
        `The revealed shares of ${owner}'s secret are inconsistent: a neighbour revealed a corrupted share. Abort the round and investigate ${owner}'s neighbours.`,
        { member: owner },
      );
    }
  }
  return secret;
}
