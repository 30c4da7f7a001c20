// Enrollment tokens and member enrollment: one-time tokens, stored only as hashes.
import { createHash, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { ConsortError, enrollmentProofBytes, verify } from '@consort/core';
import type { MemberRecord, Store } from '../store/store.ts';

const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Issues `count` one-time tokens; the coordinator keeps only their SHA-256. */
export async function issueEnrollmentTokens(store: Store, federationId: string, count: number, ttlSeconds = 0): Promise<{ tokens: string[]; expiresAt: Date }> {
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    throw new ConsortError('INVALID_ARGUMENT', `token count must be between 1 and 10000, got ${count}`);
  }
  await store.getFederation(federationId);
  const tokens = Array.from({ length: count }, () => `cst_${randomBytes(24).toString('base64url')}`);
  const expiresAt = new Date(Date.now() + (ttlSeconds || DEFAULT_TTL_SECONDS) * 1000);
  await store.createEnrollmentTokens(federationId, tokens.map(tokenHash), expiresAt);
  await store.appendAuditEvent({ actor: 'operator', kind: 'tokens.issued', subjectType: 'federation', subjectId: federationId, detail: { count, expiresAt: expiresAt.toISOString() } });
  return { tokens, expiresAt };
}

export interface EnrollInput {
  token: string;
  identityPublicKey: Uint8Array;
  displayName: string;
  proofOfPossession: Uint8Array;
}

/** Checks the proof that the member holds its key, then consumes the token atomically. */
export async function enrollMember(store: Store, input: EnrollInput): Promise<MemberRecord> {
  if (!input.token) throw new ConsortError('ENROLLMENT_TOKEN_UNKNOWN', 'no enrollment token given; ask the operator for one');
  if (input.identityPublicKey.length !== nacl.sign.publicKeyLength) {
    throw new ConsortError('INVALID_ARGUMENT', `identity_public_key must be a ${nacl.sign.publicKeyLength}-byte Ed25519 key, got ${input.identityPublicKey.length} bytes`);
  }
  const name = input.displayName.trim();
  if (!name || name.length > 200) throw new ConsortError('INVALID_ARGUMENT', 'display_name must be 1-200 characters');
  const proof = enrollmentProofBytes(input.token, input.identityPublicKey);
  if (!verify(proof, input.proofOfPossession, input.identityPublicKey)) {
    throw new ConsortError('BAD_SIGNATURE', 'enrollment proof of possession does not verify: sign the token and public key with the identity key being enrolled');
  }
  const member = await store.consumeEnrollmentToken(tokenHash(input.token), { displayName: name, identityPublicKey: input.identityPublicKey }, new Date());
  await store.appendAuditEvent({ actor: member.id, kind: 'member.enrolled', subjectType: 'member', subjectId: member.id, detail: { federationId: member.federationId } });
  return member;
}
