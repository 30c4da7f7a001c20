// Operator revocation of a member: stored, the cached identity dropped, the open stream closed.
import { ConsortError } from '@consort/core';
import type { Logger } from 'pino';
import type { MemberRecord, Store } from '../store/store.ts';
import type { MemberConnections } from './connections.ts';
import { forgetMember } from './member-auth.ts';

export interface RevocationDeps {
  store: Store;
  connections: MemberConnections<unknown>;
  logger: Logger;
}

/**
 * Revokes `memberId`: its next request is refused with MEMBER_REVOKED and its event stream, if
 * open, ends with that status. A round it is serving sees it as dropped. Idempotent: revoking
 * again keeps the first revocation time and is audited once more.
 */
export async function revokeMember(deps: RevocationDeps, memberId: string, now = new Date()): Promise<{ member: MemberRecord; wasConnected: boolean }> {
  if (!memberId.trim()) throw new ConsortError('INVALID_ARGUMENT', 'member_id must not be empty; list members with `consort-coordinator members --federation <id>`');
  const member = await deps.store.revokeMember(memberId, now);
  // The store first, then the cache: a request racing in between reads the revoked record.
  forgetMember(deps.store, memberId);
  const reason = new ConsortError('MEMBER_REVOKED', `member "${member.id}" (${member.displayName}) was revoked by the operator; ask the operator for a new enrollment token and enroll a new identity`, { memberId: member.id });
  const wasConnected = deps.connections.disconnect(memberId, reason);
  await deps.store.appendAuditEvent({ actor: 'operator', kind: 'member.revoked', subjectType: 'member', subjectId: member.id, detail: { revokedAt: member.revokedAt!.toISOString(), wasConnected } });
  deps.logger.warn({ member: member.id, wasConnected }, 'member revoked by the operator');
  return { member, wasConnected };
}
