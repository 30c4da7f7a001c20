// The coordinator's long-term Ed25519 key: made at first start beside its database (mode 600),
// pinned by every member at enrollment, and used to sign every RoundOpen the coordinator sends.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { ConsortError, signRoundOpen } from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';

export const COORDINATOR_KEY_FILE = 'coordinator-key.json';

export interface CoordinatorKey {
  publicKey: Uint8Array;
  /** tweetnacl's 64-byte secret key (seed + public key). */
  secretKey: Uint8Array;
}

interface KeyFile {
  version: 1;
  publicKey: string;
  secretKey: string;
}

/** Reads `<dataDir>/coordinator-key.json`, or creates it (owner-only) on the first start. */
export function loadOrCreateCoordinatorKey(dataDir: string): CoordinatorKey {
  const path = join(dataDir, COORDINATOR_KEY_FILE);
  if (!existsSync(path)) {
    const kp = nacl.sign.keyPair();
    const file: KeyFile = { version: 1, publicKey: Buffer.from(kp.publicKey).toString('base64'), secretKey: Buffer.from(kp.secretKey).toString('base64') };
    // 'wx': never overwrite a key another process wrote meanwhile (members pinned that one).
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return { publicKey: kp.publicKey, secretKey: kp.secretKey };
  }
  let file: KeyFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `coordinator key ${path} is not valid JSON (${(err as Error).message}); restore it from a backup (members pinned its public key)`);
  }
  const publicKey = new Uint8Array(Buffer.from(file.publicKey ?? '', 'base64'));
  const secretKey = new Uint8Array(Buffer.from(file.secretKey ?? '', 'base64'));
  if (publicKey.length !== 32 || secretKey.length !== 64 || !Buffer.from(secretKey.subarray(32)).equals(Buffer.from(publicKey))) {
    throw new ConsortError('INVALID_ARGUMENT', `coordinator key ${path} has malformed keys; restore it from a backup (members pinned its public key)`);
  }
  return { publicKey, secretKey };
}

/**
 * Signs the RoundOpen of an outgoing event (other events pass unchanged). The same RoundOpen
 * object goes to every invited member: it is signed once.
 */
export function roundOpenSigner(key: CoordinatorKey): (event: CoordinatorEvent) => CoordinatorEvent {
  const signed = new WeakMap<object, CoordinatorEvent>();
  return (event) => {
    const open = event.roundOpen;
    if (!open) return event;
    let out = signed.get(open);
    if (!out) {
      out = { ...event, roundOpen: { ...open, coordinatorSignature: Buffer.from(signRoundOpen(open, key.secretKey)) } };
      signed.set(open, out);
    }
    return out;
  };
}
