// Keeps the SHA-256 of each request message's wire bytes, so signatures are checked on exactly
// what the member sent (grpc-js hands handlers decoded objects only).
import type { ServiceDefinition } from '@grpc/grpc-js';
import { sha256 } from '@consort/core';
import { REQUEST_LIMITS, oversizedRequest } from './request-limits.ts';

const DIGEST = Symbol('consort.messageDigest');

/**
 * Returns a copy of the service whose request deserializers tag each message with its digest
 * (computed when first read);
 * a request over its method's limit (REQUEST_LIMITS) is not decoded at all.
 */
export function withMessageDigests(service: ServiceDefinition): ServiceDefinition {
  const wrapped: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(service)) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        const limit = REQUEST_LIMITS[name];
        if (limit !== undefined && bytes.byteLength > limit) return oversizedRequest(bytes.byteLength);
        const message = method.requestDeserialize(bytes) as object;
        // Hashed on first use: an upload's data chunks are covered by the payload SHA-256 its
        // signed header carries, so hashing each chunk's wire bytes as well would be wasted work.
        let digest: Uint8Array | undefined;
        Object.defineProperty(message, DIGEST, { get: () => (digest ??= sha256(bytes)), enumerable: false });
        return message;
      },
    };
  }
  return wrapped as ServiceDefinition;
}

export function messageDigest(message: object): Uint8Array {
  const d = (message as Record<symbol, Uint8Array | undefined>)[DIGEST];
  if (!d) throw new Error('message has no digest: was the service registered through withMessageDigests?');
  return d;
}

/** Body digest as members sign it: SHA-256 over the concatenated per-message SHA-256s. */
export function bodyDigest(messageDigests: Uint8Array[]): Uint8Array {
  return sha256(...messageDigests);
}
