// Byte helpers shared by the secure-aggregation modules: length-prefixed fields, hashing, id order.
import { createHash } from 'node:crypto';
import { ConsortError } from '../errors/consort-error.ts';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** One field of a signed or hashed message: text (UTF-8) or raw bytes. */
export type Field = string | Uint8Array;

/**
 * Encodes fields as `u32be(length) || bytes` each, so that no two different field lists share an
 * encoding ("ab"|"c" and "a"|"bc" differ). Every signature, hash and share plaintext uses it.
 */
export function signedBytes(parts: readonly Field[]): Uint8Array {
  const encoded = parts.map((p) => (typeof p === 'string' ? utf8.encode(p) : p));
  const total = encoded.reduce((sum, b) => sum + 4 + b.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const b of encoded) {
    view.setUint32(offset, b.length, false);
    out.set(b, offset + 4);
    offset += 4 + b.length;
  }
  return out;
}

/** Inverse of `signedBytes`; throws SECAGG_VERIFICATION_FAILED on a malformed encoding. */
export function decodeFields(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 4 > bytes.length) throw malformed();
    const len = view.getUint32(offset, false);
    if (offset + 4 + len > bytes.length) throw malformed();
    fields.push(bytes.subarray(offset + 4, offset + 4 + len));
    offset += 4 + len;
  }
  return fields;
}

function malformed(): ConsortError {
  return new ConsortError('SECAGG_VERIFICATION_FAILED', 'Malformed length-prefixed message; the sender is faulty or the message was tampered with.');
}

/** UTF-8 decode (fatal on invalid input). */
export function textOf(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** SHA-256 of the concatenation of the given byte arrays. */
export function sha256(...chunks: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return new Uint8Array(h.digest());
}

/** Constant-length byte comparison (not timing-critical here: all inputs are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The one total order on member ids used everywhere (UTF-16 code units, like Array#sort). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted copy of member ids. */
export function sortedIds(ids: Iterable<string>): string[] {
  return [...ids].sort(compareIds);
}
