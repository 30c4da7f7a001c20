// The fairness audit of a segmentation model over real gRPC: a segmentation task with `audit:`
// publishes its version, members assign their customers to its segments and count them by group,
// and the signed report's counts are the pooled customers' group × segment counts; the page renders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assignSegment, segmentationFeatures, type AuditAggregates, type AuditResult, type FeaturePipeline, type TaskDefinitionInput } from '@consort/core';
import { auditReportFileText, coreAuditMath, parseAuditReportFile, renderAuditHtml, signedReportOf, verifyAuditReport } from '@consort/coordinator';
import { readSegmentationData } from '@consort/client-sdk';
import { sqliteDatabase } from './support/databases.ts';
import { CLI, runCli } from './support/cli.ts';
import { startFixture, type Fixture } from './support/federation-fixture.ts';
import { browserAvailable, launchBrowser } from './support/browser.ts';

const FEATURES = ['recency_days', 'frequency', 'monetary', 'tenure_days', 'avg_order_value'];
const POLICY = {
  attributes: [
    { name: 'gender', column: 'gender', groups: ['female', 'male', 'other'] },
    { name: 'age', column: 'age_band', groups: ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] },
  ],
  intersections: [['gender', 'age']],
  minCellCount: 10,
  minMembers: 3,
};

function task(name: string, audited = true): TaskDefinitionInput {
  return {
    name, kind: 'segmentation', minMembers: 4, stageTimeoutSeconds: 15, seed: 3, protected: ['gender', 'age_band'],
    segmentation: { features: FEATURES, k: 4, restarts: 3, minClusterCount: 20, profileLabels: ['churned'] },
    ...(audited ? { audit: { policy: POLICY, intendedUse: 'choose which customers get which offer', dataWindow: 'synthetic, seed 23' } } : {}),
  };
}

