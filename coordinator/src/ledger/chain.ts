// The audit log's hash chain and signed checkpoints: what an entry's hash covers and what a checkpoint signs (pure).
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import nacl from 'tweetnacl';

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

/** Signs a checkpoint with the coordinator's 64-byte tweetnacl secret key. */
export function signCheckpoint(s: CheckpointStatement, secretKey: Uint8Array, at: Date = new Date()): SignedCheckpoint {
  const signature = nacl.sign.detached(statementBytes(s), secretKey);
  return { seq: s.seq, headHash: s.headHash, at, publicKey: Buffer.from(secretKey.subarray(32)).toString('base64'), signature: Buffer.from(signature).toString('base64') };
}

/** True when `cp` carries a valid signature by `publicKey` (the key the verifier trusts, not the one stored beside it). */
export function checkpointSignatureValid(cp: SignedCheckpoint, publicKey: Uint8Array): boolean {
  const sig = Buffer.from(cp.signature, 'base64');
  if (sig.length !== nacl.sign.signatureLength || publicKey.length !== nacl.sign.publicKeyLength) return false;
  return nacl.sign.detached.verify(statementBytes(cp), new Uint8Array(sig), publicKey);
}
