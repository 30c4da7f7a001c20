#!/usr/bin/env -S npx tsx
// consort-audit: the auditor's commands. verify and show need only the report file (offline);
// list and export read the coordinator's database (read-only) to hand reports out.
import { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConsortError, commandFailure, formatError, modelVersionOption, parseAuditPolicyText, policyHash, type GroupThresholdPlan, type ReweighingPlan } from '@consort/core';
import { openStore, sqlitePathOf } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { auditReportFileText } from '../audit/audit-report.ts';
import { renderAuditHtml, type AuditPageVerification } from '../audit/audit-html.ts';
import { coreAuditMath } from '../audit/audit-math.ts';
import { signedReportOf } from '../audit/produce-audit-report.ts';
import { planMitigation } from '../audit/mitigation-plan.ts';
import { parseAuditReportFile, verifyAuditReport, type VerifiedAuditReport } from '../audit/verify-audit-report.ts';
import { COORDINATOR_KEY_FILE } from '../signing/coordinator-key.ts';
import { output } from './operator-client.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const program = new Command().name('consort-audit').description('Verify, show and list Consort fairness audit reports')
  .version(VERSION)
  // Program options only before the command: `export --version 3` is the command's.
  .enablePositionalOptions()
  .exitOverride().configureOutput({ outputError: () => undefined });

/** A trusted coordinator key from --public-key: base64 of 32 bytes, or a coordinator-key.json / file holding it. */
function trustedKey(arg: string | undefined): Uint8Array | undefined {
  if (!arg) return undefined;
  let text = arg;
  if (existsSync(arg)) {
    const raw = readFileSync(arg, 'utf8').trim();
    try {
      const json = JSON.parse(raw) as { publicKey?: unknown };
      text = typeof json.publicKey === 'string' ? json.publicKey : raw;
    } catch {
      text = raw;
    }
  }
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? new Uint8Array(Buffer.from(text, 'base64')) : new Uint8Array();
  if (key.length !== 32) {
    throw new ConsortError('INVALID_ARGUMENT', `--public-key must be the coordinator's Ed25519 public key (base64 of 32 bytes, or a file holding it such as ${COORDINATOR_KEY_FILE}); got ${JSON.stringify(arg)}`);
  }
  return key;
}

interface VerifyFlags { publicKey?: string; policy?: string; policyHash?: string; json?: boolean }

function expectedPolicyHash(o: VerifyFlags): string | undefined {
  if (o.policy && o.policyHash) throw new ConsortError('INVALID_ARGUMENT', 'give --policy or --policy-hash, not both');
  if (o.policy) return policyHash(parseAuditPolicyText(readFileSync(o.policy, 'utf8')));
  if (o.policyHash && !/^[0-9a-fA-F]{64}$/.test(o.policyHash)) throw new ConsortError('INVALID_ARGUMENT', '--policy-hash must be 64 hex digits (SHA-256)');
  return o.policyHash;
}

function verifyFile(file: string, o: VerifyFlags): VerifiedAuditReport {
  const signed = parseAuditReportFile(readFileSync(file, 'utf8'), file);
  return verifyAuditReport(signed, coreAuditMath, { trustedPublicKey: trustedKey(o.publicKey), expectedPolicyHash: expectedPolicyHash(o) });
}

const verifyOptions = (c: Command): Command => c
  .option('--public-key <key>', 'the coordinator key you trust: base64, or a file holding it (default: the key inside the report; compare its fingerprint with the one the operator published)')
  .option('--policy <file>', 'the audit policy you agreed to: a report made under any other policy is refused')
  .option('--policy-hash <sha256>', 'the same as --policy, by its SHA-256');

verifyOptions(program.command('verify <report>')
  .description('check the signature and recompute every metric from the released aggregates, bit for bit (offline)'))
  .option('--json', 'print one JSON document on stdout')
  .action((file: string, o: VerifyFlags) => {
    const v = verifyFile(file, o);
    output(o.json, { ok: true, file: resolve(file), ...v }, () => [
      `verified ${file}: signature by coordinator key ${v.publicKeyFingerprint}`,
      `  policy ${v.policyHash}`,
      `  ${v.recomputedValues} values recomputed from the released aggregates: all equal, bit for bit`,
      `  ${v.privacy}`,
      `  model version ${v.modelVersionId}, report sha256 ${v.reportSha256}`,
    ]);
  });

