// Per-peer counting in fixed windows: bounds what one address can make the coordinator do
// before (or by failing) authentication.

/** The IP of a grpc-js peer string ("127.0.0.1:40312", "[::1]:40312", "ipv4:…"): ports change per connection. */
export function peerHost(peer: string | undefined): string {
  if (!peer) return 'unknown';
  const p = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(p);
  if (v6) return v6[1];
  return (p.match(/:/g) ?? []).length === 1 ? p.replace(/:\d+$/, '') : p;
}

/** Counts events per peer; a peer with `limit` events in the current window is refused until it ends. */
export class PeerLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(readonly limit: number, readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  private current(peer: string): { start: number; count: number } {
    const t = this.now();
    let w = this.windows.get(peer);
    if (!w || t - w.start >= this.windowMs) {
      // Forget finished windows now and then, so a spray of addresses cannot grow the map for ever.
      if (this.windows.size > 10_000) for (const [k, v] of this.windows) if (t - v.start >= this.windowMs) this.windows.delete(k);
      w = { start: t, count: 0 };
      this.windows.set(peer, w);
    }
    return w;
  }

  /** True when the peer has used up its window (nothing is counted). */
  blocked(peer: string): boolean {
    return this.current(peer).count >= this.limit;
  }

  /** Counts one event. */
  record(peer: string): void {
    this.current(peer).count++;
  }

  /** Counts one event and says whether it was still within the limit. */
  take(peer: string): boolean {
    const w = this.current(peer);
    if (w.count >= this.limit) return false;
    w.count++;
    return true;
  }

  /** Gives back one event counted in the current window (a call that turned out legitimate). */
  refund(peer: string): void {
    const w = this.current(peer);
    if (w.count > 0) w.count--;
  }

  /** Seconds until the peer's window ends (for the refusal message). */
  secondsLeft(peer: string): number {
    return Math.max(1, Math.ceil((this.current(peer).start + this.windowMs - this.now()) / 1000));
  }
}
