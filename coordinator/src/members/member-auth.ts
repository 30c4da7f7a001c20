// Authenticates a member request: enrolled member, fresh timestamp, valid signature, new nonce.
import { ConsortError, MAX_CLOCK_SKEW_MS, verifyRequest } from '@consort/core';
import type { MemberRecord, Store } from '../store/store.ts';

export interface SignedRequest {
  method: string;
  memberId: string;
  timestampMs: number;
  nonceHex: string;
  signature: Uint8Array;
  bodySha256: Uint8Array;
}

// Enrolled identities never change (no key rotation yet), so each store keeps a cache of them:
// a member's every request would otherwise cost a database read before its signature check.
// Revocation is the one change: revokeMember() writes the store and then drops the cached record.
const enrolled = new WeakMap<Store, Map<string, MemberRecord>>();

/** The enrolled member `memberId` (cached per store), or undefined when there is none. */
export async function enrolledMember(store: Store, memberId: string): Promise<MemberRecord | undefined> {
  let cache = enrolled.get(store);
  if (!cache) enrolled.set(store, (cache = new Map()));
  const hit = cache.get(memberId);
  if (hit) return hit;
  const member = await store.getMember(memberId);
  if (member) {
    if (cache.size > 100_000) cache.clear();
    cache.set(memberId, member);
  }
  return member;
}

/** Drops the cached record of `memberId` so its next request reads the store again (after a revocation). */
export function forgetMember(store: Store, memberId: string): void {
  enrolled.get(store)?.delete(memberId);
}

/** Expired nonces are deleted in bulk, at most this often, instead of never (or per request). */
const PRUNE_EVERY_MS = 60_000;
const lastPrune = new WeakMap<Store, number>();

/** Starts a bulk delete of expired nonces when the last one is PRUNE_EVERY_MS old (first request: now). */
function pruneNoncesNowAndThen(store: Store, nowMs: number): void {
  const last = lastPrune.get(store);
  if (last !== undefined && nowMs - last < PRUNE_EVERY_MS && nowMs >= last) return;
  lastPrune.set(store, nowMs);
  // Not awaited: a request never waits for housekeeping, and a failed prune is retried next time.
  store.pruneNonces(new Date(nowMs)).catch(() => undefined);
}

/** Throws UNKNOWN_MEMBER, STALE_REQUEST, BAD_SIGNATURE, MEMBER_REVOKED or REPLAYED_REQUEST; returns the member. */
export async function authenticateMember(store: Store, req: SignedRequest, nowMs = Date.now()): Promise<MemberRecord> {
  const member = req.memberId ? await enrolledMember(store, req.memberId) : undefined;
  if (!member) {
    throw new ConsortError('UNKNOWN_MEMBER', `no enrolled member has id "${req.memberId}"; enroll the agent with an enrollment token first`, { memberId: req.memberId });
  }
  verifyRequest(req, req.signature, member.identityPublicKey, nowMs);
  // Checked after the signature: only the member itself learns that it was revoked.
  if (member.revokedAt) {
    throw new ConsortError('MEMBER_REVOKED', `member "${member.id}" (${member.displayName}) was revoked by the operator at ${member.revokedAt.toISOString()}; ask the operator for a new enrollment token and enroll a new identity`, { memberId: member.id });
  }
  // The nonce is remembered for twice the skew window: any replay inside the window is caught,
  // and anything older already fails the timestamp check.
  // Written in a group commit with the nonces of concurrent requests; resolves once committed.
  await store.recordNonce(member.id, req.nonceHex, new Date(nowMs + 2 * MAX_CLOCK_SKEW_MS));
  pruneNoncesNowAndThen(store, nowMs);
  return member;
}
