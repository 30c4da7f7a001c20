// `show-audit --json` over the HTTP API writes the signed report file itself, the file `consort-audit verify` reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp, createTask, issueApiToken, MemberConnections, openStore, TaskRuns, type AuditReportSource, type Store } from '@consort/coordinator';
import { sqliteDatabase } from './support/databases.ts';
import { CLI, runCli } from './support/cli.ts';
import { CHURN_TASK } from './http-api.suite.ts';

describe('show-audit --json', () => {
  let store: Store;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let base: string;
  let auditor: string;
  // Shaped like a signed report; its signature is not valid, so verify gets past reading it and refuses the signature.
  const signed = { report: { format: 'consort-audit-report/1', verdict: 'pass' }, signature: { algorithm: 'ed25519', publicKey: 'AAAA', value: 'AAAA' } };

  beforeAll(async () => {
    store = await openStore(sqliteDatabase().url);
    const federation = await store.createFederation('north');
    const { task, modelVersionId } = await createTask(store, federation.id, CHURN_TASK);
    const summary = { id: 'rep-1', taskId: task.id, modelVersionId: modelVersionId!, createdAt: new Date('2026-12-01T10:00:00Z'), verdict: 'pass' };
    const auditReports: AuditReportSource = {
      list: async () => [summary],
      get: async (id) => (id === summary.id ? { summary, json: signed, html: '<!doctype html><p>report</p>' } : undefined),
    };
    app = await buildApp({ store, connections: new MemberConnections(), runs: new TaskRuns({ runTask: async () => [] }), logger: pino({ level: 'silent' }), auditReports });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    auditor = (await issueApiToken(store, { name: 'alice', role: 'auditor', issuedBy: 'test' })).token;
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('prints the signed document, which consort-audit verify reads as a report', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'consort-show-audit-'));
    const shown = await runCli(CLI.coordinator, ['show-audit', '--report', 'rep-1', '--json', '--api', base, '--token', auditor], { cwd });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual(signed);
    writeFileSync(join(cwd, 'audit.json'), shown.stdout);
    const verified = await runCli(CLI.audit, ['verify', 'audit.json'], { cwd });
    expect(verified.stderr).toMatch(/^AUDIT_SIGNATURE_INVALID: /);
    expect(verified.code).toBe(5);
  });
});
