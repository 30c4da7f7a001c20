// The HTTP API's listener: HTTPS with the coordinator's certificate, plain HTTP refused off loopback,
// addresses parsed strictly.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:https';
import pino from 'pino';
import { createDevCa } from '../tls/dev-ca.ts';
import { MemberConnections } from '../members/connections.ts';
import { TaskRuns } from '../round/task-runs.ts';
import type { Store } from '../store/store.ts';
import { startCoordinator } from '../coordinator.ts';
import { parseHttpAddress, startHttpListener, type HttpListener } from './http-listener.ts';

// The routes used here never reach the store.
const store = {} as Store;
const deps = { store, connections: new MemberConnections(), runs: new TaskRuns({ runTask: async () => [] }), logger: pino({ level: 'silent' }) };

describe('HTTP listener', () => {
  const open: HttpListener[] = [];
  afterAll(async () => { for (const l of open) await l.close(); });

  it('serves HTTPS with the given certificate', async () => {
    const ca = createDevCa(mkdtempSync(join(tmpdir(), 'consort-http-tls-')), ['localhost']);
    const l = await startHttpListener({ ...deps, host: '127.0.0.1', port: 0, tls: { certFile: ca.serverCert, keyFile: ca.serverKey } });
    open.push(l);
    expect(l.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = await new Promise<string>((resolve, reject) => {
      get(`${l.url}/api/v1/health`, { ca: readFileSync(ca.caCert) }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => { text += d.toString(); });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(body)).toEqual({ ok: true });
  });

  it('refuses plain HTTP beyond loopback unless insecure', async () => {
    await expect(startHttpListener({ ...deps, host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'INSECURE_TRANSPORT' });
    const l = await startHttpListener({ ...deps, host: '0.0.0.0', port: 0, insecure: true });
    open.push(l);
    expect(l.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
  });

  it('says which option to change when the port is taken', async () => {
    const first = await startHttpListener({ ...deps, host: '127.0.0.1', port: 0 });
    open.push(first);
    const port = Number(new URL(first.url).port);
    await expect(startHttpListener({ ...deps, host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/--http-address/) });
  });

  it('a coordinator whose HTTP port is taken stops before creating its database', async () => {
    const first = await startHttpListener({ ...deps, host: '127.0.0.1', port: 0 });
    open.push(first);
    const dataDir = join(mkdtempSync(join(tmpdir(), 'consort-http-taken-')), 'data');
    await expect(startCoordinator({ dataDir, port: 0, httpAddress: `127.0.0.1:${new URL(first.url).port}`, logger: pino({ level: 'silent' }) }))
      .rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/is taken on 127\.0\.0\.1: .*--http-address/) });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('parses host:port, [v6]:port, and refuses anything else', () => {
    expect(parseHttpAddress('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseHttpAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    for (const bad of ['8080', 'host:', 'host:70000', 'http://x:1']) expect(() => parseHttpAddress(bad), bad).toThrow(/is not host:port/);
  });
});
