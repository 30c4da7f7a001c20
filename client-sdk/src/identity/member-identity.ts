// The member's long-term Ed25519 identity: generated on the member's machine, never sent.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import nacl from 'tweetnacl';
import { ConsortError } from '@consort/core';

export interface MemberIdentity {
  publicKey: Uint8Array;
  /** tweetnacl's 64-byte secret key (seed + public key). */
  secretKey: Uint8Array;
  /** Set once enrolled. */
  memberId?: string;
  federationId?: string;
  coordinator?: string;
  displayName?: string;
  /** The coordinator's Ed25519 key, pinned at enrollment: every RoundOpen must be signed by it. */
  coordinatorPublicKey?: Uint8Array;
}

interface IdentityFile {
  version: 1;
  publicKey: string;
  secretKey: string;
  memberId?: string;
  federationId?: string;
  coordinator?: string;
  displayName?: string;
  coordinatorPublicKey?: string;
}

export function generateIdentity(): MemberIdentity {
  const kp = nacl.sign.keyPair();
  return { publicKey: kp.publicKey, secretKey: kp.secretKey };
}

/** Writes the identity with owner-only permissions (it holds the private key). */
export function saveIdentity(path: string, id: MemberIdentity): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const file: IdentityFile = {
    version: 1,
    publicKey: Buffer.from(id.publicKey).toString('base64'),
    secretKey: Buffer.from(id.secretKey).toString('base64'),
    memberId: id.memberId, federationId: id.federationId, coordinator: id.coordinator, displayName: id.displayName,
    coordinatorPublicKey: id.coordinatorPublicKey ? Buffer.from(id.coordinatorPublicKey).toString('base64') : undefined,
  };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function loadIdentity(path: string): MemberIdentity {
  if (!existsSync(path)) {
    throw new ConsortError('INVALID_ARGUMENT', `no member identity at ${path}; run "consort-agent enroll" first`);
  }
  let file: IdentityFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as IdentityFile;
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `member identity ${path} is not valid JSON (${(err as Error).message}); restore it from a backup or enroll again`);
  }
  const publicKey = new Uint8Array(Buffer.from(file.publicKey ?? '', 'base64'));
  const secretKey = new Uint8Array(Buffer.from(file.secretKey ?? '', 'base64'));
  if (publicKey.length !== 32 || secretKey.length !== 64 || !Buffer.from(secretKey.subarray(32)).equals(Buffer.from(publicKey))) {
    throw new ConsortError('INVALID_ARGUMENT', `member identity ${path} has malformed keys; restore it from a backup or enroll again`);
  }
  const coordinatorPublicKey = file.coordinatorPublicKey ? new Uint8Array(Buffer.from(file.coordinatorPublicKey, 'base64')) : undefined;
  if (coordinatorPublicKey && coordinatorPublicKey.length !== 32) {
    throw new ConsortError('INVALID_ARGUMENT', `member identity ${path} has a malformed coordinatorPublicKey; restore it from a backup or enroll again`);
  }
  return {
    publicKey, secretKey, memberId: file.memberId, federationId: file.federationId, coordinator: file.coordinator, displayName: file.displayName,
    coordinatorPublicKey,
  };
}
