// CLI command `run`: the member agent as a long-running process that survives coordinator restarts.
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { ConsortError, EXIT_CODES, describeError, formatError } from '@consort/core';
import { MemberAgent, type AgentLogger } from '../agent/agent.ts';
import { loadIdentity } from '../identity/member-identity.ts';
import { checkAuditFloors } from '../audit/audit-guard.ts';
import { defaultModelsDir } from '../agent/model-archive.ts';
import { coordinatorAddress, resolveTransport, transportOptions, type TransportFlags } from './transport-options.ts';

interface RunFlags extends TransportFlags {
  data: string;
  identity: string;
  coordinator?: string;
  giveUpAfter: string;
  allowPlain?: boolean;
  minMembers: string;
  auditMinCell: string;
  auditMinMembers: string;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "24h", "2d", "1h30m" or a number of seconds; "0" = never. Throws INVALID_ARGUMENT naming the option. */
export function parseDuration(value: string, option: string): number {
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new ConsortError('INVALID_ARGUMENT', `${option} must be a duration such as 90s, 30m, 24h or 0 for never (got "${value}")`, { option });
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]], 0);
}

/** One text line per event on stdout: "<ISO time> <level> <message>" (no JSON on this stream). */
export function textLogger(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): AgentLogger {
  const line = (level: string) => (msg: string) => write(`${new Date().toISOString()} ${level.padEnd(5)} ${msg}`);
  return { info: line('info'), warn: line('warn') };
}

export function registerRunCommand(program: Command): void {
  transportOptions(program.command('run')
    .description('connect to the coordinator and take part in rounds with your CSV; reconnects by itself until stopped')
    .requiredOption('--data <csv>', 'your customer-level CSV, with the federation\'s column names')
    .option('--identity <path>', 'identity file written by enroll', '.consort-member/identity.json')
    .option('--coordinator <address>', 'coordinator host:port (default: CONSORT_COORDINATOR, else the address saved at enrollment)')
    .option('--give-up-after <duration>', 'exit (code 4) after this long without reaching the coordinator, e.g. 30m or 24h; 0 = never', '24h')
    .option('--allow-plain', 'also serve plain-aggregation rounds, where the coordinator sees your update in clear (debugging only)')
    .option('--min-members <n>', 'refuse secure rounds whose minimum members per round is below this (at least 3)', '3')
    .option('--audit-min-cell <n>', 'refuse audit rounds whose policy releases cells of fewer rows than this (at least 10)', '10')
    .option('--audit-min-members <n>', 'refuse audit rounds whose policy releases cells served by fewer members than this (at least 3)', '5'))
    .action(async (o: RunFlags) => {
      const log = textLogger();
      let agent: MemberAgent | undefined;
      // A failure is one "CODE: message" line on stderr and the documented exit code (docs/errors.md).
      const exitOn = (err: unknown): never => {
        agent?.stop();
        console.error(formatError(err));
        process.exit(describeError(err).exitCode);
      };
      try {
        const giveUpAfterMs = parseDuration(o.giveUpAfter, '--give-up-after');
        const auditFloors = { minCellCount: Number(o.auditMinCell), minMembers: Number(o.auditMinMembers) };
        checkAuditFloors(auditFloors);
        const identity = loadIdentity(o.identity);
        const coordinator = coordinatorAddress(o.coordinator, identity.coordinator);
        const tlsCaFile = resolveTransport(coordinator, o, o.identity);
        const minMembersFloor = Number(o.minMembers);
        if (!Number.isInteger(minMembersFloor) || minMembersFloor < 3) {
          throw new ConsortError('INVALID_ARGUMENT', `--min-members must be a whole number of at least 3 (got "${o.minMembers}")`, { option: '--min-members' });
        }
        const running = new MemberAgent({
          coordinator, identity, dataFile: o.data, logger: log, giveUpAfterMs, tlsCaFile,
          // Pinned tasks and peers' identity keys live beside the identity, so they outlast restarts.
          dataDir: dirname(o.identity), allowPlain: o.allowPlain ?? false, minMembersFloor, modelsDir: defaultModelsDir(o.identity),
          auditFloors,
        });
        agent = running;
        // Ctrl-C is an interruption (130); SIGTERM is a supervisor's ordinary stop (0).
        const stopOn = (signal: NodeJS.Signals, code: number) => process.once(signal, () => {
          log.info(`stopping (${signal})`);
          running.stop();
          process.exit(code);
        });
        stopOn('SIGINT', EXIT_CODES.cancelled);
        stopOn('SIGTERM', EXIT_CODES.ok);
        log.info(`member ${identity.memberId} starting with ${o.data}; coordinator ${coordinator}`);
        await running.start();
        await running.done();
      } catch (err) {
        exitOn(err);
      }
    });
}
