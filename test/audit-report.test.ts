// The auditor's side end to end: a signed report file checked by `consort-audit verify` in its own
// process (offline), refused when altered or under another policy, and its page shown in Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import nacl from 'tweetnacl';
import type { Browser } from 'playwright-core';
import { policyHash, type AuditAggregates, type AuditResult } from '@consort/core';
import { assembleAuditReportBody, auditReportFileText, coreAuditMath, renderAuditHtml, signAuditReport, type SignedAuditReport } from '@consort/coordinator';
import { SYNTHETIC_POLICY_INPUT, syntheticAggregates, syntheticPolicy } from './support/audit-consortium.ts';
import { CLI, runCli } from './support/cli.ts';
import { churnPipeline, modelFile, randomRecords, randomWeights, specFor } from '../client-sdk/test-support/onnx-fixtures.ts';
import { browserAvailable, launchBrowser } from './support/browser.ts';

let dir: string;
let signed: SignedAuditReport;
let reportFile: string;
const kp = nacl.sign.keyPair();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'consort-audit-'));
  const policy = syntheticPolicy();
  const { aggregates } = syntheticAggregates(policy, 5);
  const body = assembleAuditReportBody({
    model: { taskId: 'task1', taskName: 'churn-e2e', kind: 'model', modelVersionId: 'mv7', version: 7, sha256: 'cd'.repeat(32) },
    task: { intendedUse: 'choose customers for a retention call', labelDefinition: 'column "churned"; positive when "Yes"', dataWindow: '2026-01-01/2026-06-30' },
    contributors: ['0a1b2c3d4e5f', '1a1b2c3d4e5f', '2a1b2c3d4e5f', '3a1b2c3d4e5f', '4a1b2c3d4e5f'],
    dropped: ['5a1b2c3d4e5f'],
  }, { policy, aggregates, roundIds: ['round-1'], protocol: 'secure-aggregation', minMembers: 3 }, coreAuditMath);
  signed = signAuditReport(body, { publicKey: kp.publicKey, secretKey: kp.secretKey });
  reportFile = join(dir, 'audit.json');
  writeFileSync(reportFile, auditReportFileText(signed));
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(SYNTHETIC_POLICY_INPUT));
  writeFileSync(join(dir, 'other-policy.json'), JSON.stringify({ ...SYNTHETIC_POLICY_INPUT, minCellCount: 20 }));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('consort-audit verify', () => {
  it('verifies the file offline and says what it checked', async () => {
    const r = await runCli(CLI.audit, ['verify', reportFile, '--policy', 'policy.json', '--public-key', Buffer.from(kp.publicKey).toString('base64')], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^verified .*audit\.json: signature by coordinator key [0-9a-f:]{39}$/m);
    expect(r.stdout).toContain(`policy ${policyHash(syntheticPolicy())}`);
    expect(r.stdout).toMatch(/\d+ values recomputed from the released aggregates: all equal, bit for bit/);
    const j = await runCli(CLI.audit, ['verify', reportFile, '--json'], { cwd: dir });
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, modelVersionId: 'mv7', policyHash: policyHash(syntheticPolicy()) });
  }, 60_000);

  it('an altered file: AUDIT_SIGNATURE_INVALID, exit 5', async () => {
    const text = readFileSync(reportFile, 'utf8');
    // One digit of the first count in the aggregates.
    const i = text.indexOf('"n":') + 4;
    const altered = text.slice(0, i) + String((Number(text[i]) + 1) % 10) + text.slice(i + 1);
    writeFileSync(join(dir, 'altered.json'), altered);
    const r = await runCli(CLI.audit, ['verify', 'altered.json'], { cwd: dir });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^AUDIT_SIGNATURE_INVALID: the signature does not verify over the report's canonical bytes .*ask the coordinator's operator for the original\n$/);
  }, 60_000);

  it('a report under another policy than the auditor\'s: AUDIT_POLICY_MISMATCH, exit 5', async () => {
    const r = await runCli(CLI.audit, ['verify', reportFile, '--policy', 'other-policy.json'], { cwd: dir });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^AUDIT_POLICY_MISMATCH: the report was made under policy [0-9a-f]{64}, not the policy you expect/);
  }, 60_000);

  it('another coordinator key: AUDIT_SIGNATURE_INVALID; a file that is not a report: INVALID_ARGUMENT, exit 2', async () => {
    const other = nacl.sign.keyPair();
    const r = await runCli(CLI.audit, ['verify', reportFile, '--public-key', Buffer.from(other.publicKey).toString('base64')], { cwd: dir });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^AUDIT_SIGNATURE_INVALID: the report is signed by key .* not by the coordinator key you trust/);
    writeFileSync(join(dir, 'not-a-report.json'), '{"hello":1}');
    const n = await runCli(CLI.audit, ['verify', 'not-a-report.json'], { cwd: dir });
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/^INVALID_ARGUMENT: not-a-report\.json is not a signed audit report/);
    const missing = await runCli(CLI.audit, ['verify', 'nope.json'], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^FILE_UNREADABLE: no such file/);
  }, 60_000);
});