verifyOptions(program.command('show <report>')
  .description('write the report\'s HTML page (verifies it first; the page says whether it verified)'))
  .option('--out <file>', 'HTML file to write (default: the report file name with .html)')
  .option('--json', 'print one JSON document on stdout')
  .action((file: string, o: VerifyFlags & { out?: string }) => {
    const signed = parseAuditReportFile(readFileSync(file, 'utf8'), file);
    let verification: AuditPageVerification;
    let failure: unknown;
    try {
      const v = verifyFile(file, o);
      verification = { ok: true, detail: `signature by coordinator key ${v.publicKeyFingerprint}; ${v.recomputedValues} values recomputed from the aggregates, all equal` };
    } catch (err) {
      failure = err;
      verification = { ok: false, detail: formatError(err) };
    }
    const out = o.out ?? `${file.replace(/\.json$/i, '')}.html`;
    writeFileSync(out, renderAuditHtml(signed, verification));
    // The page is written either way (it says why verification failed), but then the command fails.
    if (failure !== undefined) {
      if (!o.json) console.log(`audit page written to ${out}; it is marked NOT verified`);
      throw failure;
    }
    output(o.json, { file: resolve(out), verified: true, detail: verification.detail }, () => [
      `audit page written to ${out} (open it in a browser; it makes no network request)`,
      `  verified: ${verification.detail}`,
    ]);
  });

verifyOptions(program.command('mitigate <report>')
  .description('plan a mitigation from a verified report\'s released aggregates: per-group thresholds or reweighing (pass the plan to the next audit with --mitigation)'))
  .requiredOption('--grouping <id>', 'grouping of the report to mitigate, e.g. gender')
  .option('--reweighing', 'reweighing weights by group and label, instead of per-group thresholds')
  .option('--metric <name>', 'per-group thresholds equalize "tpr" (equal opportunity) or "selectionRate" (demographic parity)', 'tpr')
  .requiredOption('--out <file>', 'where to write the plan (JSON)')
  .option('--json', 'print one JSON document on stdout')
  .action((file: string, o: VerifyFlags & { grouping: string; reweighing?: boolean; metric: string; out: string }) => {
    if (o.metric !== 'tpr' && o.metric !== 'selectionRate') throw new ConsortError('INVALID_ARGUMENT', `--metric must be tpr or selectionRate, got ${JSON.stringify(o.metric)}`);
    // A plan from numbers nobody checked is worthless: the report is verified first.
    verifyFile(file, o);
    const signed = parseAuditReportFile(readFileSync(file, 'utf8'), file);
    const record = planMitigation(signed, { grouping: o.grouping, kind: o.reweighing ? 'reweighing' : 'thresholds', metric: o.metric });
    writeFileSync(o.out, `${JSON.stringify(record, null, 2)}\n`);
    output(o.json, record, () => [`${record.kind} plan for grouping ${record.grouping} written to ${o.out}`, ...tradeOffLines(record.plan), `  caveat: ${record.caveat}`]);
  });

/** The plan's trade-offs in a few terminal lines (the JSON carries the full plan). */
function tradeOffLines(plan: unknown): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const p = plan as Partial<GroupThresholdPlan & ReweighingPlan>;
  if (p.overall && p.groups && p.target) {
    const o = p.overall;
    return [
      `  ${p.target.metric} spread across groups ${o.spreadBefore.toFixed(3)} → ${o.spreadAfter.toFixed(3)} (target ${p.target.value.toFixed(3)}); accuracy ${pct(o.accuracyBefore)} → ${pct(o.accuracyAfter)}; selected ${pct(o.selectionRateBefore)} → ${pct(o.selectionRateAfter)} (on the report's rows)`,
      `  thresholds: ${p.groups.map((g) => `${g.key.join(' × ')} ${g.threshold}`).join(', ')}`,
    ];
  }
  if (typeof p.effectiveRows === 'number' && typeof p.rows === 'number' && typeof p.maxWeight === 'number') {
    return [`  effective sample size ${Math.round(p.effectiveRows)} of ${p.rows} rows; largest weight ${p.maxWeight.toFixed(2)}`];
  }
  return [];
}

interface DbFlags { dataDir: string; databaseUrl?: string; json?: boolean }
const dbOptions = (c: Command): Command => c
  .option('--data-dir <dir>', 'coordinator data folder (SQLite default)', '.consort')
  .option('--database-url <url>', 'file:… or postgresql://… (default: DATABASE_URL, else SQLite in --data-dir)')
  .option('--json', 'print one JSON document on stdout');

