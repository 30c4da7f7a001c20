// Plain message shapes of the secure-aggregation stages (mirror protos/consort/v1/secagg.proto).
import type { ModVector } from './mod-vector.ts';
export type { EncryptedShare } from './share-box.ts';
import type { EncryptedShare } from './share-box.ts';

/** Stage advertise_keys, member -> coordinator: two fresh X25519 public keys, signed with the identity key. */
export interface AdvertiseKeys {
  memberId: string;
  encryptionPublicKey: Uint8Array;
  maskPublicKey: Uint8Array;
  /** Ed25519 over signedBytes(["consort.v1/advertise", round id, member id, enc pk, mask pk]). */
  signature: Uint8Array;
}

/** Stage advertise_keys, first step (commit-then-reveal), member -> coordinator: keyCommitment(...) of the keys it will reveal. */
export interface KeyCommitment {
  memberId: string;
  commitment: Uint8Array;
  /** Ed25519 over commitMessage(round id, member id, commitment). */
  signature: Uint8Array;
}

/** Coordinator -> every member once commitments close: the fixed member set of the round. Keys are revealed only after it. */
export interface KeyCommitmentSet {
  roundId: string;
  commitments: KeyCommitment[];
}

/** One entry of the key set; `identityPublicKey` is informative: members verify against their own registry. */
export interface AdvertisedKey extends AdvertiseKeys {
  identityPublicKey?: Uint8Array;
}

/** Coordinator -> every member after advertise_keys closes. */
export interface AdvertisedKeySet {
  roundId: string;
  keys: AdvertisedKey[];
  /** graphSeedFor(round, keys): members recompute and compare it. */
  graphSeed: Uint8Array;
}

/** Coordinator -> one member after share_keys closes: the ciphertexts addressed to it. */
export interface RoutedShares {
  roundId: string;
  shares: EncryptedShare[];
}

/** Stage masked_input, member -> coordinator. */
export interface MaskedInput {
  memberId: string;
  vector: ModVector;
}

/** Stage consistency_check, coordinator -> survivors of masked_input. */
export interface ConsistencyRequest {
  roundId: string;
  survivors: string[];
}

/** A survivor's Ed25519 signature over signedBytes(["consort.v1/consistency", round id, ...sorted survivors]). */
export interface SurvivorSignature {
  memberId: string;
  signature: Uint8Array;
}

/** Stage unmask, coordinator -> signers of the consistency check. */
export interface UnmaskRequest {
  roundId: string;
  /** Members whose masked input is in the sum: reveal their self-mask seed shares. */
  survivors: string[];
  /** Members that shared keys but sent no masked input: reveal their mask-key shares. */
  dropped: string[];
  signatures: SurvivorSignature[];
}

/**
 * `pairwise_seed`: the 32-byte pairwise mask seed s_uv of the revealer u with a dropped peer v
 * whose share bundle u complained about (u holds none of v's shares, but masked with v).
 */
export type RevealedShareKind = 'self_mask_seed' | 'mask_private_key' | 'pairwise_seed';

export interface RevealedShare {
  ownerMemberId: string;
  kind: RevealedShareKind;
  share: Uint8Array;
}

/** Stage unmask, member -> coordinator. */
export interface UnmaskShares {
  memberId: string;
  shares: RevealedShare[];
}

/**
 * What a member can complain about: a neighbour whose advertised key is unusable (checkable by
 * anyone from the key set) or whose share bundle did not decrypt or verify (not checkable by the
 * coordinator: nacl.box is deniable, so such a complaint is evidence against one of two members).
 */
export type ComplaintKind = 'invalid_key' | 'bad_share_bundle';

/** A member's signed report that `accusedMemberId` broke the protocol towards it; the member treats the peer as dropped. */
export interface Complaint {
  memberId: string;
  accusedMemberId: string;
  kind: ComplaintKind;
  detail: string;
  /** Ed25519 by the complainer's identity key over complaintMessage(round, member, accused, kind, detail). */
  signature: Uint8Array;
}
