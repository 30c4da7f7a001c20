// Adversarial: strangers holding upload streams open, announcing huge inputs or streaming junk
// cannot starve honest members' uploads nor make the coordinator buffer what they announce.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { channelOptions, clientCredentials, loadConsortProtocol, type MemberServiceClient } from '@consort/protos';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

/** Metadata that looks signed (right shapes) but is not. */
function forgedMetadata(memberId: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-consort-member', memberId);
  md.set('x-consort-timestamp', String(Date.now()));
  md.set('x-consort-nonce', randomBytes(16).toString('hex'));
  md.set('x-consort-signature', randomBytes(64).toString('hex'));
  return md;
}

describe('adversarial: upload starvation', () => {
  let fx: Fixture;
  let stranger: MemberServiceClient;
  const outcomes: Array<Promise<string>> = [];

  beforeAll(async () => {
    fx = await startFixture({ databaseUrl: sqliteDatabase().url, members: 5, customers: 1500 });
    const { member } = loadConsortProtocol();
    stranger = new member.consort.v1.MemberService(fx.coordinator.address, clientCredentials(), { ...channelOptions, 'grpc.use_local_subchannel_pool': 1 });
  });
  afterAll(async () => { stranger?.close(); await fx?.close(); });

  const open = (memberId: string) => {
    let settle!: (s: string) => void;
    outcomes.push(new Promise((r) => { settle = r; }));
    return stranger.UploadInput(forgedMetadata(memberId), (err) => settle(err ? err.details : 'accepted'));
  };

  it('honest members finish a secure round while strangers hold and flood upload streams', async () => {
    const victim = fx.agents[0].memberId;
    // Eight streams that never send a header, eight that announce 96 MiB under a forged
    // signature of a real member, and one that pushes 96 MiB of junk after its header.
    const silent = Array.from({ length: 8 }, () => open(victim));
    const announcing = Array.from({ length: 8 }, () => open(victim));
    for (const s of announcing) s.write({ header: { roundId: 'any', byteLength: String(96 << 20), payloadSha256: randomBytes(32) } });
    const flood = open(victim);
    flood.write({ header: { roundId: 'any', byteLength: String(96 << 20), payloadSha256: randomBytes(32) } });
    const junk = Buffer.alloc(1 << 20, 7);
    const before = process.memoryUsage().rss;
    let peak = before;
    let refusedFlood = false;
    flood.on('error', () => { refusedFlood = true; });
    outcomes[outcomes.length - 1].then(() => { refusedFlood = true; }, () => undefined);
    const pushing = (async () => {
      for (let i = 0; i < 96 && !refusedFlood; i++) {
        if (!flood.write({ data: junk })) await new Promise((r) => { flood.once('drain', r); flood.once('error', r); setTimeout(r, 200); });
        peak = Math.max(peak, process.memoryUsage().rss);
      }
    })().catch(() => undefined);

    const task = await fx.admin.createTask(fx.federationId, churnTask({ aggregation: 'secure', minMembers: 5, stageTimeoutSeconds: 20 }));
    const reports = await fx.admin.runRounds(task.id, 1, 20);
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['statistics:published', 'train:published', 'evaluate:published']);
    await pushing;
    // The forged streams were refused at their header, never buffered: no 96 MiB (let alone 9×).
    expect((peak - before) / 2 ** 20).toBeLessThan(48);
    for (const s of silent) s.end();
    const refused = await Promise.all(outcomes);
    expect(refused.filter((d) => d.startsWith('BAD_SIGNATURE')).length).toBe(9);
    expect(refused.every((d) => d !== 'accepted')).toBe(true);
  });
});