describe('consort-audit mitigate', () => {
  it('plans per-group thresholds from a verified report, and refuses an altered one', async () => {
    const r = await runCli(CLI.audit, ['mitigate', reportFile, '--grouping', 'gender', '--metric', 'selectionRate', '--out', 'plan.json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^per-group-thresholds plan for grouping gender written to plan\.json\n {2}selectionRate spread across groups \d\.\d{3} → \d\.\d{3} \(target \d\.\d{3}\); accuracy [\d.]+ % → [\d.]+ %; selected [\d.]+ % → [\d.]+ % \(on the report's rows\)\n {2}thresholds: F [\d.]+, M [\d.]+\n {2}caveat: .*protected attribute/);
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { kind: string; fromModelVersionId: string; plan: { target: { metric: string } } };
    expect(plan).toMatchObject({ kind: 'per-group-thresholds', fromModelVersionId: 'mv7', plan: { target: { metric: 'selectionRate' } } });
    const tampered = JSON.parse(readFileSync(reportFile, 'utf8')) as SignedAuditReport;
    tampered.report.model.version = 8;
    writeFileSync(join(dir, 'tampered-for-plan.json'), JSON.stringify(tampered));
    const refused = await runCli(CLI.audit, ['mitigate', 'tampered-for-plan.json', '--grouping', 'gender', '--out', 'p2.json'], { cwd: dir });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/^AUDIT_SIGNATURE_INVALID:/);
  }, 60_000);

  it('a member scores with the plan mitigate wrote: a decision per row by its group; a plan of another version is refused (exit 2)', async () => {
    const made = await runCli(CLI.audit, ['mitigate', reportFile, '--grouping', 'gender', '--out', 'tpr-plan.json'], { cwd: dir });
    expect(made.code).toBe(0);
    const p = churnPipeline();
    const spec = specFor(p, 'logistic');
    writeFileSync(join(dir, 'v7.json'), JSON.stringify({ ...modelFile(spec, p, randomWeights(spec, 4)), modelVersionId: 'mv7' }));
    writeFileSync(join(dir, 'v8.json'), JSON.stringify({ ...modelFile(spec, p, randomWeights(spec, 4)), modelVersionId: 'mv8' }));
    const records = randomRecords(p, 300, 9);
    const cols = [...Object.keys(records[0]), 'gender'];
    writeFileSync(join(dir, 'customers.csv'), `${[cols.join(','), ...records.map((r, i) => [...Object.values(r), ['F', 'M', ''][i % 3]].join(','))].join('\n')}\n`);
    const scored = await runCli(CLI.agent, ['score', '--model', 'v7.json', '--data', 'customers.csv', '--out', 'scored.csv', '--group-thresholds', 'tpr-plan.json'], { cwd: dir });
    expect(scored.stderr).toBe('');
    expect(scored.code).toBe(0);
    expect(scored.stdout).toMatch(/per-group thresholds on gender \(F \d+\/100 at [\d.]+, M \d+\/100 at [\d.]+\); common threshold 0\.5 for 100 rows with a blank group.*Caveat: .*protected attribute/);
    expect(readFileSync(join(dir, 'scored.csv'), 'utf8').split('\n')[0]).toBe('customer_id,score,risk_tier,decision,reason_1,reason_2,reason_3');
    const other = await runCli(CLI.agent, ['score', '--model', 'v8.json', '--data', 'customers.csv', '--out', 'scored.csv', '--group-thresholds', 'tpr-plan.json'], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^MITIGATION_PLAN_MISMATCH: the per-group thresholds were computed for model version mv7, but v8\.json is model version mv8/);
  }, 60_000);
});

