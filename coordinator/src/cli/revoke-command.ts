// `revoke-member`: the operator revokes a member; its requests are refused and its stream closed.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConsortError } from '@consort/core';
import { AdminClient } from './admin-client.ts';

interface RevokeFlags {
  member: string;
  json?: boolean;
  coordinator?: string;
  token?: string;
  dataDir: string;
}

function operatorToken(o: RevokeFlags): string {
  if (o.token) return o.token;
  if (process.env.CONSORT_ADMIN_TOKEN) return process.env.CONSORT_ADMIN_TOKEN;
  const file = join(resolve(o.dataDir), 'admin-token');
  if (!existsSync(file)) {
    throw new ConsortError('INVALID_ARGUMENT', `no operator token: ${file} does not exist; pass --token, set CONSORT_ADMIN_TOKEN, or --data-dir of the coordinator's folder`, { file });
  }
  return readFileSync(file, 'utf8').trim();
}

/** Adds `revoke-member` to the coordinator CLI. */
export function registerRevokeCommand(program: Command): Command {
  return program.command('revoke-member')
    .description('revoke a member: its requests are refused (MEMBER_REVOKED) and its open stream is closed')
    .requiredOption('--member <id>', 'member id (see `members --federation <id>`)')
    .option('--json', 'print one JSON document on stdout')
    .option('--coordinator <address>', 'coordinator host:port (default: CONSORT_COORDINATOR, else 127.0.0.1:50051)')
    .option('--token <token>', 'operator token (default: CONSORT_ADMIN_TOKEN or <data-dir>/admin-token)')
    .option('--data-dir <dir>', 'coordinator data folder (for the token file)', '.consort')
    .action(async (o: RevokeFlags) => {
      const admin = new AdminClient(o.coordinator ?? process.env.CONSORT_COORDINATOR ?? '127.0.0.1:50051', operatorToken(o));
      try {
        const r = await admin.revokeMember(o.member);
        const doc = { member: r.id, displayName: r.displayName, federation: r.federationId, revokedAt: r.revokedAt.toISOString(), wasConnected: r.wasConnected };
        console.log(o.json
          ? JSON.stringify(doc, null, 2)
          : `revoked member ${r.id} ("${r.displayName}") of federation ${r.federationId} at ${doc.revokedAt}${r.wasConnected ? '; its open connection was closed' : ''}`);
      } finally {
        admin.close();
      }
    });
}
