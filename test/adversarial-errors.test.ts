// Adversarial: calls from strangers (no signature metadata) get the catalogued code, never
// UNKNOWN, and every refusal leaves a line in the coordinator's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinator, type Coordinator } from '@consort/coordinator';
import { channelOptions, clientCredentials, loadConsortProtocol, type AdminServiceClient, type MemberServiceClient } from '@consort/protos';

type Outcome = { code: number; details: string };

describe('adversarial: unauthenticated calls', () => {
  const lines: Array<Record<string, unknown>> = [];
  let c: Coordinator;
  let member: MemberServiceClient;
  let admin: AdminServiceClient;

  beforeAll(async () => {
    c = await startCoordinator({
      dataDir: mkdtempSync(join(tmpdir(), 'consort-adv-')), port: 0, adminToken: 'right-token',
      logger: pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as Record<string, unknown>); } }),
    });
    const proto = loadConsortProtocol();
    member = new proto.member.consort.v1.MemberService(c.address, clientCredentials(), channelOptions);
    admin = new proto.admin.consort.v1.AdminService(c.adminAddress, clientCredentials(), channelOptions);
  });
  afterAll(async () => { member?.close(); admin?.close(); await c?.close(); });

  const stream = (s: grpc.ClientReadableStream<unknown>) => new Promise<Outcome>((res) => {
    s.on('data', () => undefined);
    s.on('error', (err: grpc.ServiceError) => res({ code: err.code, details: err.details }));
  });
  const unary = (invoke: (cb: (err: grpc.ServiceError | null) => void) => void) => new Promise<Outcome>((res) => {
    invoke((err) => res({ code: err!.code, details: err!.details }));
  });

  it('answers unsigned member calls with UNAUTHENTICATED BAD_SIGNATURE and logs each', async () => {
    const outcomes = [
      await unary((cb) => member.SubmitStage({ roundId: 'r' }, cb)),
      await stream(member.Connect({ backend: 'cpu' })),
      await stream(member.DownloadModel({ modelVersionId: 'm' })),
    ];
    for (const o of outcomes) {
      expect(o.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(o.details).toMatch(/^BAD_SIGNATURE: request metadata "x-consort-signature" is missing/);
    }
    const refused = lines.filter((l) => l.msg === 'request refused: authentication failed' && l.service === 'MemberService');
    expect(refused.map((l) => l.where).sort()).toEqual(['Connect', 'DownloadModel', 'SubmitStage']);
    expect(refused.every((l) => typeof l.peer === 'string' && (l.peer as string).includes('127.0.0.1'))).toBe(true);
  });

  it('logs a wrong operator token, and samples a flood instead of writing a line per request', async () => {
    const before = lines.length;
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer wrong-token');
    const outcomes = await Promise.all(Array.from({ length: 60 }, () => unary((cb) => admin.ListMembers({ federationId: 'f' }, md, cb))));
    // The first 10 are refused for the token; then the peer is locked out for the minute (test/adversarial-transport.test.ts).
    expect(outcomes.filter((o) => o.code === grpc.status.PERMISSION_DENIED)).toHaveLength(10);
    expect(outcomes.filter((o) => o.code === grpc.status.RESOURCE_EXHAUSTED)).toHaveLength(50);
    const logged = lines.slice(before).filter((l) => l.service === 'AdminService' && l.msg === 'request refused: authentication failed');
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.length).toBeLessThanOrEqual(20);
  });
});
