// Files that hold members' identities, customer rows or the coordinator's records are created
// owner-only (0600), their folders 0700: nobody else on the machine can read them.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startCoordinator } from '@consort/coordinator';
import { generateIdentity, saveIdentity } from '@consort/client-sdk';

const modeOf = (p: string) => statSync(p).mode & 0o777;

describe('file modes', () => {
  it('the coordinator\'s data folder, SQLite database and operator token are owner-only', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'consort-modes-')), 'coord');
    const c = await startCoordinator({ dataDir, port: 0, logger: pino({ level: 'silent' }) });
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(join(dataDir, 'consort.db'))).toBe(0o600);
      expect(modeOf(join(dataDir, 'admin-token'))).toBe(0o600);
    } finally {
      await c.close();
    }
  });

  it('a member\'s identity folder and key file are owner-only', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'consort-modes-')), '.consort-member');
    saveIdentity(join(dir, 'identity.json'), generateIdentity());
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(join(dir, 'identity.json'))).toBe(0o600);
  });
});
