// `audit` (operator): run the fairness audit round on a published version of a task, and the
// audit options of `run` (audit the new version right after training).
import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ConsortError, integerOption, modelVersionOption, parseAuditPolicyText } from '@consort/core';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import type { AuditRequest } from './admin-client.ts';
import { formatRoundLine } from '../reports/round-line.ts';
import { operatorOptions, output, withAdmin, type Conn } from './operator-client.ts';

export interface AuditFlags { auditPolicy?: string; intendedUse?: string; dataWindow?: string; mitigation?: string[] }

/** Adds the audit options to a command (run, audit). */
export function auditOptions(command: Command, policyFlag = '--audit-policy <file>'): Command {
  return command
    .option(policyFlag, 'fairness audit policy (YAML/JSON, docs/audits.md): the published version is audited and its signed report stored')
    .option('--intended-use <text>', 'what the model is for, stated in the audit report')
    .option('--data-window <text>', 'the period the members\' held-out rows cover, stated in the audit report')
    .option('--mitigation <plan...>', 'mitigation plans applied before this version (consort-audit mitigate), marked in the report');
}

/**
 * The audit part of a RunRounds request; the policy is validated here first (a bad policy costs no
 * round). Without a policy flag the declaration and mitigations still travel: they describe the
 * audit under the task's own policy (the coordinator refuses them for a task without one).
 */
export function auditRequestOf(o: AuditFlags): AuditRequest | undefined {
  if (!o.auditPolicy && o.intendedUse === undefined && o.dataWindow === undefined && !o.mitigation?.length) return undefined;
  const policy = o.auditPolicy ? readFileSync(o.auditPolicy, 'utf8') : undefined;
  if (policy !== undefined) parseAuditPolicyText(policy);
  const mitigations = (o.mitigation ?? []).map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConsortError('INVALID_ARGUMENT', `cannot read mitigation plan ${file} (${(err as Error).message}); pass the JSON file consort-audit mitigate wrote`, { file, option: '--mitigation' });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ConsortError('INVALID_ARGUMENT', `${file} is not a mitigation plan (JSON written by consort-audit mitigate)`, { file, option: '--mitigation' });
    }
  });
  return { policy, intendedUse: o.intendedUse, dataWindow: o.dataWindow, mitigations: mitigations.length ? mitigations : undefined };
}

/** Adds `audit` to the coordinator CLI. */
export function registerAuditCommand(program: Command): Command {
  return auditOptions(operatorOptions(program.command('audit')
    .description('run the fairness audit round on a published model version and store its signed report (consort-audit list/export/verify read it)')
    .requiredOption('--task <id>', 'task id')
    // --version as on export-model, evaluate and models; --model-version is its former name.
    .option('--version <n>', 'model version to audit; 0 = the latest published', modelVersionOption, 0)
    .addOption(new Option('--model-version <n>', 'former name of --version').argParser(integerOption('--model-version', 1, 1_000_000)).hideHelp())
    .option('--wait <seconds>', 'wait for enough members', integerOption('--wait', 1, 86_400), 60)), '--policy <file>')
    .action((o: Conn & AuditFlags & { policy?: string; task: string; version: number; modelVersion?: number; wait: number }) => {
      // Without --policy the task's own (audit.policy, pinned when it was created); the coordinator refuses a task without one.
      const audit = auditRequestOf({ ...o, auditPolicy: o.policy });
      return withAdmin(o, async (a) => {
        const reports: RoundReport__Output[] = await a.runRounds(o.task, 0, o.wait, (r) => { if (!o.json) console.log(formatRoundLine(r)); }, { audit, workflow: 'audit', modelVersion: o.version || o.modelVersion || 0 });
        const round = reports.at(-1);
        const ok = round?.state === 'published';
        output(o.json, { task: o.task, audited: ok, rounds: reports }, () => [ok
          ? `audit report stored for task ${o.task}; list it with consort-audit list --task ${o.task}, export it with consort-audit export --task ${o.task} --version <n> --out audit.json`
          : `the audit round did not complete (${round?.reason ?? 'no round ran'}); no report was stored`]);
        if (!ok) process.exitCode = 6;
      });
    });
}
