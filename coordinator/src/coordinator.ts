// Composition root of the coordinator: store, round runner, member registry, gRPC server.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { keyFingerprint } from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';
import { MemberConnections } from './members/connections.ts';
import { RoundRunner } from './round/round-runner.ts';
import { bindGrpcServer } from './transport/grpc/server.ts';
import { loadOrCreateCoordinatorKey, roundOpenSigner, type CoordinatorKey } from './signing/coordinator-key.ts';

export interface CoordinatorOptions {
  /** SQLite `file:` URL (default `file:<dataDir>/consort.db`) or a `postgresql://` URL. */
  databaseUrl?: string;
  /** Folder for the SQLite file and the operator token (default `./.consort`). */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port (tests). Default 50051. */
  port?: number;
  /** Operator token; default: CONSORT_ADMIN_TOKEN, else `<dataDir>/admin-token` (created once). */
  adminToken?: string;
  logger?: Logger;
  /** TLS certificate chain and key (PEM files); default CONSORT_TLS_CERT / CONSORT_TLS_KEY, else plain TCP. */
  tls?: { certFile: string; keyFile: string };
}

export interface Coordinator {
  address: string;
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
  // The port first: a taken port must leave no database file or token behind.
  const grpcServer = await bindGrpcServer(options.host ?? '127.0.0.1', options.port ?? 50051, tls);
  let store: Store;
  try {
    // Owner-only: the database, the operator token and the coordinator's signing key live here.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? `file:${join(dataDir, 'consort.db')}`;
    store = await openStore(databaseUrl);
  } catch (err) {
    await grpcServer.close();
    throw err;
  }
  const connections = new MemberConnections<CoordinatorEvent>();
  const rounds = new RoundRunner({ store, connections, logger });
  const recovered = await rounds.recoverInterruptedRounds();
  if (recovered) logger.warn({ recovered }, 'rounds interrupted by a previous coordinator process were closed');
  const adminToken = resolveAdminToken(dataDir, options.adminToken);
  const coordinatorKey = loadOrCreateCoordinatorKey(dataDir);
  const sealEvent = roundOpenSigner(coordinatorKey);
  grpcServer.serve({ store, connections, rounds, logger, adminToken, coordinatorKey, sealEvent });
  logger.info({ address: grpcServer.address, database: store.provider, tls: Boolean(tls), coordinatorKey: keyFingerprint(coordinatorKey.publicKey) }, 'coordinator listening');
  if (!tls && !['127.0.0.1', 'localhost', '::1'].includes(options.host ?? '127.0.0.1')) {
    logger.warn('listening beyond loopback without TLS: set --tls-cert/--tls-key (model downloads and metadata would travel in clear)');
  }
  return {
    address: grpcServer.address, adminToken, store, rounds, connections, logger, coordinatorKey,
    async close() {
      connections.closeAll();
      await grpcServer.close();
      await store.close();
    },
  };
}
