// API token helpers: lifetimes, hashing, and what a refused token says.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { authenticateApiToken, hashApiToken, parseLifetime } from './api-tokens.ts';
import type { ApiTokenRecord, Store } from '../store/store.ts';

describe('API tokens', () => {
  it('reads lifetimes with a unit and refuses the rest', () => {
    expect(parseLifetime('30d')).toBe(30 * 86_400_000);
    expect(parseLifetime('12h')).toBe(12 * 3_600_000);
    expect(parseLifetime('90m')).toBe(90 * 60_000);
    expect(parseLifetime('2w')).toBe(14 * 86_400_000);
    for (const bad of ['30', 'd', '0d', '-1d', '1.5d', '30 days']) expect(() => parseLifetime(bad), bad).toThrow(/is not a lifetime/);
  });

  it('stores SHA-256 hex only', () => {
    expect(hashApiToken('cst_x')).toBe(createHash('sha256').update('cst_x').digest('hex'));
  });

  it('accepts a live token and says why others are refused', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const rows: Record<string, ApiTokenRecord> = {
      [hashApiToken('live')]: { id: '1', name: 'a', role: 'auditor', tokenHash: '', createdAt: now, expiresAt: new Date(now.getTime() + 1) },
      [hashApiToken('old')]: { id: '2', name: 'b', role: 'auditor', tokenHash: '', createdAt: now, expiresAt: now },
      [hashApiToken('gone')]: { id: '3', name: 'c', role: 'operator', tokenHash: '', createdAt: now, revokedAt: now },
    };
    const store = { findApiTokenByHash: async (h: string) => rows[h] } as unknown as Store;
    expect((await authenticateApiToken(store, 'live', now)).id).toBe('1');
    await expect(authenticateApiToken(store, 'old', now)).rejects.toMatchObject({ code: 'API_TOKEN_INVALID', message: expect.stringMatching(/of b expired/) });
    await expect(authenticateApiToken(store, 'gone', now)).rejects.toMatchObject({ code: 'API_TOKEN_INVALID', message: expect.stringMatching(/of c was revoked/) });
    await expect(authenticateApiToken(store, 'nope', now)).rejects.toMatchObject({ code: 'API_TOKEN_INVALID', message: expect.stringMatching(/not one this coordinator issued/) });
    await expect(authenticateApiToken(store, undefined, now)).rejects.toMatchObject({ code: 'API_TOKEN_INVALID', message: expect.stringMatching(/no API token was given/) });
  });
});
