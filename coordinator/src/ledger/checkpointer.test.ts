// A running coordinator checkpoints its audit log every N entries and at shutdown, signed with its own key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator } from '../coordinator.ts';
import { openStore } from '../store/open-store.ts';
import { loadOrCreateCoordinatorKey } from '../signing/coordinator-key.ts';
import { COORDINATOR_CLI, runCli } from '../../test-support/run-cli.ts';
import { verifyAuditLog } from './verify-chain.ts';

describe('coordinator audit log checkpoints', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'consort-checkpoints-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every N entries from any caller, and one at shutdown covering the last entry', async () => {
    const c = await startCoordinator({ dataDir: dir, port: 0, logger: pino({ level: 'silent' }), adminToken: 'op', auditCheckpointEvery: 3 });
    // coordinator.started is entry 1; seven more from "round code" (any store caller).
    for (let i = 0; i < 7; i++) await c.store.appendAuditEvent({ actor: 'coordinator', kind: 'round.created', subjectType: 'round', subjectId: `r${i}`, detail: { i } });
    expect((await c.store.listAuditCheckpoints()).map((cp) => cp.seq)).toEqual([3, 6]);
    await c.close();

    const store = await openStore(`file:${join(dir, 'consort.db')}`);
    const [events, checkpoints] = [await store.listAuditEvents(), await store.listAuditCheckpoints()];
    await store.close();
    expect(events.at(-1)).toMatchObject({ seq: 9, kind: 'coordinator.stopped' });
    expect(checkpoints.map((cp) => cp.seq)).toEqual([3, 6, 9]);
    const v = verifyAuditLog(events, checkpoints, loadOrCreateCoordinatorKey(dir).publicKey);
    expect(v).toMatchObject({ ok: true, lastGoodCheckpoint: { seq: 9 }, entriesAfterLastCheckpoint: 0 });
  }, 60_000);

  it('models: an unknown task and a missing database are NOT_FOUND (exit 2)', async () => {
    const r = await runCli(COORDINATOR_CLI, ['models', '--data-dir', dir, '--task', 'no-such-task'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^NOT_FOUND: Task no-such-task does not exist/);
    const missing = await runCli(COORDINATOR_CLI, ['models', '--data-dir', join(dir, 'nowhere'), '--task', 't'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^NOT_FOUND: no coordinator database at/);
  }, 60_000);
});
