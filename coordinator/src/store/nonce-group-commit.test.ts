// Group commit of request nonces: batching, replay refusal inside and across batches, durability.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '@consort/core';
import { NonceGroupCommit, type NonceRow, type NonceWriter } from './nonce-group-commit.ts';

/** An in-memory "database" with a unique (memberId, nonce) key; commits can be held back. */
class FakeDb implements NonceWriter {
  readonly rows = new Set<string>();
  readonly batches: NonceRow[][] = [];
  hold = false;
  failNext?: Error;
  private held: (() => void)[] = [];

  async insertNew(rows: NonceRow[]): Promise<{ memberId: string; nonce: string }[]> {
    this.batches.push(rows);
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    const inserted: { memberId: string; nonce: string }[] = [];
    for (const r of rows) {
      const k = `${r.memberId}/${r.nonce}`;
      if (this.rows.has(k)) continue;
      this.rows.add(k);
      inserted.push({ memberId: r.memberId, nonce: r.nonce });
    }
    return inserted;
  }

  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
}

const later = new Date(Date.now() + 600_000);
const failure = (err: unknown) => new Error(`mapped: ${(err as Error).message}`);
const tick = () => new Promise((r) => setTimeout(r, 5));

async function outcome(p: Promise<void>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isConsortError(err) ? err.code : (err as Error).message;
  }
}

describe('NonceGroupCommit', () => {
  it('writes nonces that arrive together in one insert and refuses a replay inside the batch', async () => {
    const db = new FakeDb();
    const g = new NonceGroupCommit(db, failure);
    const results = await Promise.all([
      outcome(g.record('m1', 'a', later)),
      outcome(g.record('m1', 'b', later)),
      outcome(g.record('m1', 'a', later)), // replay of a nonce still waiting for its commit
      outcome(g.record('m2', 'a', later)), // same nonce, other member: fine
    ]);
    expect(results).toEqual(['ok', 'ok', 'REPLAYED_REQUEST', 'ok']);
    expect(db.batches).toHaveLength(1);
    expect(db.batches[0].map((r) => `${r.memberId}/${r.nonce}`)).toEqual(['m1/a', 'm1/b', 'm2/a']);
    // A later replay is refused from memory, without a database round trip.
    expect(await outcome(g.record('m1', 'b', later))).toBe('REPLAYED_REQUEST');
    expect(db.batches).toHaveLength(1);
  });

  it('resolves a request only once the batch holding its nonce is committed', async () => {
    const db = new FakeDb();
    db.hold = true;
    const g = new NonceGroupCommit(db, failure);
    let done = false;
    const p = g.record('m1', 'x', later).then(() => { done = true; });
    await tick();
    expect(db.batches).toHaveLength(1);
    expect(done).toBe(false);
    expect(db.rows.has('m1/x')).toBe(false);
    db.release();
    await p;
    expect(db.rows.has('m1/x')).toBe(true);
  });

  it('collects the next batch while one commit is in flight, and bounds batch size', async () => {
    const db = new FakeDb();
    db.hold = true;
    const g = new NonceGroupCommit(db, failure, { maxBatch: 2 });
    const first = g.record('m', '1', later);
    await tick();
    const rest = ['2', '3', '4', '5'].map((n) => g.record('m', n, later));
    await tick();
    expect(db.batches).toHaveLength(1); // one commit at a time
    db.release();
    await Promise.all([first, ...rest]);
    expect(db.batches.map((b) => b.map((r) => r.nonce))).toEqual([['1'], ['2', '3'], ['4', '5']]);
  });

  it('leaves the database the authority: a nonce the memory forgot is still refused', async () => {
    const db = new FakeDb();
    const g = new NonceGroupCommit(db, failure, { maxRemembered: 1 });
    await g.record('m', 'old', later);
    await g.record('m', 'new', later); // pushes "old" out of memory
    expect(g.remembered).toBe(1);
    expect(await outcome(g.record('m', 'old', later))).toBe('REPLAYED_REQUEST');
    // Two requests with one forgotten nonce in the same batch: the insert takes it once.
    const g2 = new NonceGroupCommit(db, failure, { maxRemembered: 1 });
    const both = await Promise.all([outcome(g2.record('m', 'new', later)), outcome(g2.record('m', 'fresh', later))]);
    expect(both).toEqual(['REPLAYED_REQUEST', 'ok']);
  });

  it('fails every request of a failed commit and forgets their nonces', async () => {
    const db = new FakeDb();
    const g = new NonceGroupCommit(db, failure);
    db.failNext = new Error('disk full');
    const results = await Promise.all([outcome(g.record('m', 'a', later)), outcome(g.record('m', 'b', later))]);
    expect(results).toEqual(['mapped: disk full', 'mapped: disk full']);
    expect(g.remembered).toBe(0);
    // Nothing was stored, so the nonce is not a replay.
    expect(await outcome(g.record('m', 'a', later))).toBe('ok');
  });

  it('forgets expired nonces when told (after the database pruned them) and drains on close', async () => {
    const db = new FakeDb();
    const g = new NonceGroupCommit(db, failure);
    await g.record('m', 'early', new Date('2026-03-01T00:00:00Z'));
    await g.record('m', 'late', new Date('2026-03-01T00:10:00Z'));
    g.forgetExpired(new Date('2026-03-01T00:05:00Z'));
    expect(g.remembered).toBe(1);
    db.hold = true;
    const p = g.record('m', 'pending', later);
    const drained = g.drain();
    await tick();
    db.release();
    await drained;
    await p;
    expect(db.rows.has('m/pending')).toBe(true);
  });
});
