#!/usr/bin/env -S npx tsx
// consort-agent: enroll this machine as a member and serve rounds on its own CSV.
import { dirname } from 'node:path';
import { Command } from 'commander';
import { describeError, keyFingerprint } from '@consort/core';
import { enrollMember } from '../agent/enroll.ts';
import { MemberAgent } from '../agent/agent.ts';
import { loadIdentity } from '../identity/member-identity.ts';
import { registerScoreCommand } from './score-command.ts';
import { registerValidateCommand } from './validate-command.ts';
import { registerPrepareCommand } from './prepare-command.ts';
import { registerSegmentCommand } from './segment-command.ts';
import { registerPullCommand } from './pull-command.ts';
import { defaultModelsDir } from '../agent/model-archive.ts';

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

program.command('run')
  .description('connect to the coordinator and take part in rounds with your CSV')
  .requiredOption('--data <csv>', 'your customer-level CSV, with the federation\'s column names')
  .option('--identity <path>', 'identity file written by enroll', '.consort-member/identity.json')
  .option('--coordinator <address>', 'override the coordinator address saved at enrollment')
  .option('--allow-plain', 'also serve plain-aggregation rounds, where the coordinator sees your update in clear (debugging only)')
  .option('--min-members <n>', 'refuse secure rounds whose minimum members per round is below this (at least 3)', '3')
  .action(async (o: { data: string; identity: string; coordinator?: string; allowPlain?: boolean; minMembers: string }) => {
    const identity = loadIdentity(o.identity);
    const coordinator = o.coordinator ?? identity.coordinator;
    if (!coordinator) throw new Error('no coordinator address: pass --coordinator');
    const log = (level: string) => (msg: string) => console.log(`[${new Date().toISOString()}] ${level} ${msg}`);
    const agent = new MemberAgent({
      coordinator, identity, dataFile: o.data, modelsDir: defaultModelsDir(o.identity),
      // Pinned tasks and peers' identity keys live beside the identity, so they outlast restarts.
      dataDir: dirname(o.identity), allowPlain: o.allowPlain ?? false, minMembersFloor: Number(o.minMembers),
      logger: { info: log('info'), warn: log('warn') },
      onRoundClosed: (c) => console.log(`round ${c.roundId} ${c.outcome}${c.reason ? `: ${c.reason}` : ''}`),
    });
    await agent.start();
    console.log(`member ${identity.memberId} connected to ${coordinator}; waiting for rounds (Ctrl-C to stop)`);
    process.on('SIGINT', () => { agent.stop(); process.exit(0); });
  });

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
