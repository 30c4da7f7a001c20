// The dashboard's files on the HTTP listener: every shipped file with its type and policy, nothing
// else (no path outside them), not in the OpenAPI document, and no address beyond this origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { MemberConnections } from '../../members/connections.ts';
import { TaskRuns } from '../../round/task-runs.ts';
import type { Store } from '../../store/store.ts';
import { buildApp } from '../app.ts';
import { DASHBOARD_ASSETS, loadAssets } from './dashboard.ts';

// The dashboard's routes never reach the store.
const deps = { store: {} as Store, connections: new MemberConnections(), runs: new TaskRuns({ runTask: async () => [] }), logger: pino({ level: 'silent' }) };

describe('dashboard files', () => {
  let app: FastifyInstance;
  beforeAll(async () => { app = await buildApp(deps); });
  afterAll(async () => { await app.close(); });

  it('serves every shipped file with its content type, a strict CSP and an ETag', async () => {
    const assets = loadAssets(DASHBOARD_ASSETS);
    expect([...assets.keys()]).toEqual(expect.arrayContaining(['index.html', 'app.js', 'api.js', 'chart.js', 'dom.js', 'style.css', 'views/task.js']));
    for (const [path, asset] of assets) {
      const res = await app.inject({ method: 'GET', url: `/dashboard/${path}` });
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type']).toBe(asset.type);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.rawPayload.equals(asset.body)).toBe(true);
      const again = await app.inject({ method: 'GET', url: `/dashboard/${path}`, headers: { 'if-none-match': String(res.headers.etag) } });
      expect(again.statusCode).toBe(304);
    }
    const index = await app.inject({ method: 'GET', url: '/dashboard/' });
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.body).toContain('<script type="module" src="app.js">');
  });

  it('redirects / to the dashboard and answers unknown or escaping paths with 404 NOT_FOUND', async () => {
    const root = await app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/dashboard/');
    for (const url of ['/dashboard/nope.js', '/dashboard/../package.json', '/dashboard/%2e%2e/dashboard.ts', '/dashboard/views/../../dashboard.ts']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
    }
  });

  it('stays out of the OpenAPI document and can be turned off', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
    const bare = await buildApp({ ...deps, dashboard: false });
    expect((await bare.inject({ method: 'GET', url: '/dashboard/' })).statusCode).toBe(404);
    await bare.close();
  });

  it('names no address beyond its own origin (works offline, no CDN)', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else files.push(join(d, e.name));
      }
    };
    walk(DASHBOARD_ASSETS);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // The SVG namespace is a name, never fetched.
      expect(text.replace('http://www.w3.org/2000/svg', ''), f).not.toMatch(/https?:\/\/|\/\/[a-z0-9-]+\.[a-z]{2,}\/|@import|url\(/i);
    }
  });
});
