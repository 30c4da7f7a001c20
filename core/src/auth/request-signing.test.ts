// Tests of request signing: a signature binds method, member, time, nonce and body bytes.
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { signRequest, verifyRequest, sha256, type RequestSignatureInput } from './request-signing.ts';
import { isConsortError } from '../errors/consort-error.ts';

const keys = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7));
const now = 1_700_000_000_000;
const base: RequestSignatureInput = {
  method: '/consort.v1.MemberService/SubmitStage', memberId: 'm1', timestampMs: now, nonceHex: 'ab'.repeat(16),
  bodySha256: sha256(new TextEncoder().encode('body')),
};

function codeOf(fn: () => void): string | undefined {
  try { fn(); } catch (e) { return isConsortError(e) ? e.code : 'OTHER'; }
  return undefined;
}

describe('request signing', () => {
  const sig = signRequest(base, keys.secretKey);
  it('verifies an untouched request', () => {
    expect(codeOf(() => verifyRequest(base, sig, keys.publicKey, now + 1000))).toBeUndefined();
  });
  it('rejects any changed field or body', () => {
    for (const changed of [
      { ...base, method: '/consort.v1.MemberService/UploadInput' },
      { ...base, memberId: 'm2' },
      { ...base, timestampMs: now + 1 },
      { ...base, nonceHex: 'cd'.repeat(16) },
      { ...base, bodySha256: sha256(new TextEncoder().encode('other')) },
    ]) expect(codeOf(() => verifyRequest(changed, sig, keys.publicKey, now))).toBe('BAD_SIGNATURE');
  });
  it('rejects another key and stale timestamps', () => {
    const other = nacl.sign.keyPair();
    expect(codeOf(() => verifyRequest(base, sig, other.publicKey, now))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyRequest(base, sig, keys.publicKey, now + 10 * 60_000))).toBe('STALE_REQUEST');
  });
});
