// The coordinator's configuration, resolved in one place: command-line flags, then environment variables, then defaults (docs/configuration.md).
import { join, resolve } from 'node:path';

/** Every default of the coordinator and its operator commands. */
export const COORDINATOR_DEFAULTS = {
  /** Folder for the SQLite database, the operator token and the signing key (relative to the working folder). */
  dataDir: '.consort',
  /** The SQLite file inside dataDir when no database URL is given. */
  databaseFile: 'consort.db',
  /** Member listener (MemberService). */
  host: '127.0.0.1',
  port: 50051,
  /** Operator listener (AdminService): loopback only unless said otherwise. */
  adminHost: '127.0.0.1',
  adminPort: 50052,
  /** Where operator commands connect. */
  adminAddress: '127.0.0.1:50052',
  logLevel: 'info',
} as const;

/** The environment variables the coordinator reads, by setting. */
export const COORDINATOR_ENV = {
  databaseUrl: 'DATABASE_URL',
  adminToken: 'CONSORT_ADMIN_TOKEN',
  adminAddress: 'CONSORT_ADMIN_ADDRESS',
  tlsCert: 'CONSORT_TLS_CERT',
  tlsKey: 'CONSORT_TLS_KEY',
  tlsCa: 'CONSORT_TLS_CA',
  logLevel: 'CONSORT_LOG_LEVEL',
} as const;

type Env = Record<string, string | undefined>;

/** What the operator may set on `serve` (each field documented in docs/configuration.md). */
export interface CoordinatorSettingsInput {
  dataDir?: string;
  databaseUrl?: string;
  host?: string;
  port?: number;
  adminHost?: string;
  adminPort?: number;
  adminToken?: string;
  tls?: { certFile: string; keyFile: string };
  insecure?: boolean;
  logLevel?: string;
}

/** Every setting with its value decided. */
export interface CoordinatorSettings {
  /** Absolute path of the data folder. */
  dataDir: string;
  databaseUrl: string;
  host: string;
  port: number;
  adminHost: string;
  /** 0 (a free port) when `port` is 0 and no admin port was given: tests start many coordinators. */
  adminPort: number;
  /** Undefined: read or create `<dataDir>/admin-token`. */
  adminToken?: string;
  tls?: { certFile: string; keyFile: string };
  insecure: boolean;
  logLevel: string;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/**
 * The coordinator's database: the given URL, else DATABASE_URL, else the SQLite file in the data
 * folder. The one rule for every command that opens the store (serve, report, openStore).
 */
export function databaseUrlOf(given: { databaseUrl?: string; dataDir?: string } = {}, env: Env = process.env): string {
  return nonEmpty(given.databaseUrl) ?? nonEmpty(env[COORDINATOR_ENV.databaseUrl])
    ?? `file:${join(resolve(given.dataDir ?? COORDINATOR_DEFAULTS.dataDir), COORDINATOR_DEFAULTS.databaseFile)}`;
}

/** Where operator commands connect: --coordinator, else CONSORT_ADMIN_ADDRESS, else the default. */
export function adminAddressOf(given: string | undefined, env: Env = process.env): string {
  return nonEmpty(given) ?? nonEmpty(env[COORDINATOR_ENV.adminAddress]) ?? COORDINATOR_DEFAULTS.adminAddress;
}

/** Resolves the serve settings: flags (or options of startCoordinator) > environment > defaults. */
export function resolveCoordinatorSettings(input: CoordinatorSettingsInput = {}, env: Env = process.env): CoordinatorSettings {
  const d = COORDINATOR_DEFAULTS;
  const certFile = nonEmpty(env[COORDINATOR_ENV.tlsCert]);
  const keyFile = nonEmpty(env[COORDINATOR_ENV.tlsKey]);
  const port = input.port ?? d.port;
  const dataDir = resolve(input.dataDir ?? d.dataDir);
  return {
    dataDir,
    databaseUrl: databaseUrlOf({ databaseUrl: input.databaseUrl, dataDir }, env),
    host: input.host ?? d.host,
    port,
    adminHost: input.adminHost ?? d.adminHost,
    adminPort: input.adminPort ?? (port === 0 ? 0 : d.adminPort),
    adminToken: nonEmpty(input.adminToken) ?? nonEmpty(env[COORDINATOR_ENV.adminToken]),
    tls: input.tls ?? (certFile && keyFile ? { certFile, keyFile } : undefined),
    insecure: input.insecure ?? false,
    logLevel: nonEmpty(input.logLevel) ?? nonEmpty(env[COORDINATOR_ENV.logLevel]) ?? d.logLevel,
  };
}
