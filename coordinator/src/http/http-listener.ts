// The HTTP API's own listener (apart from the member and operator gRPC ports), TLS as the gRPC ones.
import { readFileSync } from 'node:fs';
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

export interface HttpListenerOptions extends Omit<BuildAppOptions, 'https'> {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  insecure?: boolean;
}

export interface HttpListener {
  app: FastifyInstance;
  /** http(s)://host:port actually bound. */
  url: string;
  close(): Promise<void>;
}

/** Builds the API and listens; plain HTTP is refused beyond loopback unless `insecure`. */
export async function startHttpListener(o: HttpListenerOptions): Promise<HttpListener> {
  const refusal = insecureTransportRefusal({ action: `serve the HTTP API on ${o.host} (--http-address)`, host: o.host, tls: Boolean(o.tls), insecure: o.insecure ?? false, tlsWay: '--tls-cert and --tls-key (or CONSORT_TLS_CERT / CONSORT_TLS_KEY)' });
  if (refusal) throw new ConsortError(refusal.code, refusal.message, { host: o.host });
  const https = o.tls ? { cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) } : undefined;
  const app = await buildApp({ ...o, https });
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await app.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new ConsortError('UNAVAILABLE', `port ${o.port} is taken on ${o.host}: stop the program using it or pass another --http-address`, { host: o.host, port: o.port });
    throw new ConsortError('UNAVAILABLE', `cannot serve the HTTP API on ${o.host}:${o.port} (${(err as Error).message}); check --http-address`, { host: o.host, port: o.port });
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return { app, url: `${o.tls ? 'https' : 'http'}://${host}:${port}`, close: () => app.close() };
}
