// Composition root of the coordinator: store, round runner, member registry, gRPC server.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { ConsortError, insecureTransportRefusal, keyFingerprint } from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';
import { MemberConnections } from './members/connections.ts';
import { RoundRunner } from './round/round-runner.ts';
import { bindGrpcServer, serveAdmin, serveMembers } from './transport/grpc/server.ts';
import { loadOrCreateCoordinatorKey, roundOpenSigner, type CoordinatorKey } from './signing/coordinator-key.ts';

export interface CoordinatorOptions {
  /** SQLite `file:` URL (default `file:<dataDir>/consort.db`) or a `postgresql://` URL. */
  databaseUrl?: string;
  /** Folder for the SQLite file and the operator token (default `./.consort`). */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port (tests). Default 50051. */
  port?: number;
  /** Where operators connect (AdminService), apart from members. Default 127.0.0.1. */
  adminHost?: string;
  /** Default 50052, or 0 (a free port) when `port` is 0. */
  adminPort?: number;
  /** Accept plain TCP beyond loopback (otherwise refused with INSECURE_TRANSPORT). */
  insecure?: boolean;
  /** Operator token; default: CONSORT_ADMIN_TOKEN, else `<dataDir>/admin-token` (created once). */
  adminToken?: string;
  logger?: Logger;
  /** TLS certificate chain and key (PEM files); default CONSORT_TLS_CERT / CONSORT_TLS_KEY, else plain TCP. */
  tls?: { certFile: string; keyFile: string };
}

export interface Coordinator {
  /** Where members connect (MemberService). */
  address: string;
  /** Where operators connect (AdminService); loopback unless --admin-host says otherwise. */
  adminAddress: string;
  adminToken: string;
  store: Store;
  rounds: RoundRunner;
  connections: MemberConnections<CoordinatorEvent>;
  logger: Logger;
  /** Signs every RoundOpen; members pin its public key at enrollment (`<dataDir>/coordinator-key.json`). */
  coordinatorKey: CoordinatorKey;
  close(): Promise<void>;
}

export function defaultLogger(level = process.env.CONSORT_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'coordinator' } }, pino.destination(2));
}

function resolveAdminToken(dataDir: string, given?: string): string {
  if (given) return given;
  if (process.env.CONSORT_ADMIN_TOKEN) return process.env.CONSORT_ADMIN_TOKEN;
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

export async function startCoordinator(options: CoordinatorOptions = {}): Promise<Coordinator> {
  const dataDir = resolve(options.dataDir ?? '.consort');
  const logger = options.logger ?? defaultLogger();
  const envTls = process.env.CONSORT_TLS_CERT && process.env.CONSORT_TLS_KEY
    ? { certFile: process.env.CONSORT_TLS_CERT, keyFile: process.env.CONSORT_TLS_KEY } : undefined;
  const tls = options.tls ?? envTls;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 50051;
  const adminHost = options.adminHost ?? '127.0.0.1';
  const adminPort = options.adminPort ?? (port === 0 ? 0 : 50052);
  // Fail closed: plain TCP only on loopback unless the operator said --insecure.
  for (const [h, what] of [[host, '--host'], [adminHost, '--admin-host']] as const) {
    const refusal = insecureTransportRefusal({ action: `listen on ${h} (${what})`, host: h, tls: Boolean(tls), insecure: options.insecure ?? false, tlsWay: '--tls-cert and --tls-key (or CONSORT_TLS_CERT / CONSORT_TLS_KEY)' });
    if (refusal) throw new ConsortError(refusal.code, refusal.message, { host: h });
  }
  // The ports first: a taken port must leave no database file or token behind.
  const grpcServer = await bindGrpcServer(host, port, tls);
  let adminServer: Awaited<ReturnType<typeof bindGrpcServer>>;
  try {
    adminServer = await bindGrpcServer(adminHost, adminPort, tls, '--admin-port');
  } catch (err) {
    await grpcServer.close();
    throw err;
  }
  let store: Store;
  try {
    // Owner-only: the database, the operator token and the coordinator's signing key live here.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? `file:${join(dataDir, 'consort.db')}`;
    store = await openStore(databaseUrl);
  } catch (err) {
    await grpcServer.close();
    await adminServer.close();
    throw err;
  }
  const connections = new MemberConnections<CoordinatorEvent>();
  const rounds = new RoundRunner({ store, connections, logger });
  const recovered = await rounds.recoverInterruptedRounds();
  if (recovered) logger.warn({ recovered }, 'rounds interrupted by a previous coordinator process were closed');
  const adminToken = resolveAdminToken(dataDir, options.adminToken);
  const coordinatorKey = loadOrCreateCoordinatorKey(dataDir);
  const sealEvent = roundOpenSigner(coordinatorKey);
  serveMembers(grpcServer, { store, connections, rounds, logger, coordinatorKey, sealEvent });
  serveAdmin(adminServer, { store, connections, rounds, logger, adminToken, coordinatorKey });
  logger.info({ address: grpcServer.address, adminAddress: adminServer.address, database: store.provider, tls: Boolean(tls), coordinatorKey: keyFingerprint(coordinatorKey.publicKey) }, 'coordinator listening');
  if (!tls && options.insecure) {
    logger.warn('--insecure: serving plain TCP (tokens, signatures and models travel in clear); use only on a network you trust');
  }
  return {
    address: grpcServer.address, adminAddress: adminServer.address, adminToken, store, rounds, connections, logger, coordinatorKey,
    async close() {
      connections.closeAll();
      await Promise.all([grpcServer.close(), adminServer.close()]);
      await store.close();
    },
  };
}
