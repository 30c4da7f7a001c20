// Per-method request size limits, applied to the wire bytes before a message is decoded:
// an unauthenticated peer cannot make the coordinator decode (or store) megabytes.
import type * as grpc from '@grpc/grpc-js';
import { ConsortError } from '@consort/core';

const KIB = 1024;

/** The largest request each MemberService method accepts (UploadInput chunks keep the channel limit). */
export const REQUEST_LIMITS: Readonly<Record<string, number>> = {
  Enroll: 64 * KIB,
  Connect: 64 * KIB,
  DownloadModel: 64 * KIB,
  DeclineRound: 64 * KIB,
  FetchModelFile: 64 * KIB,
  // Share bundles grow with the number of neighbours (about 200 bytes each): room for over 1000.
  SubmitStage: 256 * KIB,
};

const TOO_LARGE = Symbol('consort.requestTooLarge');

/** Stands in for a message that was not decoded because it was `bytes` long. */
export function oversizedRequest(bytes: number): object {
  return Object.defineProperty({}, TOO_LARGE, { value: bytes, enumerable: false });
}

/** Throws REQUEST_TOO_LARGE when the call's request was refused undecoded. */
export function checkRequestSize(method: string, request: unknown): void {
  const bytes = (request as Record<symbol, number | undefined> | null)?.[TOO_LARGE];
  if (bytes !== undefined) {
    throw new ConsortError('REQUEST_TOO_LARGE', `${method} request of ${bytes} bytes refused: this method accepts at most ${REQUEST_LIMITS[method]} bytes`, { method, bytes });
  }
}

type AnyHandler = (call: { request?: unknown; getPeer(): string; emit(e: 'error', err: unknown): boolean }, callback?: grpc.sendUnaryData<unknown>) => void;

/**
 * Wraps the handlers of the size-limited methods: an oversized request is answered
 * RESOURCE_EXHAUSTED (through `fail`) and never reaches the handler.
 */
export function withRequestLimits<H extends object>(handlers: H, fail: (err: unknown, where: string, call: { getPeer(): string }) => grpc.ServiceError): H {
  const out: Record<string, unknown> = { ...(handlers as Record<string, unknown>) };
  for (const method of Object.keys(REQUEST_LIMITS)) {
    const handler = (handlers as Record<string, AnyHandler | undefined>)[method];
    if (!handler) continue;
    out[method] = ((call, callback) => {
      try {
        checkRequestSize(method, call.request);
      } catch (err) {
        const e = fail(err, method, call);
        if (callback) callback(e);
        else call.emit('error', e);
        return;
      }
      handler(call, callback);
    }) satisfies AnyHandler;
  }
  return out as H;
}
