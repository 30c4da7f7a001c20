// The audit log's hash chain and signed checkpoints: what an entry's hash covers and what a checkpoint signs (pure).
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';

/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Domain separation: a checkpoint signature can never be replayed as a RoundOpen or report signature. */
export const CHECKPOINT_PURPOSE = 'consort.audit-log-checkpoint.v1';

/** The fields of an audit entry that its hash covers. */
export interface ChainedFields {
  seq: number;
  prevHash: string;
  at: Date;
  kind: string;
  subjectType: string;
  subjectId: string;
  actor: string;
  /** As stored: the JSON round trip of what the caller passed (undefined fields dropped). */
  detail: unknown;
}

/**
 * SHA-256 hex over the RFC 8785 canonical JSON of (seq, prevHash, time, kind, subject, actor,
 * detail): any edit of a covered field, or moving the entry, changes it.
 */
export function auditEntryHash(e: ChainedFields): string {
  const doc = {
    seq: e.seq,
    prevHash: e.prevHash,
    time: e.at.toISOString(),
    kind: e.kind,
    subject: { type: e.subjectType, id: e.subjectId },
    actor: e.actor,
    detail: e.detail ?? null,
  };
  return createHash('sha256').update(canonicalize(doc) ?? '').digest('hex');
}

/** What a checkpoint signs: the log's entry `seq` has hash `headHash`. */
export interface CheckpointStatement {
  seq: number;
  headHash: string;
}

/** A stored checkpoint: the statement, when it was made, and the Ed25519 signature (base64) by publicKey (base64). */
export interface SignedCheckpoint extends CheckpointStatement {
  at: Date;
  publicKey: string;
  signature: string;
}

function statementBytes(s: CheckpointStatement): Uint8Array {
  return new TextEncoder().encode(canonicalize({ purpose: CHECKPOINT_PURPOSE, seq: s.seq, headHash: s.headHash }) ?? '');
}

// DER headers that wrap raw Ed25519 keys for node:crypto (RFC 8410): PKCS#8 around the 32-byte
// seed, SubjectPublicKeyInfo around the 32-byte public key. node:crypto verifies a log's thousands
// of checkpoints ~100x faster than pure-JS tweetnacl; the signatures are the same bytes.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Signs a checkpoint with the coordinator's 64-byte tweetnacl secret key (seed + public key). */
export function signCheckpoint(s: CheckpointStatement, secretKey: Uint8Array, at: Date = new Date()): SignedCheckpoint {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, secretKey.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
  const signature = sign(null, statementBytes(s), key);
  return { seq: s.seq, headHash: s.headHash, at, publicKey: Buffer.from(secretKey.subarray(32)).toString('base64'), signature: signature.toString('base64') };
}

/** True when `cp` carries a valid signature by `publicKey` (the key the verifier trusts, not the one stored beside it). */
export function checkpointSignatureValid(cp: SignedCheckpoint, publicKey: Uint8Array | KeyObject): boolean {
  const sig = Buffer.from(cp.signature, 'base64');
  if (sig.length !== 64) return false;
  if (publicKey instanceof Uint8Array && publicKey.length !== 32) return false;
  return verify(null, statementBytes(cp), publicKey instanceof Uint8Array ? publicKeyObject(publicKey) : publicKey, sig);
}

/** The KeyObject of a raw 32-byte Ed25519 public key (to verify many checkpoints with one key). */
export function checkpointKey(publicKey: Uint8Array): KeyObject {
  return publicKeyObject(publicKey);
}
