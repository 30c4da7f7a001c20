// Member request authentication: refusals, and the bulk pruning of expired nonces it schedules.
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { ConsortError, MAX_CLOCK_SKEW_MS, isConsortError, sha256, signRequest } from '@consort/core';
import type { MemberRecord, Store } from '../store/store.ts';
import { authenticateMember, enrolledMember, type SignedRequest } from './member-auth.ts';

function fakeStore(member: MemberRecord) {
  const nonces = new Map<string, Date>();
  const prunes: Date[] = [];
  let memberReads = 0;
  const store = {
    async getMember(id: string) {
      memberReads++;
      return id === member.id ? member : undefined;
    },
    async recordNonce(memberId: string, nonce: string, expiresAt: Date) {
      const k = `${memberId}/${nonce}`;
      if (nonces.has(k)) throw new ConsortError('REPLAYED_REQUEST', 'replay');
      nonces.set(k, expiresAt);
    },
    async pruneNonces(now: Date) {
      prunes.push(now);
      let n = 0;
      for (const [k, e] of nonces) if (e < now) { nonces.delete(k); n++; }
      return n;
    },
  };
  return { store: store as unknown as Store, nonces, prunes, memberReads: () => memberReads };
}

const keys = nacl.sign.keyPair();
const member: MemberRecord = { id: 'm-1', federationId: 'f', displayName: 'shop', identityPublicKey: keys.publicKey, enrolledAt: new Date() };
let counter = 0;

function request(timestampMs: number, secretKey = keys.secretKey): SignedRequest {
  const r = { method: '/consort.v1.MemberService/SubmitStage', memberId: member.id, timestampMs, nonceHex: (++counter).toString(16).padStart(32, '0'), bodySha256: sha256(new Uint8Array([1, 2, 3])) };
  return { ...r, signature: signRequest(r, secretKey) };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isConsortError(err) ? err.code : String(err);
  }
}

describe('authenticateMember', () => {
  it('refuses unknown members, stale timestamps, wrong keys and replays', async () => {
    const { store } = fakeStore(member);
    const now = Date.now();
    const ok = request(now);
    expect(await code(authenticateMember(store, ok, now))).toBe('ok');
    expect(await code(authenticateMember(store, ok, now))).toBe('REPLAYED_REQUEST');
    expect(await code(authenticateMember(store, request(now - MAX_CLOCK_SKEW_MS - 1), now))).toBe('STALE_REQUEST');
    expect(await code(authenticateMember(store, request(now, nacl.sign.keyPair().secretKey), now))).toBe('BAD_SIGNATURE');
    expect(await code(authenticateMember(store, { ...request(now), memberId: 'someone' }, now))).toBe('UNKNOWN_MEMBER');
  });

  it('reads an enrolled member once, then from its cache', async () => {
    const { store, memberReads } = fakeStore(member);
    for (let i = 0; i < 3; i++) await authenticateMember(store, request(Date.now()));
    expect((await enrolledMember(store, member.id))?.id).toBe(member.id);
    expect(memberReads()).toBe(1);
  });

  it('prunes expired nonces in bulk at the first request and then at most once a minute', async () => {
    const { store, nonces, prunes } = fakeStore(member);
    const t0 = Date.now();
    await authenticateMember(store, request(t0), t0);
    await authenticateMember(store, request(t0 + 1_000), t0 + 1_000);
    await authenticateMember(store, request(t0 + 59_000), t0 + 59_000);
    expect(prunes.map((d) => d.getTime())).toEqual([t0]);
    // Past the expiry of the first nonces (twice the skew window): the next prune removes them.
    const late = t0 + 2 * MAX_CLOCK_SKEW_MS + 30_000;
    await authenticateMember(store, request(late), late);
    await new Promise((r) => setTimeout(r, 0));
    expect(prunes.map((d) => d.getTime())).toEqual([t0, late]);
    expect(nonces.size).toBe(2); // the t0 + 59 s nonce and the latest one remain
  });
});
