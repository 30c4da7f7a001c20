#!/usr/bin/env -S npx tsx
// consort-agent: enroll this machine as a member and serve rounds on its own CSV.
import { Command } from 'commander';
import { describeError, keyFingerprint } from '@consort/core';
import { enrollMember } from '../agent/enroll.ts';
import { registerScoreCommand } from './score-command.ts';
import { registerValidateCommand } from './validate-command.ts';
import { registerPrepareCommand } from './prepare-command.ts';
import { registerSegmentCommand } from './segment-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerPullCommand } from './pull-command.ts';

const program = new Command().name('consort-agent').description('Consort member agent: your customer rows never leave this machine');

program.command('enroll')
  .description('create this member\'s identity key and enroll with a one-time token')
  .requiredOption('--coordinator <address>', 'coordinator host:port')
  .requiredOption('--token <token>', 'enrollment token from the operator')
  .requiredOption('--name <name>', 'your business name as the consortium sees it')
  .option('--identity <path>', 'where to keep the identity (private key, mode 600)', '.consort-member/identity.json')
  .action(async (o: { coordinator: string; token: string; name: string; identity: string }) => {
    const id = await enrollMember(o.coordinator, o.token, o.name, o.identity);
    console.log(`enrolled as member ${id.memberId} of federation ${id.federationId}; identity saved to ${o.identity}`);
    console.log(`pinned the coordinator's signing key ${keyFingerprint(id.coordinatorPublicKey!)}: compare it with the one your operator published (rounds not signed by it are refused)`);
  });

registerRunCommand(program);
registerValidateCommand(program);
registerPrepareCommand(program);
registerScoreCommand(program);
registerSegmentCommand(program);
registerPullCommand(program);

program.parseAsync().catch((err: unknown) => {
  const e = describeError(err);
  console.error(`${e.code}: ${e.message}`);
  process.exit(e.exitCode);
});
