// Ed25519 signatures (RFC 8032) on tweetnacl-format keys, computed by node:crypto (OpenSSL).
// Shared by request signing, enrollment and secure aggregation.
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import nacl from 'tweetnacl';
import { ConsortError } from '../errors/consort-error.ts';

// Ed25519 through node:crypto (OpenSSL): the same RFC 8032 signatures as tweetnacl's
// sign.detached (deterministic, so byte-identical), on the same key format (64-byte tweetnacl
// secret key = seed || public key), but ~100x faster to verify: a member checks O(n) signatures
// per round and pure-JS verification costs ~10 ms each.
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const publicKeyCache = new Map<string, KeyObject>();
// Importing a private key costs ~0.5 ms (OpenSSL derives the public key): keep the KeyObject as
// long as that very secret-key array is alive (an agent signs every request with one identity).
const privateKeyCache = new WeakMap<Uint8Array, KeyObject>();

function publicKeyObject(raw: Uint8Array): KeyObject {
  const hex = Buffer.from(raw).toString('hex');
  let key = publicKeyCache.get(hex);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
    if (publicKeyCache.size > 10_000) publicKeyCache.clear();
    publicKeyCache.set(hex, key);
  }
  return key;
}

/** Ed25519 detached signature with the member's long-term identity secret key (tweetnacl's 64-byte format). */
export function sign(message: Uint8Array, identitySecretKey: Uint8Array): Uint8Array {
  if (identitySecretKey.length !== nacl.sign.secretKeyLength) {
    throw new ConsortError('INVALID_ARGUMENT', 'An identity secret key must be a 64-byte Ed25519 key (tweetnacl sign.keyPair).');
  }
  let key = privateKeyCache.get(identitySecretKey);
  if (!key) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, identitySecretKey.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
    privateKeyCache.set(identitySecretKey, key);
  }
  return new Uint8Array(nodeSign(null, message, key));
}

/** Ed25519 verification; false (never throws) on malformed keys or signatures. */
export function verify(message: Uint8Array, signature: Uint8Array, identityPublicKey: Uint8Array): boolean {
  if (signature.length !== nacl.sign.signatureLength || identityPublicKey.length !== nacl.sign.publicKeyLength) return false;
  try {
    return nodeVerify(null, message, publicKeyObject(identityPublicKey), signature);
  } catch {
    return false;
  }
}