describe('segmentation audit end to end', () => {
  let fx: Fixture;
  const db = sqliteDatabase();
  beforeAll(async () => {
    fx = await startFixture({ databaseUrl: db.url, members: 5, customers: 2500, seed: 23 });
  }, 120_000);
  afterAll(async () => { await fx?.close(); });

  it('publishes a version with a signed report whose counts are the pooled customers\' group × segment counts, and a page without errors', async () => {
    const created = await fx.admin.createTask(fx.federationId, task('offers'));
    const reports = await fx.admin.runRounds(created.id, 1, 20);
    const audit = reports.at(-1)!;
    expect(audit.purpose).toBe('audit');
    expect(audit.state, `${audit.reason} ${JSON.stringify(audit.dropped)}`).toBe('published');
    const mvId = reports.filter((r) => r.purpose === 'segmentation-profile').at(-1)!.modelVersionId;
    const mv = await fx.coordinator.store.getModelVersion(mvId);
    const record = (await fx.coordinator.store.getAuditReportForModelVersion(mvId))!;
    expect(record).toBeDefined();

    // Verifies offline, pinned to the coordinator's key: signature, policy hash, every number recomputed.
    const signed = parseAuditReportFile(auditReportFileText(signedReportOf(record)), 'audit.json');
    const verified = verifyAuditReport(signed, coreAuditMath, { trustedPublicKey: fx.coordinator.coordinatorKey.publicKey });
    expect(verified.modelVersionId).toBe(mvId);
    const names = mv.metrics.names as string[];
    expect(signed.report.model.segmentNames).toEqual(names);
    expect(signed.report.model.kind).toBe('segmentation');
    expect(signed.report.task.intendedUse).toBe('choose which customers get which offer');

    // The pooled rows, assigned with the released centroids exactly as a member's scoring does.
    const k = mv.metrics.k as number;
    const pipeline = (await fx.coordinator.store.getTask(created.id)).pipeline as FeaturePipeline;
    const byName = new Map(pipeline.numeric.map((n) => [n.name, n]));
    const model = {
      features: segmentationFeatures(FEATURES.map((f) => byName.get(f)!)),
      centroids: Array.from({ length: k }, (_, i) => Float64Array.from(mv.weights.subarray(i * FEATURES.length, (i + 1) * FEATURES.length))),
      names,
    };
    const order = { kind: 'segmentation' as const, purpose: 'statistics' as const, features: FEATURES, profileLabels: ['gender', 'age_band'] };
    const data = await Promise.all(fx.files.map((f) => readSegmentationData(f, order)));
    const pooled = data.flatMap((d) => d.records.map((values, i) => ({ values, segment: assignSegment(model, d.raw[i]).segment })));
    const key = (r: { values: Record<string, string> }, attrs: string[]) => attrs.map((a) => r.values[a === 'age' ? 'age_band' : 'gender']);

    const aggregates = signed.report.aggregates as AuditAggregates;
    expect(aggregates.model).toEqual({ kind: 'segmentation', segments: k });
    expect(aggregates.members).toBe(5);
    let released = 0;
    for (const g of aggregates.groupings) {
      for (const c of g.cells) {
        const mine = pooled.filter((r) => JSON.stringify(key(r, g.attributes)) === JSON.stringify(c.key));
        const counts = Array.from({ length: k }, (_, s) => mine.filter((r) => r.segment === s).length);
        if (c.suppressed) {
          expect(c.segments).toBeNull();
          continue;
        }
        expect(c.segments).toEqual(counts);
        expect(c.n).toBe(mine.length);
        released++;
      }
    }
    expect(released).toBeGreaterThan(10);

    // Every group × segment has a representation check; the ratio is the pooled one for released cells.
    const result = signed.report.result as AuditResult;
    const gender = result.groupings.find((g) => g.id === 'gender')!;
    const female = gender.groups.find((g) => g.label === 'female')!;
    const N = pooled.length;
    const nF = pooled.filter((r) => r.values.gender === 'female').length;
    for (let s = 0; s < k; s++) {
      const S = pooled.filter((r) => r.segment === s).length;
      const x = pooled.filter((r) => r.segment === s && r.values.gender === 'female').length;
      expect(Math.abs(female.segments![s].representationRatio.value! - (x / S) / (nF / N))).toBeLessThan(1e-12);
    }
    expect(result.checks.filter((c) => c.metric === 'representation').length).toBe(result.groupings.reduce((a, g) => a + g.groups.length * k, 0));

    // The page: the segmentation section with one heat map cell per group × segment, the names, no script error.
    if (!browserAvailable()) return;
    const file = join(fx.workDir, 'segmentation-audit.html');
    writeFileSync(file, renderAuditHtml(signed, { ok: true, detail: `key ${verified.publicKeyFingerprint}` }));
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(pathToFileURL(file).toString());
      expect(await page.locator('#segments').count()).toBe(1);
      expect(await page.locator('#groups').count()).toBe(0);
      expect(await page.locator('#segments g.rep-cell').count()).toBe(result.groupings.reduce((a, g) => a + g.groups.length * k, 0));
      const text = await page.locator('body').innerText();
      for (const n of names) expect(text).toContain(n);
      expect(await page.locator('#summary').innerText()).toMatch(/make up \d+\.\d % of all customers (but|and only) \d+\.\d % of segment "[^"]+"/);
      expect(errors).toEqual([]);
      mkdirSync('.reports', { recursive: true });
      await page.screenshot({ path: '.reports/segmentation-audit.png', fullPage: true });
    } finally {
      await browser.close();
    }
  }, 240_000);

  it('consort-coordinator audit --task audits a segmentation version; a policy with score settings is refused before any round', async () => {
    const created = await fx.admin.createTask(fx.federationId, task('offers-cli', false));
    const reports = await fx.admin.runRounds(created.id, 1, 20);
    expect(reports.at(-1)!.purpose).toBe('segmentation-profile');
    const conn = ['--coordinator', fx.coordinator.adminAddress, '--token', fx.coordinator.adminToken];
    writeFileSync(join(fx.workDir, 'score-policy.json'), JSON.stringify({ ...POLICY, thresholds: [0.3] }));
    const roundsBefore = (await fx.coordinator.store.listRounds(created.id)).length;
    const refused = await runCli(CLI.coordinator, ['audit', '--task', created.id, '--policy', 'score-policy.json', ...conn], { cwd: fx.workDir });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/segmentation task: the policy's thresholds apply to scored models only/);
    expect(await fx.coordinator.store.listRounds(created.id)).toHaveLength(roundsBefore);

    writeFileSync(join(fx.workDir, 'policy.json'), JSON.stringify(POLICY));
    const cli = await runCli(CLI.coordinator, ['audit', '--task', created.id, '--policy', 'policy.json', '--intended-use', 'offers', ...conn], { cwd: fx.workDir });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^round \d+ audit published/m);
    const mvId = reports.at(-1)!.modelVersionId;
    const record = (await fx.coordinator.store.getAuditReportForModelVersion(mvId))!;
    const v = verifyAuditReport(signedReportOf(record), coreAuditMath, { trustedPublicKey: fx.coordinator.coordinatorKey.publicKey });
    expect(v.modelVersionId).toBe(mvId);
    expect(JSON.parse(record.bodyJson)).toMatchObject({ task: { intendedUse: 'offers' }, model: { kind: 'segmentation' } });
  }, 240_000);
});
