// verify-log as an operator runs it: a log written by two coordinator processes at once verifies;
// an edited, removed or reordered entry and a truncated tail fail with LOG_TAMPERED and exit 5.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COORDINATOR_CLI, runCli } from '../../test-support/run-cli.ts';

const APPENDER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-support', 'append-events.ts');

let work: string;
let pristine: string;

async function sql(dataDir: string, statement: string): Promise<void> {
  const c = createClient({ url: `file:${join(dataDir, 'consort.db')}` });
  try {
    await c.execute(statement);
  } finally {
    c.close();
  }
}

/** A fresh copy of the verified data folder, to tamper with. */
function copyOf(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['consort.db', 'coordinator-key.json']) copyFileSync(join(pristine, f), join(dir, f));
  return dir;
}

const verify = (dataDir: string, ...extra: string[]) => runCli(COORDINATOR_CLI, ['verify-log', '--data-dir', dataDir, ...extra], { cwd: work });

describe('consort-coordinator verify-log', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'consort-verify-log-'));
    pristine = join(work, 'pristine');
    mkdirSync(pristine);
    // The key first, so both writers sign with the same one.
    const first = await runCli(APPENDER, [pristine, '1', 'init'], { cwd: work });
    expect(first.code, first.stderr).toBe(0);
    const [a, b] = await Promise.all([runCli(APPENDER, [pristine, '60', 'a'], { cwd: work }), runCli(APPENDER, [pristine, '60', 'b'], { cwd: work })]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('verifies a log written by two processes at once (no fork), with --json', async () => {
    const r = await verify(pristine, '--json');
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as { ok: boolean; entries: number; head: { seq: number }; checkpoints: number; lastGoodCheckpoint: { seq: number } };
    expect(v).toMatchObject({ ok: true, entries: 121, head: { seq: 121 }, lastGoodCheckpoint: { seq: 121 } });
    expect(v.checkpoints).toBeGreaterThanOrEqual(3);
    const text = await verify(pristine);
    expect(text.stdout).toMatch(/^audit log verifies\n121 entries, head seq 121/);
  }, 60_000);

  const cases: [string, string[], RegExp][] = [
    ['an edited field', ['UPDATE "AuditEvent" SET "subjectId" = \'x\' WHERE "seq" = 7'], /at seq 7: entry 7 \(task.created\) does not match its hash/],
    ['a removed entry', ['DELETE FROM "AuditEvent" WHERE "seq" = 40'], /at seq 40: seq 40 is missing/],
    ['two swapped entries', ['UPDATE "AuditEvent" SET "seq" = 9999 WHERE "seq" = 10', 'UPDATE "AuditEvent" SET "seq" = 10 WHERE "seq" = 11', 'UPDATE "AuditEvent" SET "seq" = 11 WHERE "seq" = 9999'], /at seq 10: entry 10/],
    ['a truncated tail', ['DELETE FROM "AuditEvent" WHERE "seq" > 100'], /at seq 101: the log ends at seq 100 but the coordinator signed a checkpoint at seq 1\d\d /],
  ];
  for (const [what, statements, message] of cases) {
    it(`catches ${what}: LOG_TAMPERED, exit 5, first bad seq named`, async () => {
      const dir = copyOf(what.replace(/\W+/g, '-'));
      for (const s of statements) await sql(dir, s);
      const r = await verify(dir);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^LOG_TAMPERED: the audit log fails verification /);
      expect(r.stderr).toMatch(message);
      const j = await verify(dir, '--json');
      expect(j.code).toBe(5);
      expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'LOG_TAMPERED' } });
    }, 60_000);
  }

  it('public-key prints the key verify-log trusts, for auditors to keep apart; no key file is INVALID_ARGUMENT', async () => {
    const dir = copyOf('public-key');
    const shown = await runCli(COORDINATOR_CLI, ['public-key', '--data-dir', dir, '--json'], { cwd: work });
    expect(shown.code).toBe(0);
    const { publicKey, fingerprint } = JSON.parse(shown.stdout) as { publicKey: string; fingerprint: string };
    expect(Buffer.from(publicKey, 'base64')).toHaveLength(32);
    expect(fingerprint).toMatch(/^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
    const pinned = await verify(dir, '--public-key', publicKey);
    expect(pinned.code).toBe(0);
    const missing = await runCli(COORDINATOR_CLI, ['public-key', '--data-dir', join(work, 'nowhere')], { cwd: work });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^INVALID_ARGUMENT: no coordinator key/);
  }, 60_000);

  it('refuses to check checkpoints without a trusted key, and a missing database, with what to do', async () => {
    const dir = copyOf('no-key');
    rmSync(join(dir, 'coordinator-key.json'));
    const r = await verify(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^INVALID_ARGUMENT: no coordinator key: .* pass --public-key/);
    const none = await verify(join(work, 'nowhere'), '--public-key', Buffer.alloc(32).toString('base64'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^NOT_FOUND: no coordinator database at/);
  }, 60_000);
});
