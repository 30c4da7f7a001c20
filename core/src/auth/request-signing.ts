// Signed member requests: what bytes a member signs and how the coordinator checks them.
// The signature covers the serialized request exactly as sent on the wire (its SHA-256), so
// verification never depends on re-encoding a message the same way.
import { sign, verify } from '../crypto/ed25519.ts';
import { createHash } from 'node:crypto';
import { ConsortError } from '../errors/consort-error.ts';

const DOMAIN = 'consort.v1';

/** How far a request's timestamp may be from the coordinator's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface RequestSignatureInput {
  method: string;
  memberId: string;
  timestampMs: number;
  nonceHex: string;
  bodySha256: Uint8Array;
}

/** Length-prefixed concatenation: no field can run into the next one. */
export function signedBytes(parts: (string | Uint8Array)[]): Uint8Array {
  const encoded = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p));
  const total = encoded.reduce((n, p) => n + 4 + p.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const p of encoded) {
    view.setUint32(offset, p.length);
    out.set(p, offset + 4);
    offset += 4 + p.length;
  }
  return out;
}

export function requestSigningBytes(r: RequestSignatureInput): Uint8Array {
  return signedBytes([DOMAIN, r.method, r.memberId, String(r.timestampMs), r.nonceHex, r.bodySha256]);
}

export function sha256(...chunks: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return new Uint8Array(h.digest());
}

/** Signs a request with the member's Ed25519 secret key (64 bytes, tweetnacl layout). */
export function signRequest(r: RequestSignatureInput, secretKey: Uint8Array): Uint8Array {
  return sign(requestSigningBytes(r), secretKey);
}

/**
 * Checks timestamp freshness and the signature; throws STALE_REQUEST or BAD_SIGNATURE.
 * Nonce uniqueness is the caller's job (it needs the store).
 */
export function verifyRequest(r: RequestSignatureInput, signature: Uint8Array, publicKey: Uint8Array, nowMs: number): void {
  if (!Number.isFinite(r.timestampMs) || Math.abs(nowMs - r.timestampMs) > MAX_CLOCK_SKEW_MS) {
    throw new ConsortError('STALE_REQUEST',
      `request timestamp of member ${r.memberId} is more than ${MAX_CLOCK_SKEW_MS / 1000}s away from the coordinator's clock; check the member machine's clock`,
      { memberId: r.memberId });
  }
  if (!/^[0-9a-f]{32}$/.test(r.nonceHex)) {
    throw new ConsortError('BAD_SIGNATURE', `request nonce of member ${r.memberId} must be 16 random bytes in hex`, { memberId: r.memberId });
  }
  if (!verify(requestSigningBytes(r), signature, publicKey)) {
    throw new ConsortError('BAD_SIGNATURE',
      `signature of member ${r.memberId} on ${r.method} does not verify against its enrolled identity key; the agent must sign with the key it enrolled with`,
      { memberId: r.memberId, method: r.method });
  }
}

/** The enrollment proof of possession: the member signs the token together with its public key. */
export function enrollmentProofBytes(token: string, publicKey: Uint8Array): Uint8Array {
  return signedBytes([`${DOMAIN}/enroll`, token, publicKey]);
}
