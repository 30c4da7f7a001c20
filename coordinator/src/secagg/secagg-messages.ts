// Coordinator-side translation between the typed wire messages of secure aggregation and the
// protocol objects of core/secagg (core speaks Uint8Array, the wire speaks Buffer).
import type {
  AdvertiseKeys, AdvertisedKeySet, Complaint, KeyCommitment, KeyCommitmentSet, ConsistencyRequest, EncryptedShare, RoutedShares, SurvivorSignature, UnmaskRequest, UnmaskShares,
} from '@consort/core';
import type { AdvertiseKeys__Output } from '@consort/protos/types/AdvertiseKeys';
import type { AdvertisedKeySet as AdvertisedKeySetMessage } from '@consort/protos/types/AdvertisedKeySet';
import type { Complaint__Output } from '@consort/protos/types/Complaint';
import type { KeyCommitment__Output } from '@consort/protos/types/KeyCommitment';
import type { KeyCommitmentSet as KeyCommitmentSetMessage } from '@consort/protos/types/KeyCommitmentSet';
import type { EncryptedShare__Output } from '@consort/protos/types/EncryptedShare';
import type { RoutedShares as RoutedSharesMessage } from '@consort/protos/types/RoutedShares';
import type { UnmaskRequest as UnmaskRequestMessage } from '@consort/protos/types/UnmaskRequest';
import type { UnmaskShares__Output } from '@consort/protos/types/UnmaskShares';

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
/** Plain Uint8Array copies: core's crypto libraries reject Buffer subclasses in places. */
const u8 = (b: Uint8Array) => new Uint8Array(b);

export function advertisementFrom(memberId: string, m: AdvertiseKeys__Output): AdvertiseKeys {
  return { memberId, encryptionPublicKey: u8(m.encryptionPublicKey), maskPublicKey: u8(m.maskPublicKey), signature: u8(m.signature) };
}

export function commitmentFrom(memberId: string, m: KeyCommitment__Output): KeyCommitment {
  return { memberId, commitment: u8(m.commitment), signature: u8(m.signature) };
}

/** The fixed commitments, each with the member's enrolled identity key (members check it against their pins). */
export function commitmentSetMessage(set: KeyCommitmentSet, identities: ReadonlyMap<string, Uint8Array>): KeyCommitmentSetMessage {
  return {
    roundId: set.roundId,
    commitments: set.commitments.map((c) => ({
      memberId: c.memberId, commitment: { commitment: buf(c.commitment), signature: buf(c.signature) }, identityPublicKey: buf(identities.get(c.memberId)!),
    })),
  };
}

/** The sender is the authenticated member, whatever the message claims. */
export function sharesFrom(memberId: string, shares: EncryptedShare__Output[]): EncryptedShare[] {
  return shares.map((s) => ({ fromMemberId: memberId, toMemberId: s.toMemberId, nonce: u8(s.nonce), ciphertext: u8(s.ciphertext) }));
}

export function signatureFrom(memberId: string, signature: Buffer): SurvivorSignature {
  return { memberId, signature: u8(signature) };
}

export function revealFrom(memberId: string, m: UnmaskShares__Output): UnmaskShares {
  return {
    memberId,
    shares: m.shares.map((s) => ({
      ownerMemberId: s.ownerMemberId,
      kind: s.kind === 'SELF_MASK_SEED' ? 'self_mask_seed' : s.kind === 'MASK_PRIVATE_KEY' ? 'mask_private_key'
        : s.kind === 'PAIRWISE_SEED' ? 'pairwise_seed' : ('unspecified' as never),
      share: u8(s.share),
    })),
  };
}

/** The complainer is the authenticated member; an unknown kind is passed on for core to refuse. */
export function complaintFrom(memberId: string, c: Complaint__Output): Complaint {
  return { memberId, accusedMemberId: c.accusedMemberId, kind: c.kind as Complaint['kind'], detail: c.detail, signature: u8(c.signature) };
}

export function keySetMessage(k: AdvertisedKeySet): AdvertisedKeySetMessage {
  return {
    roundId: k.roundId, graphSeed: buf(k.graphSeed),
    keys: k.keys.map((key) => ({
      memberId: key.memberId, identityPublicKey: buf(key.identityPublicKey!),
      keys: { encryptionPublicKey: buf(key.encryptionPublicKey), maskPublicKey: buf(key.maskPublicKey), signature: buf(key.signature) },
    })),
  };
}

export function routedSharesMessage(r: RoutedShares): RoutedSharesMessage {
  return { roundId: r.roundId, shares: r.shares.map((s) => ({ ...s, nonce: buf(s.nonce), ciphertext: buf(s.ciphertext) })) };
}

export function consistencyMessage(r: ConsistencyRequest): ConsistencyRequest {
  return { roundId: r.roundId, survivors: r.survivors };
}

export function unmaskMessage(r: UnmaskRequest): UnmaskRequestMessage {
  return { roundId: r.roundId, survivors: r.survivors, dropped: r.dropped, signatures: r.signatures.map((s) => ({ memberId: s.memberId, signature: buf(s.signature) })) };
}
