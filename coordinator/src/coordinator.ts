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
import { TaskRuns } from './round/task-runs.ts';
import { bindHttpServer, DEFAULT_HTTP_ADDRESS, parseHttpAddress, serveHttpApi, type BoundHttpServer, type HttpListener } from './http/http-listener.ts';
import type { AuditReportSource } from './http/api-deps.ts';
import { loadOrCreateCoordinatorKey, roundOpenSigner, type CoordinatorKey } from './signing/coordinator-key.ts';
import { AuditCheckpointer, withAuditCheckpoints } from './ledger/checkpointer.ts';
import { storedAuditReports } from './audit/stored-audit-reports.ts';

/**
 * The coordinator's settings (each resolved with the environment and the defaults by
 * config/coordinator-config.ts: see docs/configuration.md), plus the logger to use.
 */
export interface CoordinatorOptions extends CoordinatorSettingsInput {
  logger?: Logger;
  /**
   * Where the HTTP API listens: "host:port" (default CONSORT_HTTP_ADDRESS, else 127.0.0.1:8080, or
   * 127.0.0.1:0 when `port` is 0); `false` serves no HTTP API.
   */
  httpAddress?: string | false;
  /** Audit report storage for the HTTP API (absent: reports answer 404 NO_AUDIT_REPORT). */
  auditReports?: AuditReportSource;
  /** TLS certificate chain and key (PEM files); default CONSORT_TLS_CERT / CONSORT_TLS_KEY, else plain TCP. */
  tls?: { certFile: string; keyFile: string };
  /** Audit log entries between two signed checkpoints (default 100; one is also made at close). */
  auditCheckpointEvery?: number;
}

export interface Coordinator {
  /** Where members connect (MemberService). */
  address: string;
  /** Where operators connect (AdminService); loopback unless --admin-host says otherwise. */
  adminAddress: string;
  adminToken: string;
  /** Base URL of the HTTP API (http(s)://host:port), absent when httpAddress was false. */
  httpUrl?: string;
  /** Runs of tasks started over the HTTP API. */
  runs: TaskRuns;
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
  const httpAddress = options.httpAddress === false ? undefined
    : parseHttpAddress(options.httpAddress ?? process.env.CONSORT_HTTP_ADDRESS ?? (port === 0 ? '127.0.0.1:0' : DEFAULT_HTTP_ADDRESS));
  // The ports first: a taken port must leave no database file or token behind.
  const grpcServer = await bindGrpcServer(host, port, tls);
  let adminServer: Awaited<ReturnType<typeof bindGrpcServer>>;
  let httpServer: BoundHttpServer | undefined;
  try {
    adminServer = await bindGrpcServer(adminHost, adminPort, tls, '--admin-port');
  } catch (err) {
    await grpcServer.close();
    throw err;
  }
  try {
    if (httpAddress) httpServer = await bindHttpServer({ ...httpAddress, tls, insecure: options.insecure });
  } catch (err) {
    await Promise.all([grpcServer.close(), adminServer.close()]);
    throw err;
  }
  let store: Store;
  try {
    // Owner-only: the database, the operator token and the coordinator's signing key live here.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    store = await openStore(settings.databaseUrl);
  } catch (err) {
    await Promise.all([grpcServer.close(), adminServer.close(), httpServer?.close()]);
    throw err;
  }
  const coordinatorKey = loadOrCreateCoordinatorKey(dataDir);
  // Every audit event, from any caller, counts towards the next signed checkpoint of the log.
  const checkpointer = new AuditCheckpointer(store, coordinatorKey, {
    every: options.auditCheckpointEvery,
    onError: (err) => logger.error({ err }, 'audit log checkpoint failed; the next append or shutdown retries'),
  });
  store = withAuditCheckpoints(store, checkpointer);
  // Also chains any events of a database upgraded from before the hash chain (see ledger/).
  await store.appendAuditEvent({ actor: 'coordinator', kind: 'coordinator.started', subjectType: 'coordinator', subjectId: keyFingerprint(coordinatorKey.publicKey), detail: { database: store.provider, tls: Boolean(tls) } });
  const connections = new MemberConnections<CoordinatorEvent>();
  const rounds = new RoundRunner({ store, connections, logger, signingKey: coordinatorKey });
  const recovered = await rounds.recoverInterruptedRounds();
  if (recovered) logger.warn({ recovered }, 'rounds interrupted by a previous coordinator process were closed');
  const adminToken = resolveAdminToken(dataDir, settings.adminToken);
  const sealEvent = roundOpenSigner(coordinatorKey);
  serveMembers(grpcServer, { store, connections, rounds, logger, coordinatorKey, sealEvent });
  serveAdmin(adminServer, { store, connections, rounds, logger, adminToken, coordinatorKey });
  const runs = new TaskRuns(rounds);
  const http: HttpListener | undefined = httpServer
    ? await serveHttpApi(httpServer, { store, connections, runs, logger, auditReports: options.auditReports ?? storedAuditReports(store, coordinatorKey.publicKey) })
    : undefined;
  logger.info({ address: grpcServer.address, adminAddress: adminServer.address, database: store.provider, tls: Boolean(tls), coordinatorKey: keyFingerprint(coordinatorKey.publicKey) }, 'coordinator listening');
  if (http) logger.info({ url: http.url }, 'HTTP API listening');
  if (!tls && settings.insecure) {
    logger.warn('--insecure: serving plain TCP (tokens, signatures and models travel in clear); use only on a network you trust');
  }
  return {
    address: grpcServer.address, adminAddress: adminServer.address, adminToken, httpUrl: http?.url, runs, store, rounds, connections, logger, coordinatorKey,
    async close() {
      await runs.abortAll();
      connections.closeAll();
      await Promise.all([grpcServer.close(), adminServer.close(), http?.close()]);
      await store.appendAuditEvent({ actor: 'coordinator', kind: 'coordinator.stopped', subjectType: 'coordinator', subjectId: keyFingerprint(coordinatorKey.publicKey), detail: {} })
        .catch((err: unknown) => logger.error({ err }, 'could not log the shutdown'));
      await checkpointer.checkpoint().catch((err: unknown) => logger.error({ err }, 'audit log checkpoint at shutdown failed'));
      await store.close();
    },
  };
}