describe.runIf(browserAvailable())('the audit page in a browser', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchBrowser(); });
  afterAll(async () => { await browser?.close(); });

  it('`show` writes a page with every section, charts as inline SVG, no script errors and no network requests', async () => {
    const r = await runCli(CLI.audit, ['show', reportFile, '--out', 'audit.html'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('request', (req) => { if (!req.url().startsWith('file:')) problems.push(`request: ${req.url()}`); });
    await page.goto(pathToFileURL(join(dir, 'audit.html')).toString());
    const result = signed.report.result as AuditResult;
    for (const id of ['verdict', 'summary', 'about', 'groups', 'disparities', 'roc', 'calibration', 'heatmap', 'parity', 'caveats', 'conventions']) {
      expect(await page.locator(`section#${id}`).count(), id).toBe(1);
    }
    expect(await page.locator('#verdict .big .badge').textContent()).toBe(result.verdict);
    expect(await page.locator('#verdict .verify').textContent()).toContain('verified');
    // Plain words: what was audited, how many members, the outcome and the failing findings.
    const summary = (await page.locator('#summary').textContent())!;
    expect(summary).toContain('gender, age');
    expect(summary).toContain('5 member businesses');
    expect(summary).toMatch(/\d+ checks passed, \d+ failed, \d+ were inconclusive/);
    // One table row per group of each grouping, the ≥55 band marked suppressed.
    const groupRows = await page.locator('table.groups tr[data-group]').count();
    expect(groupRows).toBe(result.groupings.reduce((a, g) => a + g.groups.length, 0));
    const ageSuppressed = result.groupings.find((g) => g.id === 'age')!.groups.filter((g) => g.suppressed !== null).length;
    expect(ageSuppressed).toBeGreaterThan(0); // ≥55 at one member (and its complement, so it cannot be derived)
    expect(await page.locator('table.groups[data-grouping="age"] tr.suppressed').count()).toBe(ageSuppressed);
    // The disparity chart: the band and one dot per check with a ratio.
    const chart = page.locator('svg[aria-label^="Disparity ratios against the reference"]');
    expect(await chart.locator('rect.band').count()).toBe(1);
    expect(await chart.locator('g.check').count()).toBe(result.checks.filter((c) => c.ratio !== null && c.ratio > 0).length);
    expect(await page.locator('#check-table tr[data-verdict]').count()).toBe(result.checks.length);
    // ROC and calibration per single attribute; the gender × age heat map with its 6 cells.
    const released = (id: string) => (signed.report.aggregates as AuditAggregates).groupings.find((g) => g.id === id)!.cells.filter((c) => c.suppressed === null).length;
    expect(released('gender')).toBe(2);
    expect(await page.locator('svg[aria-label="ROC by gender"] polyline').count()).toBe(2);
    expect(await page.locator('svg[aria-label="ROC by age"] polyline').count()).toBe(released('age'));
    expect(await page.locator('svg[aria-label="Calibration by gender"] polyline').count()).toBe(2);
    expect(await page.locator('svg[aria-label="Selection rate by gender × age"] g.cell').count()).toBe(6);
    expect(await page.locator('svg[aria-label^="Members by their own auc"] rect.bar').count()).toBe(result.parity.bins.length);
    const caveats = (await page.locator('#caveats').textContent())!;
    expect(caveats).toContain('cells are suppressed');
    expect(caveats).toContain('1 invited members dropped out');
    expect(problems).toEqual([]);
    mkdirSync('.reports', { recursive: true });
    await page.screenshot({ path: '.reports/audit-report.png', fullPage: true });
  }, 120_000);

  it('a page of an altered report says NOT verified, and show exits 5', async () => {
    const tampered = JSON.parse(readFileSync(reportFile, 'utf8')) as SignedAuditReport;
    tampered.report.task.intendedUse = 'something else';
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered));
    const r = await runCli(CLI.audit, ['show', 'tampered.json'], { cwd: dir });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^AUDIT_SIGNATURE_INVALID:/);
    const html = readFileSync(join(dir, 'tampered.html'), 'utf8');
    expect(html).toContain('NOT verified');
    // The verdict badge is replaced, not merely accompanied: no green verdict on an altered report.
    const verdictSection = html.slice(html.indexOf('<section id="verdict">'), html.indexOf('<section id="summary">'));
    expect(verdictSection).toContain('UNVERIFIED — do not rely on this report');
    expect(verdictSection).not.toMatch(/class="badge pass"/);
    expect(html).toContain('This report did not verify');
    const unchecked = renderAuditHtml(signed);
    expect(unchecked).toContain('Not verified here');
    expect(unchecked).not.toContain('UNVERIFIED');
  }, 60_000);
});
