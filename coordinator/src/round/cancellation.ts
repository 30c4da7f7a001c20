// The operator cancelling a run: CANCELLED between rounds, and a race that ends a round's collection at once.
import { ConsortError } from '@consort/core';

export const CANCELLED_REASON = 'cancelled by the operator; the run stopped';

export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new ConsortError('CANCELLED', CANCELLED_REASON);
}

/**
 * The round's collection, or CANCELLED as soon as the run is cancelled (the caller then aborts
 * the round, which stops the secure session); `unblock` lets a plain collection finish at once.
 */
export async function untilCancelled<T>(collecting: Promise<T>, signal: AbortSignal | undefined, unblock: () => void): Promise<T> {
  if (!signal) return collecting;
  throwIfCancelled(signal);
  let onAbort!: () => void;
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => { unblock(); reject(new ConsortError('CANCELLED', CANCELLED_REASON)); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // The abandoned collection may still fail once the round is aborted: nothing waits for it.
  collecting.catch(() => undefined);
  try {
    return await Promise.race([collecting, cancelled]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
