// Composition root of the coordinator: store, round runner, member registry, gRPC server.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { ConsortError, insecureTransportRefusal, keyFingerprint } from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import { openStore } from './store/open-store.ts';
import { resolveCoordinatorSettings, type CoordinatorSettingsInput } from './config/coordinator-config.ts';
import type { Store } from './store/store.ts';
import { MemberConnections } from './members/connections.ts';
import { RoundRunner } from './round/round-runner.ts';
import { bindGrpcServer, serveAdmin, serveMembers } from './transport/grpc/server.ts';
import { loadOrCreateCoordinatorKey, roundOpenSigner, type CoordinatorKey } from './signing/coordinator-key.ts';

/**
 * The coordinator's settings (each resolved with the environment and the defaults by
 * config/coordinator-config.ts: see docs/configuration.md), plus the logger to use.
 */
export interface CoordinatorOptions extends CoordinatorSettingsInput {
  logger?: Logger;
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

export function defaultLogger(level = resolveCoordinatorSettings().logLevel): Logger {
  return pino({ level, base: { svc: 'coordinator' } }, pino.destination(2));
}

function resolveAdminToken(dataDir: string, given?: string): string {
  if (given) return given;
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

export async function startCoordinator(options: CoordinatorOptions = {}): Promise<Coordinator> {
  const settings = resolveCoordinatorSettings(options);
  const { dataDir, tls, host, port, adminHost, adminPort } = settings;
  const logger = options.logger ?? defaultLogger(settings.logLevel);
  // Fail closed: plain TCP only on loopback unless the operator said --insecure.
  for (const [h, what] of [[host, '--host'], [adminHost, '--admin-host']] as const) {
    const refusal = insecureTransportRefusal({ action: `listen on ${h} (${what})`, host: h, tls: Boolean(tls), insecure: settings.insecure, tlsWay: '--tls-cert and --tls-key (or CONSORT_TLS_CERT / CONSORT_TLS_KEY)' });
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
    store = await openStore(settings.databaseUrl);
  } catch (err) {
    await grpcServer.close();
    await adminServer.close();
    throw err;
  }
  const connections = new MemberConnections<CoordinatorEvent>();
  const rounds = new RoundRunner({ store, connections, logger });
  const recovered = await rounds.recoverInterruptedRounds();
  if (recovered) logger.warn({ recovered }, 'rounds interrupted by a previous coordinator process were closed');
  const adminToken = resolveAdminToken(dataDir, settings.adminToken);
  const coordinatorKey = loadOrCreateCoordinatorKey(dataDir);
  const sealEvent = roundOpenSigner(coordinatorKey);
  serveMembers(grpcServer, { store, connections, rounds, logger, coordinatorKey, sealEvent });
  serveAdmin(adminServer, { store, connections, rounds, logger, adminToken });
  logger.info({ address: grpcServer.address, adminAddress: adminServer.address, database: store.provider, tls: Boolean(tls), coordinatorKey: keyFingerprint(coordinatorKey.publicKey) }, 'coordinator listening');
  if (!tls && settings.insecure) {
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
