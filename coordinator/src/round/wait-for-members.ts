// Waiting, before a round, until enough of a federation's members are connected.
import type { Store } from '../store/store.ts';

/** What the wait needs to know: who is online now. */
export interface OnlineMembers {
  online(federationId: string): string[];
}

/**
 * Waits until `min` members are online (or `waitMs` passed); then, for up to `settleMs` more,
 * until every enrolled member is online: members started together all join a round.
 */
export async function waitForMembers(deps: { connections: OnlineMembers; store: Pick<Store, 'listMembers'> }, federationId: string, min: number,
  waitMs: number, options: { signal?: AbortSignal; onWaiting?: (online: number, needed: number) => void } = {}, settleMs = 0): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  let online = deps.connections.online(federationId);
  let told = -1;
  while (online.length < min && Date.now() < deadline && !options.signal?.aborted) {
    if (online.length !== told) options.onWaiting?.((told = online.length), min);
    await new Promise((r) => setTimeout(r, 100));
    online = deps.connections.online(federationId);
  }
  if (settleMs > 0 && online.length >= min) {
    const enrolled = (await deps.store.listMembers(federationId)).length;
    const settled = Math.min(deadline, Date.now() + settleMs);
    while (online.length < enrolled && Date.now() < settled && !options.signal?.aborted) {
      await new Promise((r) => setTimeout(r, 100));
      online = deps.connections.online(federationId);
    }
  }
  return online;
}
