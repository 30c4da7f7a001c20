// Coordinator configuration: flags win over the environment, which wins over the defaults; one default database.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COORDINATOR_DEFAULTS, adminAddressOf, databaseUrlOf, resolveCoordinatorSettings } from './coordinator-config.ts';
import { DEFAULT_DATABASE_URL } from '../store/open-store.ts';

describe('coordinator configuration', () => {
  it('uses the defaults with no flag and no environment', () => {
    const s = resolveCoordinatorSettings({}, {});
    expect(s).toEqual({
      dataDir: resolve('.consort'), databaseUrl: `file:${join(resolve('.consort'), 'consort.db')}`, host: '127.0.0.1', port: 50051,
      adminHost: '127.0.0.1', adminPort: 50052, adminToken: undefined, tls: undefined, insecure: false, logLevel: 'info',
    });
  });

  it('has one default database: serve, report and openStore agree', () => {
    expect(databaseUrlOf({}, {})).toBe(DEFAULT_DATABASE_URL);
    expect(resolveCoordinatorSettings({}, {}).databaseUrl).toBe(DEFAULT_DATABASE_URL);
    // The data folder moves the SQLite file with it.
    expect(databaseUrlOf({ dataDir: '/srv/consort' }, {})).toBe('file:/srv/consort/consort.db');
  });

  it('takes the environment over the defaults, and flags over the environment', () => {
    const env = {
      DATABASE_URL: 'postgresql://db/consort', CONSORT_ADMIN_TOKEN: 'env-token', CONSORT_TLS_CERT: 'c.pem', CONSORT_TLS_KEY: 'k.pem',
      CONSORT_LOG_LEVEL: 'warn', CONSORT_ADMIN_ADDRESS: 'ops:1',
    };
    const fromEnv = resolveCoordinatorSettings({ dataDir: '/d' }, env);
    expect(fromEnv).toMatchObject({ databaseUrl: 'postgresql://db/consort', adminToken: 'env-token', tls: { certFile: 'c.pem', keyFile: 'k.pem' }, logLevel: 'warn' });
    const fromFlags = resolveCoordinatorSettings({ databaseUrl: 'file:/x.db', adminToken: 'flag', tls: { certFile: 'a', keyFile: 'b' }, logLevel: 'debug' }, env);
    expect(fromFlags).toMatchObject({ databaseUrl: 'file:/x.db', adminToken: 'flag', tls: { certFile: 'a', keyFile: 'b' }, logLevel: 'debug' });
    expect(adminAddressOf(undefined, env)).toBe('ops:1');
    expect(adminAddressOf('flag:2', env)).toBe('flag:2');
    expect(adminAddressOf(undefined, {})).toBe(COORDINATOR_DEFAULTS.adminAddress);
    // An empty variable counts as unset; half a TLS pair is no TLS.
    expect(resolveCoordinatorSettings({}, { DATABASE_URL: '', CONSORT_TLS_CERT: 'c.pem' })).toMatchObject({ databaseUrl: DEFAULT_DATABASE_URL, tls: undefined });
  });

  it('gives a free admin port to a coordinator on a free port (tests), unless one is named', () => {
    expect(resolveCoordinatorSettings({ port: 0 }, {}).adminPort).toBe(0);
    expect(resolveCoordinatorSettings({ port: 0, adminPort: 7000 }, {}).adminPort).toBe(7000);
  });
});
