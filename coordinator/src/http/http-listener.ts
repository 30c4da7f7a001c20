// The HTTP API's own listener (apart from the member and operator gRPC ports), TLS as the gRPC ones.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import { ConsortError, insecureTransportRefusal } from '@consort/core';
import { buildApp, type BuildAppOptions } from './app.ts';

/** Where the HTTP API listens unless told otherwise (--http-address, CONSORT_HTTP_ADDRESS). */
export const DEFAULT_HTTP_ADDRESS = '127.0.0.1:8080';

/** "host:port" or "[v6]:port" -> parts; INVALID_ARGUMENT otherwise. */
export function parseHttpAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65_535) throw new ConsortError('INVALID_ARGUMENT', `--http-address "${address}" is not host:port (e.g. 127.0.0.1:8080, or 0.0.0.0:8443 with TLS)`);
  return { host: m[1] ?? m[2], port };
}

export interface HttpListenerOptions extends Omit<BuildAppOptions, 'https' | 'serverFactory'> {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  insecure?: boolean;
}

/** A bound HTTP(S) server, not yet answering: the port is the coordinator's before anything else exists. */
export interface BoundHttpServer {
  server: Server;
  /** http(s)://host:port actually bound. */
  url: string;
  close(): Promise<void>;
}

export interface HttpListener extends BoundHttpServer {
  app: FastifyInstance;
}

/** Binds host:port (TLS when given); plain HTTP is refused beyond loopback unless `insecure`. */
export async function bindHttpServer(o: { host: string; port: number; tls?: { certFile: string; keyFile: string }; insecure?: boolean }): Promise<BoundHttpServer> {
  const refusal = insecureTransportRefusal({ action: `serve the HTTP API on ${o.host} (--http-address)`, host: o.host, tls: Boolean(o.tls), insecure: o.insecure ?? false, tlsWay: '--tls-cert and --tls-key (or CONSORT_TLS_CERT / CONSORT_TLS_KEY)' });
  if (refusal) throw new ConsortError(refusal.code, refusal.message, { host: o.host });
  const server: Server = o.tls ? createHttpsServer({ cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) }) : createHttpServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new ConsortError('UNAVAILABLE', `port ${o.port} is taken on ${o.host}: stop the program using it or pass another --http-address`, { host: o.host, port: o.port })
      : new ConsortError('UNAVAILABLE', `cannot serve the HTTP API on ${o.host}:${o.port} (${err.message}); check --http-address`, { host: o.host, port: o.port })));
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    server,
    url: `${o.tls ? 'https' : 'http'}://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      // Open watch streams would hold close() for ever: end idle and streaming connections too.
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Puts the API on a bound server. */
export async function serveHttpApi(bound: BoundHttpServer, o: Omit<BuildAppOptions, 'https' | 'serverFactory'>): Promise<HttpListener> {
  const app = await buildApp({ ...o, serverFactory: (handler) => bound.server.on('request', handler) });
  await app.ready();
  return { ...bound, app, close: async () => { await app.close(); await bound.close(); } };
}

/** bindHttpServer then serveHttpApi (one step, for callers that bind nothing else first). */
export async function startHttpListener(o: HttpListenerOptions): Promise<HttpListener> {
  const bound = await bindHttpServer(o);
  try {
    return await serveHttpApi(bound, o);
  } catch (err) {
    await bound.close();
    throw err;
  }
}
