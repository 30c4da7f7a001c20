// The agent's transport options (--tls-ca, --insecure) and its fail-closed check.
import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ConsortError, hostOfAddress, insecureTransportRefusal } from '@consort/core';

export interface TransportFlags {
  tlsCa?: string;
  insecure?: boolean;
}

/** Adds --tls-ca and --insecure to a command that reaches the coordinator. */
export function transportOptions(command: Command): Command {
  return command
    .option('--tls-ca <pem>', 'CA certificate of the coordinator\'s TLS (default: CONSORT_TLS_CA); required beyond loopback')
    .option('--insecure', 'allow plain TCP to a coordinator beyond loopback (tokens and models travel in clear): trusted networks only');
}

/**
 * The coordinator's address: --coordinator, else CONSORT_COORDINATOR, else the address saved at
 * enrollment. Throws INVALID_ARGUMENT naming both ways in when there is none.
 */
export function coordinatorAddress(given: string | undefined, saved?: string): string {
  const address = given || process.env.CONSORT_COORDINATOR || saved;
  if (!address) throw new ConsortError('INVALID_ARGUMENT', 'no coordinator address: pass --coordinator host:port or set CONSORT_COORDINATOR', { option: '--coordinator' });
  return address;
}

/** Where enroll keeps the federation's CA beside the identity, so later commands need no --tls-ca. */
export function savedCaPath(identityPath: string): string {
  return join(dirname(identityPath), 'coordinator-ca.pem');
}

/** Keeps the CA enroll used beside the identity (owner-only). */
export function saveCa(tlsCa: string | undefined, identityPath: string): void {
  if (tlsCa) copyFileSync(tlsCa, savedCaPath(identityPath));
}

/**
 * The CA file to use: --tls-ca, else CONSORT_TLS_CA, else the one enroll saved beside the identity
 * (undefined: CONSORT_TLS / plain TCP on loopback). Throws INSECURE_TRANSPORT for a coordinator
 * beyond loopback without TLS, unless --insecure.
 */
export function resolveTransport(coordinator: string, o: TransportFlags, identityPath?: string): string | undefined {
  const saved = identityPath && existsSync(savedCaPath(identityPath)) ? savedCaPath(identityPath) : undefined;
  const tlsCa = o.tlsCa ?? (process.env.CONSORT_TLS_CA || undefined) ?? saved;
  const refusal = insecureTransportRefusal({
    action: `reach the coordinator at ${coordinator}`, host: hostOfAddress(coordinator),
    tls: Boolean(tlsCa) || process.env.CONSORT_TLS === '1', insecure: o.insecure ?? false,
    tlsWay: '--tls-ca <the federation\'s ca.pem> (or CONSORT_TLS_CA)',
  });
  if (refusal) throw new ConsortError(refusal.code, refusal.message, { coordinator });
  return tlsCa;
}
