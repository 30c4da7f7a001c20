// Issue 13, findings 6 and 7: transport fails closed, operators have their own listener with a
// limit on failed logins, and unauthenticated requests are bounded in size and rate.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import * as grpc from '@grpc/grpc-js';
import { channelOptions, loadConsortProtocol } from '@consort/protos';
import { AdminClient, startCoordinator, type Coordinator } from '@consort/coordinator';
import { MemberClient, generateIdentity, saveIdentity } from '@consort/client-sdk';
import { sqliteDatabase } from './support/databases.ts';
import { CLI, runCli } from './support/cli.ts';

const silent = pino({ level: 'silent' });
const folder = (name: string) => mkdtempSync(join(tmpdir(), `consort-transport-${name}-`));
type GrpcErr = { code: number; details: string };
const settle = async <T>(p: Promise<T>): Promise<GrpcErr | T> => p.catch((e: GrpcErr) => e);

/** A logger that keeps every line (warn and above are what an operator watches). */
function recordingLogger(): { logger: pino.Logger; lines: { level: number; msg: string; code?: string }[] } {
  const lines: { level: number; msg: string; code?: string }[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as { level: number; msg: string }); } }) };
}

describe('fail closed off loopback', () => {
  it('the coordinator refuses to listen beyond loopback without TLS (no database created) unless --insecure', async () => {
    const dir = folder('serve');
    await expect(startCoordinator({ host: '0.0.0.0', port: 0, dataDir: dir, logger: silent })).rejects.toMatchObject({ code: 'INSECURE_TRANSPORT' });
    expect(readdirSync(dir)).toEqual([]);
    const c = await startCoordinator({ host: '0.0.0.0', port: 0, dataDir: dir, databaseUrl: sqliteDatabase().url, logger: silent, insecure: true });
    expect(c.adminAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    await c.close();
  });

  it('serve, enroll, run and pull-model print INSECURE_TRANSPORT naming both ways out (exit 2); enroll keeps its token', async () => {
    const cwd = folder('cli');
    const identity = join(cwd, 'id', 'identity.json');
    saveIdentity(identity, Object.assign(generateIdentity(), { memberId: 'm', federationId: 'f', coordinator: 'coord.example:50051' }));
    const [serve, enroll, run, pull, runInsecure] = await Promise.all([
      runCli(CLI.coordinator, ['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', 'data'], { cwd }),
      runCli(CLI.agent, ['enroll', '--coordinator', '192.0.2.10:50051', '--token', 'cst_x', '--name', 'Shop'], { cwd }),
      runCli(CLI.agent, ['run', '--data', 'none.csv', '--identity', identity], { cwd }),
      runCli(CLI.agent, ['pull-model', '--task', 't', '--out', 'm.json', '--identity', identity], { cwd }),
      // With --insecure the transport is accepted: the next check (the data file) speaks.
      runCli(CLI.agent, ['run', '--data', 'none.csv', '--identity', identity, '--insecure', '--give-up-after', '1s'], { cwd }),
    ]);
    expect(serve.stderr).toMatch(/^INSECURE_TRANSPORT: refusing to listen on 0\.0\.0\.0 \(--host\) without TLS: .*--tls-cert and --tls-key.*dev-ca.*--insecure/);
    expect(serve.code).toBe(2);
    expect(enroll.stderr).toMatch(/^INSECURE_TRANSPORT: refusing to reach the coordinator at 192\.0\.2\.10:50051 without TLS: .*--tls-ca.*--insecure/);
    expect(enroll.code).toBe(2);
    for (const r of [run, pull]) {
      expect(r.stderr).toMatch(/^INSECURE_TRANSPORT: refusing to reach the coordinator at coord\.example:50051 without TLS/);
      expect(r.code).toBe(2);
    }
    expect(runInsecure.stderr).not.toMatch(/INSECURE_TRANSPORT/);
    expect(readdirSync(cwd).sort()).toEqual(['id']);
  }, 120_000);
});

describe('dev-ca', () => {
  let coordinator: Coordinator | undefined;
  afterAll(async () => { await coordinator?.close(); });

  it('makes a CA and a server certificate (mode 600) that members and operators trust', async () => {
    const cwd = folder('devca');
    const made = await runCli(CLI.coordinator, ['dev-ca', '--out', 'tls', '--host', 'coord.example', '--json'], { cwd });
    expect(made.code, made.stderr).toBe(0);
    const files = JSON.parse(made.stdout) as { caCert: string; caKey: string; serverCert: string; serverKey: string };
    for (const f of Object.values(files)) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    const again = await runCli(CLI.coordinator, ['dev-ca', '--out', 'tls', '--host', 'coord.example'], { cwd });
    expect(again.stderr).toMatch(/^INVALID_ARGUMENT: .*ca\.pem.* already exist/);

    coordinator = await startCoordinator({ port: 0, dataDir: join(cwd, 'data'), databaseUrl: sqliteDatabase().url, logger: silent, adminToken: 'op', tls: { certFile: files.serverCert, keyFile: files.serverKey } });
    const admin = new AdminClient(coordinator.adminAddress, 'op', files.caCert);
    const fed = await admin.createFederation('dev-ca');
    const [token] = await admin.createEnrollmentTokens(fed.id, 1);
    const member = new MemberClient(coordinator.address, generateIdentity(), files.caCert);
    expect((await member.enroll(token, 'Trusting shop')).federationId).toBe(fed.id);
    member.close();
    admin.close();
    // A client that trusts another CA is refused.
    const stranger = new AdminClient(coordinator.adminAddress, 'op');
    await expect(stranger.listFederations()).rejects.toMatchObject({ code: 14 });
    stranger.close();
  }, 60_000);
});

describe('the operator port, apart', () => {
  let coordinator: Coordinator;
  const log = recordingLogger();
  beforeAll(async () => {
    coordinator = await startCoordinator({ port: 0, dataDir: folder('admin'), databaseUrl: sqliteDatabase().url, logger: log.logger, adminToken: 'the-operator' });
  });
  afterAll(async () => { await coordinator.close(); });

  it('AdminService is not served on the member port', async () => {
    expect(coordinator.adminAddress).not.toBe(coordinator.address);
    const onMemberPort = new AdminClient(coordinator.address, 'the-operator');
    await expect(onMemberPort.listFederations()).rejects.toMatchObject({ code: 12 }); // UNIMPLEMENTED
    onMemberPort.close();
    const operator = new AdminClient(coordinator.adminAddress, 'the-operator');
    expect(await operator.listFederations()).toEqual([]);
    operator.close();
  });

  it('after 10 failed logins in a minute a peer is refused RATE_LIMITED, even with the right token; failures are logged', async () => {
    const guesser = new AdminClient(coordinator.adminAddress, 'a-guess');
    const guesses = await Promise.all(Array.from({ length: 10 }, () => settle(guesser.listFederations())));
    for (const g of guesses) expect(g).toMatchObject({ code: 7 }); // PERMISSION_DENIED
    guesser.close();
    const right = new AdminClient(coordinator.adminAddress, 'the-operator');
    const after = await settle(right.listFederations()) as GrpcErr;
    expect(after.code).toBe(8); // RESOURCE_EXHAUSTED
    expect(after.details).toMatch(/^RATE_LIMITED: too many failed operator logins from 127\.0\.0\.1: refused for \d+ s more/);
    right.close();
    expect(log.lines.filter((l) => l.msg === 'request refused: authentication failed')).toHaveLength(10);
  });
});

describe('unauthenticated load', () => {
  let coordinator: Coordinator;
  const log = recordingLogger();
  beforeAll(async () => {
    coordinator = await startCoordinator({ port: 0, dataDir: folder('load'), databaseUrl: sqliteDatabase().url, logger: log.logger, adminToken: 'op' });
  });
  afterAll(async () => { await coordinator.close(); });

  it('an oversized request is refused RESOURCE_EXHAUSTED before decoding; a 201-character name INVALID_ARGUMENT', async () => {
    const member = new MemberClient(coordinator.address, generateIdentity());
    const huge = await settle(member.enroll('cst_x', 'n'.repeat(1 << 20))) as GrpcErr;
    expect(huge.code).toBe(8);
    expect(huge.details).toMatch(/^REQUEST_TOO_LARGE: Enroll request of \d+ bytes refused: this method accepts at most 65536 bytes$/);
    const long = await settle(member.enroll('cst_x', 'n'.repeat(201))) as GrpcErr;
    expect(long).toMatchObject({ code: 3 });
    expect(long.details).toMatch(/^INVALID_ARGUMENT: display_name must be 1-200 characters/);
    // Unsigned, as an attacker sends it: the size is refused before the signature is even read.
    const { member: proto } = loadConsortProtocol();
    const raw = new proto.consort.v1.MemberService(coordinator.address, grpc.credentials.createInsecure(), channelOptions);
    const decline = await new Promise<GrpcErr>((resolve) => {
      raw.DeclineRound({ roundId: 'r', code: 'DATA_INVALID', reason: 'x'.repeat(100_000) }, (err) => resolve(err as unknown as GrpcErr));
    });
    expect(decline.code).toBe(8);
    expect(decline.details).toMatch(/^REQUEST_TOO_LARGE: DeclineRound request/);
    raw.close();
    member.close();
  });

  it('200 bogus enrolls from one peer: at most 20 reach the database, the rest are RATE_LIMITED, the log stays short', async () => {
    const lookups = vi.spyOn(coordinator.store, 'consumeEnrollmentToken');
    const before = log.lines.length;
    const clients = Array.from({ length: 4 }, () => new MemberClient(coordinator.address, generateIdentity()));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => settle(clients[i % 4].enroll(`cst_bogus_${i}`, `Bogus ${i}`)))) as GrpcErr[];
    for (const c of clients) c.close();
    expect(lookups.mock.calls.length).toBeLessThanOrEqual(20);
    const limited = results.filter((r) => r.code === 8 && r.details.startsWith('RATE_LIMITED: too many enrollment attempts from 127.0.0.1'));
    expect(limited.length).toBeGreaterThanOrEqual(180);
    expect(results.filter((r) => r.code === 16)).toHaveLength(200 - limited.length); // UNAUTHENTICATED: unknown token
    expect(log.lines.length - before).toBeLessThan(60);
  });
});
