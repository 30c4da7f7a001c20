// When to try the coordinator again: capped exponential backoff with full jitter, and when to give up.
// Full jitter (a uniform delay in [0, min(cap, base·2^attempt)]) keeps a federation's members from
// reconnecting in lockstep after a coordinator restart (AWS Architecture Blog, "Exponential Backoff And Jitter").

/** Options of ReconnectBackoff; every field has a default. */
export interface ReconnectBackoffOptions {
  /** Upper bound of the first delay (default 1 s). */
  baseMs?: number;
  /** Largest delay (default 30 s). */
  capMs?: number;
  /** Give up after this long without a connection; 0 = never (default 24 h). */
  giveUpAfterMs?: number;
  /** Uniform random number in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

/** The next attempt: how long to wait, its number, and when the agent gives up (undefined: never). */
export interface ReconnectStep {
  delayMs: number;
  attempt: number;
  giveUpAt?: number;
}

export const DEFAULT_GIVE_UP_AFTER_MS = 24 * 3600_000;

/** One outage at a time: `next()` until connected, then `reset()`. */
export class ReconnectBackoff {
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly giveUpAfterMs: number;
  private readonly random: () => number;
  private attempt = 0;
  private since?: number;

  constructor(o: ReconnectBackoffOptions = {}) {
    this.baseMs = o.baseMs ?? 1000;
    this.capMs = o.capMs ?? 30_000;
    this.giveUpAfterMs = o.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS;
    this.random = o.random ?? Math.random;
  }

  /** When the current outage began (undefined while connected). */
  get outageStartedAt(): number | undefined {
    return this.since;
  }

  /** The next attempt of the current outage, or undefined when it is time to give up. */
  next(nowMs = Date.now()): ReconnectStep | undefined {
    this.since ??= nowMs;
    const giveUpAt = this.giveUpAfterMs > 0 ? this.since + this.giveUpAfterMs : undefined;
    if (giveUpAt !== undefined && nowMs >= giveUpAt) return undefined;
    this.attempt += 1;
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt - 1, 30));
    let delayMs = Math.floor(this.random() * ceiling);
    // The last attempt happens at the give-up time, not after it.
    if (giveUpAt !== undefined) delayMs = Math.min(delayMs, giveUpAt - nowMs);
    return { delayMs, attempt: this.attempt, giveUpAt };
  }

  /** Connected: the next outage starts from the first attempt again. */
  reset(): void {
    this.attempt = 0;
    this.since = undefined;
  }
}
