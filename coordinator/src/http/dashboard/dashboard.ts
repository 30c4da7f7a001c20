// The web dashboard: static pages served under /dashboard/ by the HTTP API's listener. The pages
// hold no data; they call this API with the visitor's token, so they are public like the health probe.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the pages live: shipped in the package beside this file. */
export const DASHBOARD_ASSETS = fileURLToPath(new URL('./assets/', import.meta.url));

/** Path prefix of the dashboard on the HTTP listener. */
export const DASHBOARD_PATH = '/dashboard/';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Only this origin: the pages work offline and never reach a CDN. Inline styles are allowed for the
 * audit reports shown in a sandboxed frame (their HTML carries its own <style>); scripts never inline.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
  "connect-src 'self'", "frame-src 'self' about:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

interface Asset { body: Buffer; type: string; etag: string }

/** Every file under `dir`, keyed by its URL path below the prefix ("app.js", "views/log.js"). */
export function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      if (statSync(file).isDirectory()) { walk(file); continue; }
      const type = TYPES[extname(name)];
      if (!type) continue;
      const body = readFileSync(file);
      out.set(relative(dir, file).split(sep).join('/'), { body, type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` });
    }
  };
  walk(dir);
  return out;
}

export interface DashboardOptions {
  /** Directory of the pages (default: the shipped assets). */
  assetsDir?: string;
}

/**
 * Registers GET /dashboard/* (the files read once at start, so a request can never name a path
 * outside them) and GET / redirecting to it. Hidden from the OpenAPI document: they are no API.
 */
export function registerDashboard(app: FastifyInstance, o: DashboardOptions = {}): void {
  const assets = loadAssets(o.assetsDir ?? DASHBOARD_ASSETS);
  const send = (reply: FastifyReply, a: Asset, ifNoneMatch: string | undefined) => {
    reply.header('content-security-policy', DASHBOARD_CSP).header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer').header('cache-control', 'no-cache').header('etag', a.etag);
    if (ifNoneMatch === a.etag) return reply.status(304).send();
    return reply.type(a.type).send(a.body);
  };
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect(DASHBOARD_PATH));
  app.get('/dashboard', { schema: { hide: true } }, async (_request, reply) => reply.redirect(DASHBOARD_PATH));
  app.get<{ Params: { '*': string } }>(`${DASHBOARD_PATH}*`, { schema: { hide: true } }, async (request, reply) => {
    const path = request.params['*'] || 'index.html';
    const asset = assets.get(path);
    if (!asset) {
      return reply.status(404).send({ code: 'NOT_FOUND', message: `the dashboard has no page ${path}; open ${DASHBOARD_PATH}` });
    }
    return send(reply, asset, request.headers['if-none-match']);
  });
}
