// The audit log's contract, run against SQLite and PostgreSQL: chained appends, no fork under
// concurrency, signed checkpoints, and every kind of tampering caught by verification.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { openStore } from '../src/store/open-store.ts';
import type { StoreHarness } from './store-contract.ts';
import type { AuditEventInput, Store } from '../src/store/store.ts';
import { AuditCheckpointer, withAuditCheckpoints } from '../src/ledger/checkpointer.ts';
import { GENESIS_HASH, signCheckpoint } from '../src/ledger/chain.ts';
import { verifyAuditLog } from '../src/ledger/verify-chain.ts';

const key = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7));

const event = (i: number): AuditEventInput => ({
  actor: i % 3 === 0 ? 'operator' : 'coordinator',
  kind: i % 2 === 0 ? 'round.created' : 'round.published',
  subjectType: 'round',
  subjectId: `r${i}`,
  detail: { i, participants: [`m-${i}`, `m-${i + 1}`], modelHash: 'ab'.repeat(32) },
});

/** Registers the audit log suite for one provider. */
export function auditLogContract(harness: StoreHarness): void {
  describe(`audit log (${harness.provider})`, () => {
    let url: string;
    let store: Store;
    const verify = async (s: Store = store) => verifyAuditLog(await s.listAuditEvents(), await s.listAuditCheckpoints(), key.publicKey);

    beforeAll(async () => harness.setup());
    afterAll(async () => harness.teardown());
    beforeEach(async () => {
      if (store) await store.close();
      url = await harness.freshUrl();
      store = await openStore(url);
    });
    afterAll(async () => store?.close());

    /** Appends n events, checkpointing every `every`. */
    async function fill(n: number, every = 1000): Promise<void> {
      const s = withAuditCheckpoints(store, new AuditCheckpointer(store, { publicKey: key.publicKey, secretKey: key.secretKey }, { every }));
      for (let i = 1; i <= n; i++) await s.appendAuditEvent(event(i));
    }

    it('chains every append: seq from 1, prevHash = previous hash, and verifies', async () => {
      await fill(5);
      const all = await store.listAuditEvents();
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(all[0].prevHash).toBe(GENESIS_HASH);
      for (let i = 1; i < all.length; i++) expect(all[i].prevHash).toBe(all[i - 1].hash);
      expect(await store.auditLogHead()).toEqual({ seq: 5, hash: all[4].hash });
      const v = await verify();
      expect(v).toMatchObject({ ok: true, entries: 5, firstBadSeq: undefined, problems: [] });
    });

    it('pages through the chain with afterSeq and limit', async () => {
      await fill(7);
      expect((await store.listAuditEvents({ afterSeq: 2, limit: 3 })).map((e) => e.seq)).toEqual([3, 4, 5]);
      expect((await store.listAuditEvents({ afterSeq: 5 })).map((e) => e.seq)).toEqual([6, 7]);
      expect((await store.listAuditEvents({ kind: 'round.created', afterSeq: 3 })).map((e) => e.seq)).toEqual([4, 6]);
    });

    it('does not fork under 200 concurrent appends', async () => {
      const made = await Promise.all(Array.from({ length: 200 }, (_, i) => store.appendAuditEvent(event(i))));
      expect(new Set(made.map((e) => e.seq)).size).toBe(200);
      expect(Math.max(...made.map((e) => e.seq!))).toBe(200);
      expect((await verify()).ok).toBe(true);
    });

    if (harness.provider === 'postgresql') {
      it('does not fork when several coordinator processes (connection pools) append at once', async () => {
        const others = await Promise.all([openStore(url), openStore(url), openStore(url)]);
        try {
          await Promise.all([store, ...others].flatMap((s, k) => Array.from({ length: 40 }, (_, i) => s.appendAuditEvent(event(k * 100 + i)))));
        } finally {
          await Promise.all(others.map((s) => s.close()));
        }
        const v = await verify();
        expect(v).toMatchObject({ ok: true, entries: 160, head: { seq: 160 } });
      });
    }

    it('signs a checkpoint every N entries and verifies its signature against the trusted key only', async () => {
      await fill(12, 5);
      const cps = await store.listAuditCheckpoints();
      expect(cps.map((c) => c.seq)).toEqual([5, 10]);
      const v = await verify();
      expect(v).toMatchObject({ ok: true, checkpoints: 2, lastGoodCheckpoint: { seq: 10 }, entriesAfterLastCheckpoint: 2 });
      const other = nacl.sign.keyPair();
      const w = verifyAuditLog(await store.listAuditEvents(), cps, other.publicKey);
      expect(w.ok).toBe(false);
      expect(w.problems.map((p) => p.kind)).toEqual(['bad_checkpoint_signature', 'bad_checkpoint_signature']);
    });

    it('catches an edited field and names its seq', async () => {
      await fill(6);
      await harness.query(url, `UPDATE "AuditEvent" SET "detailJson" = '{"i":3,"participants":["m-9"],"modelHash":"00"}' WHERE "seq" = 3`);
      const v = await verify();
      expect(v.ok).toBe(false);
      expect(v.firstBadSeq).toBe(3);
      expect(v.problems[0]).toMatchObject({ kind: 'edited', seq: 3 });
    });

    it('catches an edited actor or kind even when the attacker recomputes that entry\'s hash is not possible without breaking the next link', async () => {
      await fill(6);
      await harness.query(url, `UPDATE "AuditEvent" SET "actor" = 'someone-else' WHERE "seq" = 4`);
      expect((await verify()).problems[0]).toMatchObject({ kind: 'edited', seq: 4 });
    });

    it('catches a removed entry', async () => {
      await fill(6);
      await harness.query(url, `DELETE FROM "AuditEvent" WHERE "seq" = 2`);
      const v = await verify();
      expect(v.firstBadSeq).toBe(2);
      expect(v.problems[0]).toMatchObject({ kind: 'missing', seq: 2 });
    });

    it('catches two swapped entries', async () => {
      await fill(6);
      // Swap the positions (seq) of entries 3 and 4 through a free value (seq is unique).
      await harness.query(url, `UPDATE "AuditEvent" SET "seq" = 1000 WHERE "seq" = 3`);
      await harness.query(url, `UPDATE "AuditEvent" SET "seq" = 3 WHERE "seq" = 4`);
      await harness.query(url, `UPDATE "AuditEvent" SET "seq" = 4 WHERE "seq" = 1000`);
      const v = await verify();
      expect(v.ok).toBe(false);
      expect(v.firstBadSeq).toBe(3);
    });

    it('catches rows swapped in storage order (ids) with their seqs kept', async () => {
      await fill(6);
      await harness.query(url, `UPDATE "AuditEvent" SET "id" = 1000 WHERE "seq" = 3`);
      await harness.query(url, `UPDATE "AuditEvent" SET "id" = 3 WHERE "seq" = 4`);
      await harness.query(url, `UPDATE "AuditEvent" SET "id" = 4 WHERE "seq" = 3`);
      const v = await verify();
      expect(v.problems[0]).toMatchObject({ kind: 'reordered', seq: 4 });
    });

    it('catches a tail truncated after a signed checkpoint', async () => {
      await fill(12, 5);
      await harness.query(url, `DELETE FROM "AuditEvent" WHERE "seq" >= 9`);
      const v = await verify();
      expect(v.ok).toBe(false);
      expect(v.firstBadSeq).toBe(9);
      expect(v.problems[0]).toMatchObject({ kind: 'truncated', seq: 9 });
    });

    it('catches a rewritten log (every hash recomputed) through the signed checkpoint', async () => {
      await fill(6, 5);
      // An attacker with the database but not the key rebuilds a consistent chain with entry 2 changed.
      const all = await store.listAuditEvents();
      const { auditEntryHash } = await import('../src/ledger/chain.ts');
      let prev = GENESIS_HASH;
      for (const e of all) {
        const detail = e.seq === 2 ? { i: 2, participants: [], modelHash: 'forged' } : e.detail;
        const hash = auditEntryHash({ seq: e.seq!, prevHash: prev, at: e.at, kind: e.kind, subjectType: e.subjectType, subjectId: e.subjectId, actor: e.actor, detail });
        await harness.query(url, `UPDATE "AuditEvent" SET "detailJson" = '${JSON.stringify(detail)}', "prevHash" = '${prev}', "hash" = '${hash}' WHERE "seq" = ${e.seq}`);
        prev = hash;
      }
      const v = await verify();
      expect(v.problems.map((p) => p.kind)).toEqual(['checkpoint_mismatch']);
      expect(v.firstBadSeq).toBe(5);
    });

    it('catches a forged checkpoint', async () => {
      await fill(6);
      const forger = nacl.sign.keyPair();
      const head = (await store.auditLogHead())!;
      await store.appendAuditCheckpoint(signCheckpoint({ seq: head.seq, headHash: head.hash }, forger.secretKey));
      expect((await verify()).problems[0]).toMatchObject({ kind: 'bad_checkpoint_signature', seq: 6 });
    });

    it('catches a row inserted behind the store\'s back', async () => {
      await fill(3);
      await harness.query(url, `INSERT INTO "AuditEvent" ("at", "actor", "kind", "subjectType", "subjectId", "detailJson", "seq", "prevHash", "hash") VALUES ('2026-01-01 00:00:00', 'x', 'member.enrolled', 'member', 'm', '{}', 4, '${'0'.repeat(64)}', '${'1'.repeat(64)}')`);
      expect((await verify()).problems[0]).toMatchObject({ kind: 'edited', seq: 4 });
    });

    it('chains events written before the chain existed at the next append (upgrade from migration 0002)', async () => {
      for (let i = 0; i < 3; i++) {
        await harness.query(url, `INSERT INTO "AuditEvent" ("at", "actor", "kind", "subjectType", "subjectId", "detailJson") VALUES ('2026-01-0${i + 1} 00:00:00', 'operator', 'task.created', 'task', 't${i}', '{"i":${i}}')`);
      }
      expect((await verify()).problems.map((p) => p.kind)).toEqual(['unchained', 'unchained', 'unchained']);
      await store.appendAuditEvent(event(1));
      const all = await store.listAuditEvents();
      expect(all.map((e) => [e.seq, e.kind])).toEqual([[1, 'task.created'], [2, 'task.created'], [3, 'task.created'], [4, 'round.published']]);
      expect((await verify()).ok).toBe(true);
    });
  });
}
