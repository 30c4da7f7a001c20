#!/usr/bin/env -S npx tsx
// consort-agent: enroll this machine as a member and serve rounds on its own CSV.
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { ConsortError, commandFailure, keyFingerprint } from '@consort/core';
import { enrollMember } from '../agent/enroll.ts';
import { registerScoreCommand } from './score-command.ts';
import { registerValidateCommand } from './validate-command.ts';
import { registerPrepareCommand } from './prepare-command.ts';
import { registerSegmentCommand } from './segment-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerPullCommand } from './pull-command.ts';
import { coordinatorAddress, resolveTransport, saveCa, transportOptions, type TransportFlags } from './transport-options.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const program = new Command().name('consort-agent').description('Consort member agent: your customer rows never leave this machine')
  .version(VERSION)
  // The program's own options only before the command name: otherwise the program's --version
  // swallows a command's `--version <n>` (pull-model, export-model, models) and prints 0.1.0.
  .enablePositionalOptions()
  // Usage errors are printed once, as `INVALID_ARGUMENT: …`, by the handler at the end (exit 2).
  .exitOverride().configureOutput({ outputError: () => undefined });

transportOptions(program.command('enroll')
  .description('create this member\'s identity key and enroll with a one-time token')
  .option('--coordinator <address>', 'coordinator host:port (default: CONSORT_COORDINATOR)')
  .requiredOption('--token <token>', 'enrollment token from the operator')
  .requiredOption('--name <name>', 'your business name as the consortium sees it')
  .option('--identity <path>', 'where to keep the identity (private key, mode 600)', '.consort-member/identity.json')
  .option('--force', 'replace an existing identity (its member can no longer take part)')
  .option('--json', 'print one JSON document on stdout'))
  .action(async (o: TransportFlags & { coordinator?: string; token: string; name: string; identity: string; force?: boolean; json?: boolean }) => {
    const coordinator = coordinatorAddress(o.coordinator);
    // Checked before the coordinator is called: a refused enroll must not spend the token.
    const tlsCa = resolveTransport(coordinator, o);
    if (existsSync(o.identity) && !o.force) {
      throw new ConsortError('IDENTITY_EXISTS', `a member identity already exists at ${o.identity}; this machine is enrolled already. Pass --force to replace it (the old member loses its key) or --identity <another path> for a second member`);
    }
    const id = await enrollMember(coordinator, o.token, o.name, o.identity, tlsCa);
    saveCa(tlsCa, o.identity);
    if (o.json) console.log(JSON.stringify({ memberId: id.memberId, federationId: id.federationId, coordinator, identity: o.identity, coordinatorKey: keyFingerprint(id.coordinatorPublicKey!) }, null, 2));
    else {
      console.log(`enrolled as member ${id.memberId} of federation ${id.federationId}; identity saved to ${o.identity}`);
      console.log(`pinned the coordinator's signing key ${keyFingerprint(id.coordinatorPublicKey!)}: compare it with the one your operator published (rounds not signed by it are refused)`);
    }
  });

registerRunCommand(program);
registerValidateCommand(program);
registerPrepareCommand(program);
registerScoreCommand(program);
registerSegmentCommand(program);
registerPullCommand(program);

program.parseAsync().catch((err: unknown) => {
  const f = commandFailure(err, { json: process.argv.includes('--json') });
  if (f.stdout) console.log(f.stdout);
  if (f.stderr) console.error(f.stderr);
  process.exit(f.exitCode);
});
