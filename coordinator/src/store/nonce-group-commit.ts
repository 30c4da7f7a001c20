// Group commit of request nonces: every signed member request records one nonce, and one database
// commit per request was the largest fixed cost of a request (a secure round makes ~6 per member).
// Nonces that arrive within a few milliseconds are written in one statement (one commit); each request still
// waits for the commit that holds its nonce, so a request is never answered before its nonce is
// durable. Recently seen nonces are also kept in memory so that a replay is refused at once (also
// one that arrives while the original is still waiting for its commit); the database's unique key
// stays the authority: a nonce the memory has forgotten is still refused by the insert.
import { ConsortError } from '@consort/core';

/** One UsedNonce row. */
export interface NonceRow {
  memberId: string;
  nonce: string;
  expiresAt: Date;
}

/** How the group commit reaches the database. */
export interface NonceWriter {
  /**
   * Inserts, in one atomic statement, the rows whose (memberId, nonce) is not stored yet, and
   * returns those it inserted (a row repeated within `rows` is inserted once).
   */
  insertNew(rows: NonceRow[]): Promise<{ memberId: string; nonce: string }[]>;
}

export interface NonceGroupCommitOptions {
  /** How long the first nonce of a batch waits for others to join it (default 2 ms). */
  windowMs?: number;
  /** Largest batch written in one commit (default 300: 900 bind parameters, under SQLite's old limit of 999). */
  maxBatch?: number;
  /** Nonces remembered in memory for early replay refusal, oldest forgotten first (default 100,000, ~15 MB). */
  maxRemembered?: number;
}

interface Waiter {
  row: NonceRow;
  key: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Unambiguous map key of (memberId, nonce) whatever characters the two hold. */
const keyOf = (memberId: string, nonce: string): string => `${memberId.length}:${memberId}${nonce}`;

export function replayedRequest(memberId: string): ConsortError {
  return new ConsortError('REPLAYED_REQUEST', 'This request nonce was already used: the request is a replay; sign every request with a fresh random nonce', { memberId });
}

/** Records nonces in batches; `record` resolves once the nonce is committed (see the file comment). */
export class NonceGroupCommit {
  /** (memberId, nonce) -> expiresAt ms of nonces committed or waiting for their commit. */
  private readonly seen = new Map<string, number>();
  private pending: Waiter[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly maxRemembered: number;

  constructor(
    private readonly writer: NonceWriter,
    private readonly failure: (err: unknown) => unknown,
    options: NonceGroupCommitOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 2;
    this.maxBatch = Math.max(1, options.maxBatch ?? 300);
    this.maxRemembered = Math.max(1, options.maxRemembered ?? 100_000);
  }

  /** Throws REPLAYED_REQUEST if (memberId, nonce) was recorded before; resolves once it is committed. */
  record(memberId: string, nonce: string, expiresAt: Date): Promise<void> {
    const key = keyOf(memberId, nonce);
    if (this.seen.has(key)) return Promise.reject(replayedRequest(memberId));
    this.remember(key, expiresAt.getTime());
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ row: { memberId, nonce, expiresAt }, key, resolve, reject });
      this.schedule();
    });
  }

  /** Forgets remembered nonces that expire before `now` (after the database pruned them). */
  forgetExpired(now: Date): void {
    const t = now.getTime();
    for (const [key, expires] of this.seen) if (expires < t) this.seen.delete(key);
  }

  /** Waits until every nonce recorded so far is committed (or refused). */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.flushing) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (!this.flushing) this.flush();
      await this.flushing;
    }
  }

  /** How many nonces are remembered in memory (tests). */
  get remembered(): number {
    return this.seen.size;
  }

  private remember(key: string, expiresMs: number): void {
    this.seen.set(key, expiresMs);
    // Forgetting is always safe (the database refuses what memory forgot), so the bound is simple.
    if (this.seen.size > this.maxRemembered) {
      for (const k of this.seen.keys()) {
        this.seen.delete(k);
        if (this.seen.size <= this.maxRemembered) break;
      }
    }
  }

  /** One transaction in flight at a time; the next batch collects while it runs. */
  private schedule(): void {
    if (this.flushing) return;
    if (this.pending.length >= this.maxBatch) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.windowMs);
    }
  }

  private flush(): void {
    const batch = this.pending.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
      if (this.pending.length > 0) {
        // These waited for the previous commit already: write them now.
        this.flush();
      }
    });
  }

  private async write(batch: Waiter[]): Promise<void> {
    let inserted: Set<string>;
    try {
      inserted = new Set((await this.writer.insertNew(batch.map((w) => w.row))).map((r) => keyOf(r.memberId, r.nonce)));
    } catch (err) {
      this.fail(batch, err);
      return;
    }
    for (const w of batch) {
      // Not inserted: the nonce was stored already (a replay the memory had forgotten, or one
      // recorded by another coordinator process on the same database).
      if (inserted.delete(w.key)) w.resolve();
      else w.reject(replayedRequest(w.row.memberId));
    }
  }

  /** Not recorded: forget the nonces (a later request may use them) and pass the failure on. */
  private fail(batch: Waiter[], err: unknown): void {
    for (const w of batch) {
      this.seen.delete(w.key);
      w.reject(this.failure(err));
    }
  }
}
