// Reads the signed-request metadata of a call and authenticates the member.
import type { Metadata } from '@grpc/grpc-js';
import { ConsortError } from '@consort/core';
import type { MemberRecord, Store } from '../../store/store.ts';
import { authenticateMember } from '../../members/member-auth.ts';

function one(metadata: Metadata, key: string): string {
  const v = metadata.get(key)[0];
  if (typeof v !== 'string' || !v) {
    throw new ConsortError('BAD_SIGNATURE', `request metadata "${key}" is missing; member requests must be signed (see protos/consort/v1/member.proto)`);
  }
  return v;
}

/** The signature fields of a call, before the body digest is known. */
export function readSignedMetadata(metadata: Metadata): { memberId: string; timestampMs: number; nonceHex: string; signature: Uint8Array } {
  const sigHex = one(metadata, 'x-consort-signature');
  if (!/^[0-9a-f]{128}$/.test(sigHex)) throw new ConsortError('BAD_SIGNATURE', 'x-consort-signature must be 64 bytes of hex');
  return {
    memberId: one(metadata, 'x-consort-member'),
    timestampMs: Number(one(metadata, 'x-consort-timestamp')),
    nonceHex: one(metadata, 'x-consort-nonce'),
    signature: Buffer.from(sigHex, 'hex'),
  };
}

/** Async so that a missing header rejects (a synchronous throw would reach grpc-js as UNKNOWN). */
export async function authenticateCall(store: Store, metadata: Metadata, method: string, bodySha256: Uint8Array): Promise<MemberRecord> {
  return authenticateMember(store, { ...readSignedMetadata(metadata), method, bodySha256 });
}
