// Adversarial (issue 13, finding 3): one malicious member — the real SDK agent with one stage
// message changed — must not abort secure rounds; the coordinator names it, over real gRPC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberSession } from '@consort/core';
import type { StageSubmission } from '@consort/protos/types/StageSubmission';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

type Scenario = 'zero-key' | 'bad-bundles' | 'corrupt-reveal';

describe('adversarial: a malicious member in secure aggregation', () => {
  let fx: Fixture;
  let scenario: Scenario = 'zero-key';
  let evilId = '';
  let taskId = '';

  beforeAll(async () => {
    fx = await startFixture({ databaseUrl: sqliteDatabase().url, members: 6, customers: 1800, seed: 31 });
    const evil = fx.agents[5];
    evilId = evil.memberId;
    const flip = (b: Buffer) => { const c = Buffer.from(b); c[5] ^= 0xff; return c; };
    // All-zero (low-order) round keys for the evil member's real session: committed, revealed and
    // signed by the real code, so neither the commitment nor the signature can single it out.
    const commitKeys = MemberSession.prototype.commitKeys;
    MemberSession.prototype.commitKeys = function (this: MemberSession) {
      if (scenario === 'zero-key' && this.memberId === evilId) {
        const zero = { publicKey: new Uint8Array(32), secretKey: new Uint8Array(32) };
        (this as unknown as { keys: { encryption: typeof zero; mask: typeof zero } }).keys = { encryption: zero, mask: zero };
      }
      return commitKeys.call(this);
    };
    // One behaviour changed: what the evil agent's real secure round submits.
    const submit = evil.client.submitStage.bind(evil.client);
    evil.client.submitStage = (s: StageSubmission) => {
      if (scenario === 'bad-bundles' && s.shareKeys) {
        return submit({ ...s, shareKeys: { shares: s.shareKeys.shares!.map((x) => ({ ...x, ciphertext: flip(x.ciphertext as Buffer) })) } });
      }
      if (scenario === 'corrupt-reveal' && s.unmaskShares?.shares?.length) {
        const [first, ...rest] = s.unmaskShares.shares;
        return submit({ ...s, unmaskShares: { shares: [{ ...first, share: flip(first.share as Buffer) }, ...rest] } });
      }
      return submit(s);
    };
    // The evil member is slow to upload while bundles are bad: its neighbours' complaints come first
    // (the honest agent sends them before its own masked input). Waits on the audit trail, not a clock.
    const upload = evil.client.uploadInput.bind(evil.client);
    evil.client.uploadInput = async (header, payload) => {
      if (scenario === 'bad-bundles') {
        for (let i = 0; i < 200 && (await complaintsAbout(header.roundId!)).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      }
      return upload(header, payload);
    };
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'adversarial', aggregation: 'secure', minMembers: 4, stageTimeoutSeconds: 20 }));
    taskId = task.id;
  });
  afterAll(async () => { await fx?.close(); });

  async function complaintsAbout(roundId: string) {
    const events = await fx.coordinator.store.listAuditEvents({ subjectId: roundId, kind: 'secagg.complaint' });
    return events.filter((e) => e.detail.accused === evilId);
  }

  async function expectPublishedWithoutHarm(reports: Awaited<ReturnType<Fixture['admin']['runRounds']>>, participants: number) {
    expect(reports.map((r) => `${r.purpose}:${r.state}:${r.reason ?? ''}`)).toEqual(
      reports.map((r) => `${r.purpose}:published:`));
    for (const r of reports) expect(r.metrics!.participants, r.purpose).toBe(participants);
    const train = reports.find((r) => r.purpose === 'train')!;
    const model = await fx.coordinator.store.getModelVersion(train.modelVersionId);
    expect(model.weights.every((w) => Number.isFinite(w) && Math.abs(w) < 16)).toBe(true);
  }

  it('a signed all-zero X25519 key is refused at advertise_keys, naming its sender; the round publishes with the others', async () => {
    scenario = 'zero-key';
    const reports = await fx.admin.runRounds(taskId, 1, 20);
    await expectPublishedWithoutHarm(reports, 5);
    for (const r of reports) {
      expect(r.dropped.join('\n'), r.purpose).toMatch(new RegExp(`^${evilId}: Member ${evilId}, stage advertise_keys .*unusable X25519 key \\(its encryption key is a small-order`));
    }
  });

  it('share bundles that do not decrypt make honest neighbours complain; the sender is evicted by name and the round publishes', async () => {
    scenario = 'bad-bundles';
    const reports = await fx.admin.runRounds(taskId, 1, 20);
    await expectPublishedWithoutHarm(reports, 5);
    for (const r of reports) {
      expect(r.dropped.join('\n'), r.purpose).toMatch(new RegExp(`^${evilId}: member \\S+ complains that ${evilId} sent it a share bundle .*removed: member ${evilId} is accused by`));
      const complaints = await complaintsAbout(r.roundId);
      // Every honest neighbour complained, signed, about the evil member and nobody else.
      expect(complaints.map((c) => c.detail.complainer).sort()).toEqual(fx.agents.slice(0, 5).map((a) => a.memberId).sort());
      for (const c of complaints) expect(c.detail).toMatchObject({ kind: 'bad_share_bundle', signature: expect.stringMatching(/^[0-9a-f]{128}$/) });
      expect(complaints.filter((c) => c.detail.evicted)).toHaveLength(1);
    }
  });

  it('a corrupted share revealed at unmask is left out and its revealer named in the audit trail; the round publishes with every member', async () => {
    scenario = 'corrupt-reveal';
    const reports = await fx.admin.runRounds(taskId, 1, 20);
    await expectPublishedWithoutHarm(reports, 6);
    for (const r of reports) {
      const blamed = await fx.coordinator.store.listAuditEvents({ subjectId: r.roundId, kind: 'secagg.share_blamed' });
      expect(blamed.map((b) => b.detail.member), r.purpose).toEqual([evilId]);
      expect(String(blamed[0].detail.reason)).toMatch(new RegExp(`^member ${evilId} revealed a share of \\S+'s self-mask seed that disagrees`));
    }
  });
});
