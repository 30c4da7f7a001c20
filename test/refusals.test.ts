// Refusals over real gRPC: enrollment tokens, signatures, replays, bad updates, vanished members.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import nacl from 'tweetnacl';
import { MemberClient, enrollMember, generateIdentity, type LocalInput } from '@consort/client-sdk';
import { signRequest, sha256 } from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

function grpcError(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  return p.then(() => { throw new Error('expected the call to be refused'); }, (err: grpc.ServiceError) => ({ code: err.code, details: err.details }));
}

function download(client: MemberClient, modelVersionId: string, md: grpc.Metadata): Promise<number> {
  return new Promise((resolve, reject) => {
    let chunks = 0;
    const s = client.client.DownloadModel({ modelVersionId }, md);
    s.on('data', () => { chunks++; });
    s.on('error', reject);
    s.on('end', () => resolve(chunks));
  });
}

describe('refusals over gRPC', () => {
  type Scenario = 'none' | 'bad-updates' | 'vanish' | 'too-many';
  let scenario: Scenario = 'none';
  let fx: Fixture;
  let modelVersionId = '';
  let taskId = '';

  beforeAll(async () => {
    const misbehave = (i: number) => ({
      input: (input: LocalInput, open: RoundOpen__Output): LocalInput => {
        if (open.purpose !== 'train' || scenario !== 'bad-updates') return input;
        if (i === 0) return { ...input, values: input.values.slice(0, input.values.length - 1) };
        if (i === 1) { const v = new Float32Array(input.values); v[3] = Number.NaN; return { ...input, values: v }; }
        return input;
      },
      takesPart: (open: RoundOpen__Output): boolean => {
        if (open.purpose !== 'train') return true;
        if (scenario === 'vanish' && i === 2) return false; // silent: the deadline must end its wait
        if (scenario === 'vanish' && i === 3) { fx.agents[3].stop(); return false; } // disconnects mid-round
        if (scenario === 'too-many' && i <= 2) return false;
        return true;
      },
    });
    fx = await startFixture({ databaseUrl: sqliteDatabase().url, members: 6, customers: 2000, hooks: (i) => ({ misbehave: misbehave(i) }) });
    const task = await fx.admin.createTask(fx.federationId, churnTask({ minMembers: 4, stageTimeoutSeconds: 3 }));
    taskId = task.id;
    modelVersionId = task.initialModelVersionId;
  });

  afterAll(async () => { await fx?.close(); });

  it('refuses an unknown, a reused and an expired enrollment token', async () => {
    const unknown = await grpcError(enrollMember(fx.coordinator.address, 'cst_not-a-token', 'Nobody'));
    expect(unknown.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(unknown.details).toMatch(/^ENROLLMENT_TOKEN_UNKNOWN/);

    const [token] = await fx.admin.createEnrollmentTokens(fx.federationId, 1);
    await enrollMember(fx.coordinator.address, token, 'First');
    const reused = await grpcError(enrollMember(fx.coordinator.address, token, 'Second'));
    expect(reused.details).toMatch(/^ENROLLMENT_TOKEN_USED/);

    const [short] = await fx.admin.createEnrollmentTokens(fx.federationId, 1, 1);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await grpcError(enrollMember(fx.coordinator.address, short, 'Late'));
    expect(expired.details).toMatch(/^ENROLLMENT_TOKEN_EXPIRED/);
  });

  it('refuses an enrollment whose proof was not made with the enrolled key', async () => {
    const [token] = await fx.admin.createEnrollmentTokens(fx.federationId, 1);
    const id = generateIdentity();
    const client = new MemberClient(fx.coordinator.address, id);
    const res = await grpcError(new Promise((resolve, reject) => client.client.Enroll({
      enrollmentToken: token, identityPublicKey: Buffer.from(id.publicKey), displayName: 'Forger',
      proofOfPossession: Buffer.from(nacl.sign.detached(new Uint8Array([1, 2, 3]), id.secretKey)),
    }, (err, r) => (err ? reject(err) : resolve(r)))));
    expect(res.details).toMatch(/^BAD_SIGNATURE/);
    client.close();
  });

  it('refuses a request signed with another key, a replayed request and a stale one', async () => {
    const victim = fx.agents[0].memberId;
    const impostor = new MemberClient(fx.coordinator.address, { ...generateIdentity(), memberId: victim });
    const forged = await grpcError(download(impostor, modelVersionId, impostor.signedMetadata('DownloadModel', [{ modelVersionId }])));
    expect(forged.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(forged.details).toMatch(/^BAD_SIGNATURE/);
    impostor.close();

    const honest = fx.agents[1].client;
    const md = honest.signedMetadata('DownloadModel', [{ modelVersionId }]);
    expect(await download(honest, modelVersionId, md)).toBeGreaterThan(0);
    const replay = await grpcError(download(honest, modelVersionId, md));
    expect(replay.details).toMatch(/^REPLAYED_REQUEST/);

    // A request signed correctly but ten minutes ago.
    const identity = (honest as unknown as { identity: { secretKey: Uint8Array; memberId: string } }).identity;
    const old = Date.now() - 10 * 60_000;
    const nonceHex = 'ab'.repeat(16);
    const serialized = sha256(sha256(Buffer.from([0x0a, modelVersionId.length, ...Buffer.from(modelVersionId)])));
    const sig = signRequest({ method: '/consort.v1.MemberService/DownloadModel', memberId: identity.memberId, timestampMs: old, nonceHex, bodySha256: serialized }, identity.secretKey);
    const stale = new grpc.Metadata();
    stale.set('x-consort-member', identity.memberId);
    stale.set('x-consort-timestamp', String(old));
    stale.set('x-consort-nonce', nonceHex);
    stale.set('x-consort-signature', Buffer.from(sig).toString('hex'));
    expect((await grpcError(download(honest, modelVersionId, stale))).details).toMatch(/^STALE_REQUEST/);
  });

  it('rejects a wrong-shape and a NaN update and completes the round with the others', async () => {
    scenario = 'bad-updates';
    const reports = await fx.admin.runRounds(taskId, 1, 10);
    const train = reports.find((r) => r.purpose === 'train')!;
    expect(train.state).toBe('published');
    expect(train.participants).toHaveLength(6);
    expect(train.metrics!.participants).toBe(4);
    const dropped = train.dropped.join('\n');
    expect(dropped).toContain(`${fx.agents[0].memberId}: input rejected: update of member ${fx.agents[0].memberId} has`);
    expect(dropped).toMatch(/has 100 bytes but round \S+ expects exactly 104/);
    expect(dropped).toContain(`${fx.agents[1].memberId}: input rejected: update of member ${fx.agents[1].memberId} has NaN at index 3`);
  });

  it('does not wait past the deadline for a silent member nor for one that disconnected', async () => {
    scenario = 'vanish';
    const started = Date.now();
    const reports = await fx.admin.runRounds(taskId, 1, 10);
    const train = reports.find((r) => r.purpose === 'train')!;
    expect(train.state).toBe('published');
    expect(train.metrics!.participants).toBe(4);
    const dropped = train.dropped.join('\n');
    expect(dropped).toContain(`${fx.agents[2].memberId}: no input before the 3s deadline`);
    expect(dropped).toContain(`${fx.agents[3].memberId}: disconnected before sending its input`);
    // Two rounds (train + evaluate), each bounded by the 3 s stage deadline.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('aborts cleanly, storing no model, when too few members survive', async () => {
    scenario = 'too-many';
    const before = await fx.coordinator.store.listModelVersions(taskId);
    // Members 0-2 stay silent and member 3 is gone: 2 of the 5 connected members answer, the task needs 4.
    const reports = await fx.admin.runRounds(taskId, 1, 5);
    const train = reports.find((r) => r.purpose === 'train')!;
    expect(train.state).toBe('aborted');
    expect(train.reason).toMatch(/too few members survived the input stage: 2 of 5, the task needs 4/);
    const after = await fx.coordinator.store.listModelVersions(taskId);
    expect(after.length).toBe(before.length);
    const round = await fx.coordinator.store.getRound(train.roundId);
    expect(round.state).toBe('aborted');
    expect(round.resultModelVersionId ?? null).toBeNull();
  });
});
