// Member-to-member encryption of Shamir share bundles with nacl.box, bound to (round, from, to).
import nacl from 'tweetnacl';
import { ConsortError } from '../errors/consort-error.ts';
import { decodeFields, signedBytes, textOf } from './encoding.ts';
import { DOMAIN } from './keys.ts';
import { SHARE_BYTES } from './shamir.ts';

/** One member's shares for one neighbour: of its self-mask seed b_u and of its mask secret key. */
export interface ShareBundle {
  selfSeedShare: Uint8Array;
  maskKeyShare: Uint8Array;
}

/** A share bundle in transit; the coordinator routes it by `toMemberId` and cannot read it. */
export interface EncryptedShare {
  fromMemberId: string;
  toMemberId: string;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

/**
 * Encrypts a bundle for `to` with nacl.box (X25519 + XSalsa20-Poly1305). The plaintext repeats
 * (domain, round, from, to), so a ciphertext replayed from another round or re-addressed to
 * another member fails `openShares` even if the envelope fields are rewritten.
 */
export function sealShares(
  roundId: string,
  fromMemberId: string,
  toMemberId: string,
  bundle: ShareBundle,
  senderEncryptionSecretKey: Uint8Array,
  receiverEncryptionPublicKey: Uint8Array,
): EncryptedShare {
  const plaintext = signedBytes([DOMAIN.share, roundId, fromMemberId, toMemberId, bundle.selfSeedShare, bundle.maskKeyShare]);
  const nonce = nacl.randomBytes(nacl.box.nonceLength);
  const ciphertext = nacl.box(plaintext, nonce, receiverEncryptionPublicKey, senderEncryptionSecretKey);
  return { fromMemberId, toMemberId, nonce, ciphertext };
}

/** Decrypts and checks the binding; throws SECAGG_VERIFICATION_FAILED naming the sender otherwise. */
export function openShares(
  roundId: string,
  expectedFrom: string,
  expectedTo: string,
  message: EncryptedShare,
  senderEncryptionPublicKey: Uint8Array,
  receiverEncryptionSecretKey: Uint8Array,
): ShareBundle {
  const fail = (why: string) =>
    new ConsortError('SECAGG_VERIFICATION_FAILED', `Share bundle from ${expectedFrom} to ${expectedTo} in round ${roundId} ${why}: drop it and treat the sender as dropped.`, {
      member: expectedFrom,
      stage: 'share_keys',
    });
  if (message.fromMemberId !== expectedFrom || message.toMemberId !== expectedTo) throw fail('has a re-addressed envelope');
  if (message.nonce.length !== nacl.box.nonceLength) throw fail('has a malformed nonce');
  const plaintext = nacl.box.open(message.ciphertext, message.nonce, senderEncryptionPublicKey, receiverEncryptionSecretKey);
  if (!plaintext) throw fail('does not decrypt (wrong keys or tampered ciphertext)');
  const fields = decodeFields(plaintext);
  if (fields.length !== 6) throw fail('has a malformed plaintext');
  const [domain, round, from, to, selfSeedShare, maskKeyShare] = fields;
  if (textOf(domain) !== DOMAIN.share || textOf(round) !== roundId) throw fail('belongs to another round (replay)');
  if (textOf(from) !== expectedFrom || textOf(to) !== expectedTo) throw fail('was swapped between members');
  if (selfSeedShare.length !== SHARE_BYTES || maskKeyShare.length !== SHARE_BYTES) throw fail('has malformed shares');
  return { selfSeedShare: selfSeedShare.slice(), maskKeyShare: maskKeyShare.slice() };
}
