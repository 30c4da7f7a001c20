// API tokens: accounts of the HTTP API (a person, a role, an expiry), issued and checked here.
import { createHash, randomBytes } from 'node:crypto';
import { ConsortError } from '@consort/core';
import type { ApiRole, ApiTokenRecord, Store } from '../store/store.ts';

/** Every role an API account can have. */
export const API_ROLES: readonly ApiRole[] = ['operator', 'auditor', 'member-contact'];

/** Prefix of every API token, so a leaked one is recognisable (and greppable in logs or repositories). */
export const API_TOKEN_PREFIX = 'cst_';

/** SHA-256 hex of a token: the only form the store ever holds. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "30d", "12h", "90m", "3600s", "2w" -> milliseconds; INVALID_ARGUMENT otherwise. */
export function parseLifetime(text: string): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) {
    throw new ConsortError('INVALID_ARGUMENT', `--expires "${text}" is not a lifetime: write a whole number and a unit, e.g. 30d, 12h, 90m, 2w`);
  }
  return Number(m[1]) * UNITS[m[2]];
}

export interface IssueApiTokenOptions {
  /** Who the token is for (a person's name, shown in the log as the actor). */
  name: string;
  role: ApiRole;
  /** Required for member-contact: the member it speaks for. */
  memberId?: string;
  /** Lifetime in ms; absent = no expiry. */
  lifetimeMs?: number;
  /** Who issues it (recorded in the audit log). */
  issuedBy: string;
  now?: Date;
}

/** Creates an account; returns the token (shown once, never stored) and its record. */
export async function issueApiToken(store: Store, o: IssueApiTokenOptions): Promise<{ token: string; account: ApiTokenRecord }> {
  if (!o.name.trim()) throw new ConsortError('INVALID_ARGUMENT', 'an API token needs the name of the person it is for (--name)');
  if (!API_ROLES.includes(o.role)) {
    throw new ConsortError('INVALID_ARGUMENT', `unknown role "${o.role}": use one of ${API_ROLES.join(', ')}`);
  }
  if (o.role === 'member-contact') {
    if (!o.memberId) throw new ConsortError('INVALID_ARGUMENT', 'a member-contact token needs the member it speaks for (--member <id>)');
    if (!(await store.getMember(o.memberId))) throw new ConsortError('NOT_FOUND', `member ${o.memberId} does not exist; list members with consort-coordinator members --federation <id>`);
  } else if (o.memberId) {
    throw new ConsortError('INVALID_ARGUMENT', `--member only applies to the member-contact role, not ${o.role}`);
  }
  const now = o.now ?? new Date();
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const account = await store.createApiToken({
    name: o.name.trim(), role: o.role, memberId: o.memberId, tokenHash: hashApiToken(token),
    expiresAt: o.lifetimeMs === undefined ? undefined : new Date(now.getTime() + o.lifetimeMs),
  });
  await store.appendAuditEvent({
    actor: o.issuedBy, kind: 'api-token.created', subjectType: 'api-token', subjectId: account.id,
    detail: { name: account.name, role: account.role, memberId: account.memberId ?? null, expiresAt: account.expiresAt?.toISOString() ?? null },
  });
  return { token, account };
}

/** Revokes an account (idempotent) and records who did it. */
export async function revokeApiToken(store: Store, id: string, revokedBy: string, now = new Date()): Promise<ApiTokenRecord> {
  const account = await store.revokeApiToken(id, now);
  await store.appendAuditEvent({ actor: revokedBy, kind: 'api-token.revoked', subjectType: 'api-token', subjectId: id, detail: { name: account.name, role: account.role } });
  return account;
}

/** The account a presented token belongs to; API_TOKEN_INVALID (saying why) when there is none usable. */
export async function authenticateApiToken(store: Store, token: string | undefined, now = new Date()): Promise<ApiTokenRecord> {
  if (!token) {
    throw new ConsortError('API_TOKEN_INVALID', 'no API token was given: send "Authorization: Bearer <token>" (CLI: --token or CONSORT_API_TOKEN); an operator creates tokens with consort-coordinator api-token create');
  }
  const account = await store.findApiTokenByHash(hashApiToken(token));
  if (!account) throw new ConsortError('API_TOKEN_INVALID', 'the API token is not one this coordinator issued; check you copied it whole, or ask the operator for a new one');
  if (account.revokedAt) throw new ConsortError('API_TOKEN_INVALID', `the API token of ${account.name} was revoked on ${account.revokedAt.toISOString()}; ask the operator for a new one`, { tokenId: account.id });
  if (account.expiresAt && account.expiresAt.getTime() <= now.getTime()) {
    throw new ConsortError('API_TOKEN_INVALID', `the API token of ${account.name} expired on ${account.expiresAt.toISOString()}; ask the operator for a new one`, { tokenId: account.id });
  }
  return account;
}

/** How an account appears in the log and in listings ("auditor:alice"). */
export function actorOf(account: Pick<ApiTokenRecord, 'role' | 'name'>): string {
  return `${account.role}:${account.name}`;
}

/** An account as shown to people and scripts: never its hash. */
export function publicAccount(a: ApiTokenRecord) {
  return {
    id: a.id, name: a.name, role: a.role, memberId: a.memberId ?? null, createdAt: a.createdAt.toISOString(),
    expiresAt: a.expiresAt?.toISOString() ?? null, revokedAt: a.revokedAt?.toISOString() ?? null,
  };
}
