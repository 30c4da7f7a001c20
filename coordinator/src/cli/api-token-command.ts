// `api-token create|list|revoke`: accounts of the HTTP API, managed on the coordinator's machine
// (the database directly, so the first operator account needs no token).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConsortError } from '@consort/core';
import { openStore, sqlitePathOf } from '../store/open-store.ts';
import type { ApiRole, Store } from '../store/store.ts';
import { API_ROLES, issueApiToken, parseLifetime, publicAccount, revokeApiToken } from '../accounts/api-tokens.ts';
import { output } from './operator-client.ts';

interface DbOptions { dataDir: string; databaseUrl?: string; json?: boolean }

/** Opens the coordinator's database (refusing to create an empty SQLite file) for `fn`. */
export async function withDatabase<T>(o: DbOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const url = o.databaseUrl ?? process.env.DATABASE_URL ?? `file:${join(resolve(o.dataDir), 'consort.db')}`;
  if (url.startsWith('file:') && !existsSync(sqlitePathOf(url))) {
    throw new ConsortError('NOT_FOUND', `no coordinator database at ${sqlitePathOf(url)}; run this in the folder where serve ran, or pass --data-dir / --database-url`);
  }
  const store = await openStore(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const dbOptions = (c: Command): Command => c
  .option('--data-dir <dir>', 'coordinator data folder (SQLite default)', '.consort')
  .option('--database-url <url>', 'file:… or postgresql://… (default: DATABASE_URL, else SQLite in --data-dir)')
  .option('--json', 'print one JSON document on stdout');

/** Adds `api-token` (create, list, revoke) to the coordinator CLI. */
export function registerApiTokenCommand(program: Command): Command {
  const group = program.command('api-token').description('accounts of the HTTP API: a token per person with a role (operator, auditor, member-contact)');

  dbOptions(group.command('create')
    .description('create an account; its token is printed once (the coordinator keeps only its SHA-256)')
    .requiredOption('--name <name>', 'who the token is for (shown as the actor in the log)')
    .requiredOption('--role <role>', `one of ${API_ROLES.join(', ')}`)
    .option('--member <id>', 'member-contact only: the member it speaks for')
    .option('--expires <lifetime>', 'lifetime, e.g. 30d, 12h, 2w (default: no expiry)'))
    .action((o: DbOptions & { name: string; role: string; member?: string; expires?: string }) => {
      const lifetimeMs = o.expires ? parseLifetime(o.expires) : undefined;
      return withDatabase(o, async (store) => {
        const { token, account } = await issueApiToken(store, { name: o.name, role: o.role as ApiRole, memberId: o.member, lifetimeMs, issuedBy: 'cli' });
        output(o.json, { token, account: publicAccount(account) }, () => [
          token,
          `API token ${account.id} for ${account.name} (${account.role}${account.memberId ? ` of member ${account.memberId}` : ''}), ${account.expiresAt ? `expires ${account.expiresAt.toISOString()}` : 'no expiry'}`,
          'give it to them privately: it is shown only now; they pass it with --token or CONSORT_API_TOKEN',
        ]);
      });
    });

  dbOptions(group.command('list').description('list accounts (never their tokens)'))
    .action((o: DbOptions) => withDatabase(o, async (store) => {
      const accounts = (await store.listApiTokens()).map(publicAccount);
      output(o.json, { accounts }, () => (accounts.length === 0
        ? ['no API accounts yet: consort-coordinator api-token create --role operator --name <you>']
        : accounts.map((a) => `${a.id}  ${a.role.padEnd(14)}  ${a.revokedAt ? 'revoked' : a.expiresAt && Date.parse(a.expiresAt) <= Date.now() ? 'expired' : 'active '}  ${a.name}${a.memberId ? ` (member ${a.memberId})` : ''}${a.expiresAt ? `  expires ${a.expiresAt}` : ''}`)));
    }));

  dbOptions(group.command('revoke').description('revoke an account: its token is refused from now on')
    .requiredOption('--id <id>', 'account id (see api-token list)'))
    .action((o: DbOptions & { id: string }) => withDatabase(o, async (store) => {
      const a = publicAccount(await revokeApiToken(store, o.id, 'cli'));
      output(o.json, a, () => [`revoked API token ${a.id} of ${a.name} (${a.role}) at ${a.revokedAt}`]);
    }));
  return group;
}
