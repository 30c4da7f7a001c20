// The member agent's connection over real gRPC: it waits for a coordinator that is not up yet,
// takes a silent stream for lost and reconnects, gives up after giveUpAfterMs, stops at once when
// refused, and refuses to start on a missing data file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AdminClient, startCoordinator, type Coordinator } from '@consort/coordinator';
import { MemberAgent, enrollMember, generateIdentity, type AgentLogger } from '@consort/client-sdk';
import { freePort } from './support/ports.ts';

const dir = mkdtempSync(join(tmpdir(), 'consort-agent-reconnect-'));
const dataFile = join(dir, 'customers.csv');
writeFileSync(dataFile, 'tenure,plan,churned\n3,basic,0\n5,pro,1\n');


function recorder(): AgentLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m) };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !probe(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!probe()) throw new Error(`timed out waiting for ${what}`);
}

describe('member agent connection', () => {
  let coordinator: Coordinator | undefined;
  let agent: MemberAgent | undefined;
  let port = 0;
  let identity: Awaited<ReturnType<typeof enrollMember>>;

  beforeAll(async () => {
    port = await freePort();
    coordinator = await startCoordinator({ dataDir: dir, port, httpAddress: '127.0.0.1:0', logger: pino({ level: 'silent' }), adminToken: 'agent-test' });
    const admin = new AdminClient(coordinator.adminAddress, 'agent-test');
    const fed = await admin.createFederation('reconnect');
    const [token] = await admin.createEnrollmentTokens(fed.id, 1);
    identity = await enrollMember(coordinator.address, token, 'Reconnecting shop');
    admin.close();
    await coordinator.close();
    coordinator = undefined;
  });

  afterAll(async () => {
    agent?.stop();
    await coordinator?.close();
  });

  it('waits for a coordinator that is not up yet, then treats a silent stream as lost and reconnects', async () => {
    const log = recorder();
    agent = new MemberAgent({ coordinator: `127.0.0.1:${port}`, identity, dataFile, logger: log, reconnectBaseMs: 100, reconnectCapMs: 300, silenceTimeoutMs: 1000 });
    const started = agent.start();
    await until('a failed first attempt', () => log.lines.some((l) => l.startsWith('reconnecting in')));
    expect(log.lines.find((l) => l.startsWith('reconnecting in'))).toMatch(/^reconnecting in \d+\.\d s \(attempt 1; giving up at \d{4}-\d\d-\d\dT[\d:.]+Z\): UNAVAILABLE: /);
    coordinator = await startCoordinator({ dataDir: dir, port, httpAddress: '127.0.0.1:0', logger: pino({ level: 'silent' }), adminToken: 'agent-test' });
    await started;
    expect(log.lines).toContain(`connected to 127.0.0.1:${port} as member ${identity.memberId}; waiting for rounds`);
    // The coordinator's heartbeat comes every 15 s: a 1 s silence limit takes the stream for lost.
    await until('a reconnection after the silence', () => log.lines.some((l) => l.startsWith('reconnected to')));
    expect(log.lines.join('\n')).toMatch(new RegExp(`^connection to 127\\.0\\.0\\.1:${port} lost \\(no message from the coordinator for \\d+ s\\)$`, 'm'));
    expect(coordinator.connections.isOnline(identity.memberId!)).toBe(true);
    agent.stop();
    await expect(agent.done()).resolves.toBeUndefined();
  });

  it('gives up with UNAVAILABLE after giveUpAfterMs without a connection', async () => {
    const log = recorder();
    const lonely = new MemberAgent({ coordinator: `127.0.0.1:${await freePort()}`, identity, dataFile, logger: log, reconnectBaseMs: 100, reconnectCapMs: 200, giveUpAfterMs: 600 });
    await expect(lonely.start()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^could not reach the coordinator at 127\.0\.0\.1:\d+ since .*; gave up after 1s\./) });
    await expect(lonely.done()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(log.lines.filter((l) => l.startsWith('reconnecting in')).length).toBeGreaterThan(1);
  });

  it('stops at once, without retrying, when the coordinator does not know the member', async () => {
    const log = recorder();
    const stranger = new MemberAgent({ coordinator: coordinator!.address, identity: { ...generateIdentity(), memberId: 'no-such-member' }, dataFile, logger: log });
    await expect(stranger.start()).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER', message: expect.stringContaining('refused this member') });
    expect(log.lines.some((l) => l.startsWith('reconnecting'))).toBe(false);
  });

  it('refuses to start on a missing data file, before connecting', async () => {
    const missing = new MemberAgent({ coordinator: coordinator!.address, identity, dataFile: join(dir, 'nope.csv') });
    await expect(missing.start()).rejects.toMatchObject({ code: 'FILE_UNREADABLE', message: expect.stringContaining(`data file ${join(dir, 'nope.csv')} does not exist`) });
    expect(coordinator!.connections.isOnline(identity.memberId!)).toBe(false);
  });
});
