// The coordinator key: created once (owner-only) beside the database, reused, checked; RoundOpen signing.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyRoundOpen } from '@consort/core';
import { COORDINATOR_KEY_FILE, loadOrCreateCoordinatorKey, roundOpenSigner } from './coordinator-key.ts';

describe('coordinator key', () => {
  it('is created owner-only at the first start and read back after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'consort-key-'));
    const key = loadOrCreateCoordinatorKey(dir);
    expect(statSync(join(dir, COORDINATOR_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(loadOrCreateCoordinatorKey(dir).publicKey)).toEqual(Buffer.from(key.publicKey));
  });

  it('refuses a damaged key file instead of making a new key (members pinned the old one)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'consort-key-'));
    writeFileSync(join(dir, COORDINATOR_KEY_FILE), '{"version":1,"publicKey":"AAAA","secretKey":"AAAA"}');
    expect(() => loadOrCreateCoordinatorKey(dir)).toThrow(/malformed keys; restore it from a backup/);
  });

  it('signs RoundOpen events (once per round) and passes other events through', () => {
    const key = loadOrCreateCoordinatorKey(mkdtempSync(join(tmpdir(), 'consort-key-')));
    const seal = roundOpenSigner(key);
    const open = { roundId: 'r1', taskId: 't1', aggregation: 'secure', purpose: 'train' };
    const a = seal({ roundOpen: open });
    expect(verifyRoundOpen(a.roundOpen!, key.publicKey)).toBe(true);
    expect(seal({ roundOpen: open })).toBe(a);
    expect(verifyRoundOpen({ ...a.roundOpen!, aggregation: 'plain' }, key.publicKey)).toBe(false);
    const heartbeat = { heartbeat: { unixMs: '1' } };
    expect(seal(heartbeat)).toBe(heartbeat);
  });
});
