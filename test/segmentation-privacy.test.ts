// Segmentation under differential privacy end to end over gRPC: every round noised by the members
// and charged to the task's ledger, ε reported per round and stored with the model version, the
// centroids of well-separated clusters close to the exact run's, and the refusal of a run whose
// planned rounds cannot fit the budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, type TaskDefinitionInput } from '@consort/core';
import { formatRoundLine, renderRoundsReport } from '@consort/coordinator';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteDatabase } from './support/databases.ts';
import { startFixture, type Fixture } from './support/federation-fixture.ts';

const FEATURES = ['f1', 'f2', 'f3'];
/** Three well-separated clusters (std 4 in every feature) in [0, 100]³. */
const CENTRES = [[20, 20, 20], [50, 80, 30], [80, 30, 70]];
const MEMBERS = 4;
const PER_MEMBER = 750;
const bounds = Object.fromEntries(FEATURES.map((f) => [f, [0, 100]]));

function writeMembers(dir: string): string[] {
  const rng = new SeededRandom(29);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return Array.from({ length: MEMBERS }, (_, m) => {
    const lines = ['customer_id,f1,f2,f3'];
    for (let i = 0; i < PER_MEMBER; i++) {
      // Members hold different mixes of the clusters.
      const c = CENTRES[(i + m * (i % 2)) % 3];
      lines.push([`m${m}-${i}`, ...c.map((x) => Math.min(100, Math.max(0, x + 4 * normal())).toFixed(2))].join(','));
    }
    const file = join(dir, `member-${m}.csv`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  });
}

function task(name: string, privacy?: Record<string, unknown>): TaskDefinitionInput {
  return {
    // A long stage timeout: a member that misses a deadline on a loaded machine would change what the budget allows.
    name, kind: 'segmentation', minMembers: 3, stageTimeoutSeconds: 60, seed: 5,
    segmentation: { features: FEATURES, k: 3, restarts: 1, minClusterCount: 20, maxIterations: 5 },
    ...(privacy ? { privacy } : {}),
  };
}

describe('segmentation under differential privacy end to end', () => {
  let fx: Fixture;
  let dir: string;
  const db = sqliteDatabase();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'consort-dp-segments-'));
    const files = writeMembers(dir);
    fx = await startFixture({ databaseUrl: db.url, members: MEMBERS, customers: 400, seed: 3, hooks: (i) => ({ dataFile: files[i] }) });
  });
  afterAll(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The published centroids in the features' original units (each run has its own standardization). */
  async function centroids(taskId: string, modelVersionId: string): Promise<number[][]> {
    const mv = await fx.coordinator.store.getModelVersion(modelVersionId);
    const { standardization } = mv.metrics as { standardization: { mean: number[]; std: number[] } };
    const dim = FEATURES.length;
    return Array.from({ length: mv.weights.length / dim }, (_, c) => FEATURES.map((_f, j) => standardization.mean[j] + standardization.std[j] * mv.weights[c * dim + j]));
  }

  it('noises and charges every round, reports ε per round and with the model, and lands near the exact centroids', async () => {
    const exactTask = await fx.admin.createTask(fx.federationId, task('segments-exact'));
    const exactReports = await fx.admin.runRounds(exactTask.id, 1, 20);
    const exactLast = exactReports[exactReports.length - 1];
    expect(exactLast.state, exactLast.reason).toBe('published');
    const exact = await centroids(exactTask.id, exactLast.modelVersionId);

    const privacy = { epsilon: 10, delta: 1e-5, noiseMultiplier: 3, clip: 4, statistics: { noiseMultiplier: 2, bounds } };
    const dpTask = await fx.admin.createTask(fx.federationId, task('segments-dp', privacy));
    const reports = await fx.admin.runRounds(dpTask.id, 1, 20);
    const last = reports[reports.length - 1];
    expect(last.state, last.reason).toBe('published');
    expect(reports.every((r) => r.state === 'published')).toBe(true);
    // No profile sums round under DP: the model comes with the profile's count gate.
    expect(reports.map((r) => r.purpose)).not.toContain('segmentation-profile');
    expect(last.purpose).toBe('segmentation-count-gate');

    // ε after every round, the statistics round included, growing and within the budget.
    const eps = reports.map((r) => r.metrics?.privacyEpsilon);
    expect(eps.every((e) => typeof e === 'number')).toBe(true);
    for (let i = 1; i < eps.length; i++) expect(eps[i]!).toBeGreaterThan(eps[i - 1]!);
    expect(eps[eps.length - 1]!).toBeLessThanOrEqual(10);
    expect(formatRoundLine(last)).toContain(`privacy ε ${eps[eps.length - 1]!.toFixed(3)} of 10 (δ 0.00001)`);

    // One privacy.charged event per round, each kind named after the round's purpose.
    const charged = await fx.coordinator.store.listAuditEvents({ subjectId: dpTask.id, kind: 'privacy.charged' });
    expect(charged).toHaveLength(reports.length);
    const kinds = charged.flatMap((e) => (e.detail as { charges: { kind: string }[] }).charges.map((c) => c.kind));
    expect(new Set(kinds)).toEqual(new Set(['statistics', 'segmentation-histogram', 'segmentation-count-gate', 'segmentation-lloyd']));

    const mv = await fx.coordinator.store.getModelVersion(last.modelVersionId);
    const stored = (mv.metrics as { privacy: { epsilon: number; budgetEpsilon: number } }).privacy;
    expect(stored.epsilon).toBeCloseTo(eps[eps.length - 1]!, 10);
    expect(stored.budgetEpsilon).toBe(10);
    expect((mv.metrics as { names: string[] }).names).toHaveLength(3);

    const html = await renderRoundsReport(fx.coordinator.store, dpTask.id);
    expect(html).toContain(`spent <b>ε = ${eps[eps.length - 1]!.toFixed(3)}</b> of the budget ε = 10`);

    // Utility: each noisy centroid is near one exact centroid (clusters are ~50 apart, std 4).
    const dp = await centroids(dpTask.id, last.modelVersionId);
    const dist = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, x, j) => s + (x - b[j]) ** 2, 0));
    const errors = dp.map((c) => Math.min(...exact.map((e) => dist(c, e))));
    const toTruth = (cs: number[][]) => cs.map((c) => Math.min(...CENTRES.map((t) => dist(c, t))).toFixed(2)).join(', ');
    console.log(`DP segmentation: ε=${eps[eps.length - 1]!.toFixed(3)} after ${reports.length} rounds; centroid distance to the exact run's: ${errors.map((e) => e.toFixed(2)).join(', ')}; `
      + `to the true centres: exact ${toTruth(exact)}, DP ${toTruth(dp)}`);
    // Margin: 1.5 cluster stds, an eighth of the clusters' separation (docs/privacy.md has the measured distances).
    for (const e of errors) expect(e).toBeLessThan(6);
    // Every exact centroid is matched (no two noisy centroids collapsed onto one cluster).
    const matched = new Set(dp.map((c) => exact.findIndex((e) => dist(c, e) === Math.min(...exact.map((x) => dist(c, x))))));
    expect(matched.size).toBe(3);
  }, 300_000);

  it('stops k-means when the next iteration could pass the budget at its worst case, and still releases the segments', async () => {
    // The full plan (every member surviving) costs ε = 7.143 and fits 7.2; at the worst case
    // (3 of 4 members surviving) the last iterations do not, so k-means stops early.
    const privacy = { epsilon: 7.2, noiseMultiplier: 3, clip: 4, statistics: { noiseMultiplier: 2, bounds } };
    const t = await fx.admin.createTask(fx.federationId, task('segments-dp-tight', privacy));
    const reports = await fx.admin.runRounds(t.id, 1, 20);
    const last = reports[reports.length - 1];
    expect(last.state, last.reason).toBe('published');
    expect(last.modelVersionId).not.toBe('');
    const lloyd = reports.filter((r) => r.purpose === 'segmentation-lloyd').length;
    expect(lloyd).toBeLessThan(2 + 5);
    const stopped = await fx.coordinator.store.listAuditEvents({ subjectId: t.id, kind: 'segmentation.privacy_budget_exhausted' });
    expect(stopped).toHaveLength(1);
    for (const r of reports) expect(r.metrics!.privacyEpsilon!).toBeLessThanOrEqual(7.2);
  }, 300_000);

  it('refuses a run whose planned rounds cannot fit the budget, naming how many Lloyd iterations would fit', async () => {
    const privacy = { epsilon: 8, noiseMultiplier: 3, clip: 4, statistics: { noiseMultiplier: 2, bounds } };
    const big = await fx.admin.createTask(fx.federationId, { ...task('segments-dp-too-long', privacy), segmentation: { features: FEATURES, k: 3, restarts: 1, maxIterations: 30 } });
    const err = await fx.admin.runRounds(big.id, 1, 20).then(() => undefined, (e: { details?: string }) => e);
    expect(err?.details).toMatch(/^PRIVACY_BUDGET_EXHAUSTED: segmentation task "segments-dp-too-long" would spend up to ε=.* \(δ=0.00001\) in 67 rounds \(30 Lloyd iterations\), beyond its budget ε=8; \d+ Lloyd iterations? fit\. These settings are pinned with the task: define a new task with segmentation.maxIterations \d+/);
    expect(await fx.coordinator.store.listRounds(big.id)).toHaveLength(0);
    const tiny = await fx.admin.createTask(fx.federationId, task('segments-dp-tiny', { ...privacy, epsilon: 0.5 }));
    const none = await fx.admin.runRounds(tiny.id, 1, 20).then(() => undefined, (e: { details?: string }) => e);
    expect(none?.details).toMatch(/not even one Lloyd iteration fits/);
  }, 120_000);
});
