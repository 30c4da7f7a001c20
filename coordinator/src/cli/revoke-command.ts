// `revoke-member`: the operator revokes a member; its requests are refused and its stream closed.
import type { Command } from 'commander';
import { operatorOptions, output, withAdmin, type Conn } from './operator-client.ts';

/** Adds `revoke-member` to the coordinator CLI. */
export function registerRevokeCommand(program: Command): Command {
  return operatorOptions(program.command('revoke-member')
    .description('revoke a member: its requests are refused (MEMBER_REVOKED) and its open stream is closed')
    .requiredOption('--member <id>', 'member id (see `members --federation <id>`)'))
    .action((o: Conn & { member: string }) => withAdmin(o, async (admin) => {
      const r = await admin.revokeMember(o.member);
      const doc = { member: r.id, displayName: r.displayName, federation: r.federationId, revokedAt: r.revokedAt.toISOString(), wasConnected: r.wasConnected };
      output(o.json, doc, () => [`revoked member ${r.id} ("${r.displayName}") of federation ${r.federationId} at ${doc.revokedAt}${r.wasConnected ? '; its open connection was closed' : ''}`]);
    }));
}