async function withStore<T>(o: DbFlags, fn: (store: Store) => Promise<T>): Promise<T> {
  const url = o.databaseUrl ?? process.env.DATABASE_URL ?? `file:${join(resolve(o.dataDir), 'consort.db')}`;
  if (url.startsWith('file:') && !existsSync(sqlitePathOf(url))) {
    throw new ConsortError('NOT_FOUND', `no coordinator database at ${sqlitePathOf(url)}; run in the folder where the coordinator runs, or pass --data-dir / --database-url`);
  }
  const store = await openStore(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

dbOptions(program.command('list')
  .description('list a task\'s model versions with their audit reports: a version without one is not released (reads the coordinator database)')
  .requiredOption('--task <id>', 'task id'))
  .action((o: DbFlags & { task: string }) => withStore(o, async (store) => {
    const reports = new Map((await store.listAuditReports(o.task)).map((r) => [r.modelVersionId, r]));
    // Version 0 is the task's seeded initial model: never published, never audited.
    const versions = (await store.listModelVersions(o.task)).filter((v) => v.version > 0);
    const rows = versions.map((v) => ({ modelVersionId: v.id, version: v.version, released: reports.has(v.id), report: reports.get(v.id) ?? null }));
    output(o.json, { task: o.task, versions: rows }, () => (rows.length === 0
      ? [`task ${o.task} has no trained model version yet`]
      : rows.map((r) => (r.report
        ? `v${r.version}  ${r.modelVersionId}  audited: ${r.report.verdict.padEnd(12)}  policy ${r.report.policyHash.slice(0, 12)}  report ${r.report.id}  ${r.report.createdAt.toISOString()}`
        : `v${r.version}  ${r.modelVersionId}  NOT AUDITED: not released until its audit round has run`))));
  }));

/** The model version `export` writes the report of: --model-version <id>, or --task with --version (0 = the latest audited). */
async function exportedVersionId(store: Store, o: { task?: string; version: number; modelVersion?: string }): Promise<string> {
  if (o.modelVersion && o.task) throw new ConsortError('INVALID_ARGUMENT', 'give either --model-version <id> or --task <id> [--version <n>], not both', { option: '--model-version' });
  if (o.modelVersion) return o.modelVersion;
  if (!o.task) throw new ConsortError('INVALID_ARGUMENT', 'say which version: --task <id> [--version <n>] (consort-audit list --task <id> shows them) or --model-version <id>', { option: '--task' });
  const audited = new Set((await store.listAuditReports(o.task)).map((r) => r.modelVersionId));
  const versions = (await store.listModelVersions(o.task)).filter((v) => v.version > 0);
  if (o.version > 0) {
    const v = versions.find((x) => x.version === o.version);
    if (!v) throw new ConsortError('NOT_FOUND', `task ${o.task} has no version ${o.version} (it has ${versions.map((x) => x.version).join(', ') || 'none yet'})`, { option: '--version' });
    return v.id;
  }
  const latest = versions.filter((v) => audited.has(v.id)).sort((a, b) => b.version - a.version)[0];
  if (!latest) throw new ConsortError('AUDIT_MISSING', `task ${o.task} has no audited version yet; audit one with consort-coordinator audit --task ${o.task}`);
  return latest.id;
}

dbOptions(program.command('export')
  .description('write the signed report file of a model version (reads the coordinator database)')
  .option('--task <id>', 'task id, with --version')
  .option('--version <n>', 'model version number of --task (as consort-audit list shows it); 0 = the latest audited', modelVersionOption, 0)
  .option('--model-version <id>', 'or: the model version id')
  .requiredOption('--out <file>', 'report file to write (e.g. audit.json)'))
  .action((o: DbFlags & { task?: string; version: number; modelVersion?: string; out: string }) => withStore(o, async (store) => {
    const modelVersionId = await exportedVersionId(store, o);
    const record = await store.getAuditReportForModelVersion(modelVersionId);
    if (!record) throw new ConsortError('AUDIT_MISSING', `model version ${modelVersionId} has no audit report; it is not released until its audit round has run`);
    writeFileSync(o.out, auditReportFileText(signedReportOf(record)));
    output(o.json, { file: resolve(o.out), reportId: record.id, modelVersionId, verdict: record.verdict, policyHash: record.policyHash }, () => [
      `audit report of model version ${modelVersionId} written to ${o.out} (verdict ${record.verdict}); check it with consort-audit verify ${o.out}`,
    ]);
  }));

program.parseAsync().catch((err: unknown) => {
  const f = commandFailure(err, { json: process.argv.includes('--json') });
  if (f.stdout) console.log(f.stdout);
  if (f.stderr) console.error(f.stderr);
  process.exit(f.exitCode);
});
