// Adversarial (issue 13, finding 3): the operator revokes a member; over real gRPC its open stream
// ends with MEMBER_REVOKED, its next signed call is refused (the cached identity is dropped), and
// the revocation is in the audit trail. Also the `revoke-member --json` command line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient, startCoordinator, type Coordinator } from '@consort/coordinator';
import { MemberClient, enrollMember, type MemberIdentity } from '@consort/client-sdk';
import { CLI, runCli } from './support/cli.ts';

describe('adversarial: operator revokes a member', () => {
  let c: Coordinator;
  let admin: AdminClient;
  let dataDir: string;
  let revoked: MemberIdentity;
  let other: MemberIdentity;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'consort-revoke-'));
    c = await startCoordinator({ dataDir, port: 0, adminToken: 'operator-token', logger: pino({ level: 'silent' }) });
    admin = new AdminClient(c.adminAddress, c.adminToken);
    const f = await admin.createFederation('revocation');
    const tokens = await admin.createEnrollmentTokens(f.id, 2);
    revoked = await enrollMember(c.address, tokens[0], 'Mallory Gym');
    other = await enrollMember(c.address, tokens[1], 'Honest Gym');
  });
  afterAll(async () => { admin?.close(); await c?.close(); });

  /** A signed call that needs only authentication: fetching a model file of a task that does not exist. */
  const probe = async (identity: MemberIdentity): Promise<grpc.ServiceError> => {
    const client = new MemberClient(c.address, identity);
    try {
      return await client.fetchModelFile({ taskId: 'no-such-task', version: 0, modelVersionId: '' }).then(() => { throw new Error('the call succeeded'); }, (err: grpc.ServiceError) => err);
    } finally {
      client.close();
    }
  };

  it('closes the open stream with MEMBER_REVOKED and refuses the member from its next call on', async () => {
    const client = new MemberClient(c.address, revoked);
    const stream = client.connect('cpu', 'test');
    const ended = new Promise<grpc.ServiceError | 'ended'>((res) => {
      stream.on('error', (err: grpc.ServiceError) => res(err));
      stream.on('end', () => res('ended'));
    });
    // Authenticated once before the revocation, so its identity is in the coordinator's cache.
    await new Promise<void>((res) => stream.once('data', () => res()));
    expect((await probe(revoked)).details).toMatch(/^NOT_FOUND/);

    const r = await admin.revokeMember(revoked.memberId!);
    expect(r).toMatchObject({ id: revoked.memberId!, displayName: 'Mallory Gym', wasConnected: true });

    const err = await ended;
    expect(err).not.toBe('ended');
    expect((err as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((err as grpc.ServiceError).details).toMatch(/^MEMBER_REVOKED: member ".+" \(Mallory Gym\) was revoked by the operator/);
    client.close();

    const next = await probe(revoked);
    expect(next.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(next.details).toMatch(/^MEMBER_REVOKED: .*enroll a new identity/);
    const again = new MemberClient(c.address, revoked);
    const reconnect = await new Promise<grpc.ServiceError>((res) => { const s = again.connect('cpu', 'test'); s.on('data', () => undefined); s.on('error', res); });
    again.close();
    expect(reconnect.details).toMatch(/^MEMBER_REVOKED/);
    expect(c.connections.isOnline(revoked.memberId!)).toBe(false);

    // The other member is untouched.
    expect((await probe(other)).details).toMatch(/^NOT_FOUND/);
    const audit = await c.store.listAuditEvents({ subjectId: revoked.memberId!, kind: 'member.revoked' });
    expect(audit).toHaveLength(1);
    expect(audit[0].detail).toMatchObject({ wasConnected: true });
  });

  it('revoke-member --json prints the revocation; an unknown member is NOT_FOUND (exit 2)', async () => {
    const env = { CONSORT_ADMIN_ADDRESS: c.adminAddress, CONSORT_ADMIN_TOKEN: 'operator-token' };
    const ok = await runCli(CLI.coordinator, ['revoke-member', '--member', other.memberId!, '--json'], { cwd: dataDir, env });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ member: other.memberId!, displayName: 'Honest Gym', wasConnected: false });
    expect((await probe(other)).details).toMatch(/^MEMBER_REVOKED/);
    const missing = await runCli(CLI.coordinator, ['revoke-member', '--member', 'nobody'], { cwd: dataDir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^NOT_FOUND: Member nobody does not exist/);
  });
});
