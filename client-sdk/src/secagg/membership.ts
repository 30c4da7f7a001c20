// What a member tells its operator about who takes part in each secure round: how many members,
// their pseudonyms, and a warning when members it never saw before joined (a coordinator minting
// members to surround this one becomes visible on the member's side).
import { createHash } from 'node:crypto';

/** A short stable pseudonym of a member: the first 12 hex digits of SHA-256 of its identity key. */
export function pseudonym(identityPublicKey: Uint8Array): string {
  return createHash('sha256').update(identityPublicKey).digest('hex').slice(0, 12);
}

export interface MembershipReport {
  /** One info line: the round's member count and every pseudonym. */
  info: string;
  /** Set when members never seen before joined after earlier rounds. */
  warning?: string;
}

/**
 * The report for one round's fixed member set. `fresh` are members pinned for the first time in
 * this round, `knownBefore` how many members this member had seen in earlier rounds (0: the
 * first round it serves, where everyone is new and nothing is worth a warning).
 */
export function membershipReport(roundName: string, members: ReadonlyMap<string, Uint8Array>, fresh: readonly string[], knownBefore: number): MembershipReport {
  const names = [...members.values()].map(pseudonym).sort();
  const info = `${roundName}: ${members.size} members committed to keys (pseudonyms ${names.join(', ')})`;
  if (knownBefore === 0 || fresh.length === 0) return { info };
  const joined = fresh.map((id) => pseudonym(members.get(id)!)).sort();
  return {
    info,
    warning: `${roundName}: ${fresh.length} member(s) not seen in earlier rounds joined (${joined.join(', ')}); this member has now seen ${knownBefore + fresh.length} members, ${knownBefore} before. ` +
      'If the federation did not recruit new businesses, ask the operator who they are: members the coordinator enrolls itself can surround a member in secure aggregation',
  };
}
