// The operator's connection to the coordinator's admin listener, shared by every operator command:
// address, token, TLS options, --json, and a client closed after the action.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConsortError, hostOfAddress, insecureTransportRefusal } from '@consort/core';
import { AdminClient } from './admin-client.ts';
import { COORDINATOR_DEFAULTS, COORDINATOR_ENV, adminAddressOf } from '../config/coordinator-config.ts';
import { HttpAdminClient } from './http-admin-client.ts';

/** Operator commands go to the admin listener (serve --admin-port), never to the member port. */
export const DEFAULT_ADMIN_ADDRESS = COORDINATOR_DEFAULTS.adminAddress;

/** Prints one JSON document (--json) or the text lines. */
export function output(json: boolean | undefined, doc: unknown, text: () => string[]): void {
  if (json) console.log(JSON.stringify(doc, null, 2));
  else for (const line of text()) console.log(line);
}

export interface Conn { coordinator: string; token?: string; dataDir: string; json?: boolean; tlsCa?: string; insecure?: boolean; api?: string }

/** What operator commands call: the gRPC admin client or the HTTP API client, alike. */
export type OperatorApi = Pick<AdminClient, 'createFederation' | 'createEnrollmentTokens' | 'createTask' | 'listMembers' | 'listFederations' | 'listTasks' | 'revokeMember' | 'listRounds' | 'close'>
  & { exportModel(taskId: string, version?: number, allowUnaudited?: boolean): Promise<{ bytes: Buffer }>; runRounds: HttpAdminClient['runRounds'] };

/** The HTTP API client for `--api <url>` (or CONSORT_API) with `--token` (or CONSORT_API_TOKEN). */
export function httpApi(o: Conn, url: string): HttpAdminClient {
  const token = o.token ?? process.env.CONSORT_API_TOKEN;
  if (!token) {
    throw new ConsortError('INVALID_ARGUMENT', `no API token for ${url}: pass --token or set CONSORT_API_TOKEN (an operator creates one with consort-coordinator api-token create --role operator --name <you>)`);
  }
  const tlsCa = o.tlsCa ?? (process.env.CONSORT_TLS_CA || undefined);
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    throw new ConsortError('INVALID_ARGUMENT', `--api "${url}" is not a URL; give the coordinator's HTTP API, e.g. http://127.0.0.1:8080`);
  }
  const refusal = insecureTransportRefusal({ action: `send the API token to ${url}`, host, tls: url.startsWith('https:'), insecure: o.insecure ?? false, tlsWay: 'an https:// URL (with --tls-ca <ca.pem> or CONSORT_TLS_CA for a private CA)' });
  if (refusal) throw new ConsortError(refusal.code, refusal.message);
  return new HttpAdminClient(url, token, tlsCa);
}

function admin(o: Conn): AdminClient {
  let token = o.token ?? (process.env[COORDINATOR_ENV.adminToken] || undefined);
  if (!token) {
    const file = join(resolve(o.dataDir), 'admin-token');
    if (!existsSync(file)) {
      throw new ConsortError('INVALID_ARGUMENT', `no operator token: ${file} does not exist; pass --token, set CONSORT_ADMIN_TOKEN, or --data-dir <the coordinator's data folder>`);
    }
    token = readFileSync(file, 'utf8').trim();
  }
  const tlsCa = o.tlsCa ?? (process.env[COORDINATOR_ENV.tlsCa] || undefined);
  const refusal = insecureTransportRefusal({ action: `send the operator token to ${o.coordinator}`, host: hostOfAddress(o.coordinator), tls: Boolean(tlsCa), insecure: o.insecure ?? false, tlsWay: '--tls-ca <ca.pem> (or CONSORT_TLS_CA)' });
  if (refusal) throw new ConsortError(refusal.code, refusal.message);
  return new AdminClient(o.coordinator, token, tlsCa);
}

/** An operator command: connection options, --json, and a client closed after the action. */
export function operatorOptions(command: Command): Command {
  return command
    .option('--coordinator <address>', 'the coordinator\'s operator address host:port (default: CONSORT_ADMIN_ADDRESS, else 127.0.0.1:50052)')
    .option('--api <url>', 'talk to the coordinator\'s HTTP API at this URL instead of its gRPC operator port (default: CONSORT_API)')
    .option('--token <token>', 'operator token (default: CONSORT_ADMIN_TOKEN or <data-dir>/admin-token); with --api, an API token (default: CONSORT_API_TOKEN)')
    .option('--data-dir <dir>', 'coordinator data folder (for the token file)', COORDINATOR_DEFAULTS.dataDir)
    .option('--tls-ca <pem>', 'CA certificate of the coordinator\'s TLS (default: CONSORT_TLS_CA)')
    .option('--insecure', 'allow plain TCP to an operator address beyond loopback')
    .option('--json', 'print one JSON document on stdout');
}

/** Runs `fn` with an operator client for `o` (address default: CONSORT_ADMIN_ADDRESS, else DEFAULT_ADMIN_ADDRESS), closed afterwards. */
export async function withAdmin<T>(o: Conn, fn: (a: OperatorApi) => Promise<T>): Promise<T> {
  const api = o.api ?? (process.env.CONSORT_API || undefined);
  const a: OperatorApi = api ? httpApi(o, api) : admin({ ...o, coordinator: adminAddressOf(o.coordinator) });
  try {
    return await fn(a);
  } finally {
    a.close();
  }
}
