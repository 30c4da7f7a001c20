// The coordinator over TLS: a client with the CA gets through, a plain-TCP client does not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AdminClient, startCoordinator, type Coordinator } from '@consort/coordinator';
import { MemberClient, generateIdentity } from '@consort/client-sdk';
import { sqliteDatabase } from './support/databases.ts';

describe('TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'consort-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let coordinator: Coordinator;

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    coordinator = await startCoordinator({ dataDir: dir, databaseUrl: sqliteDatabase().url, port: 0, adminToken: 'tls', logger: pino({ level: 'silent' }), tls: { certFile: cert, keyFile: key } });
  });
  afterAll(async () => { await coordinator?.close(); });

  it('serves operators and members that trust its certificate', async () => {
    const admin = new AdminClient(coordinator.adminAddress, 'tls', cert);
    const fed = await admin.createFederation('over tls');
    const [token] = await admin.createEnrollmentTokens(fed.id, 1);
    const member = new MemberClient(coordinator.address, generateIdentity(), cert);
    const enrolled = await member.enroll(token, 'TLS shop');
    expect(enrolled.federationId).toBe(fed.id);
    member.close();
    admin.close();
  });

  it('refuses a client speaking plain TCP', async () => {
    const plain = new AdminClient(coordinator.adminAddress, 'tls');
    await expect(plain.createFederation('nope')).rejects.toMatchObject({ code: 14 }); // UNAVAILABLE
    plain.close();
  });
});
