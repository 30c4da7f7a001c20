// Members refuse an audit round whose policy they never agreed to, over real gRPC: a coordinator that
// asks for counts by a column that is not protected, or for cells of one row, gets no member vector;
// the same members serve a sound policy. (The coordinator here is the real one; its operator picks
// the policy, which is exactly the power a hostile coordinator has.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuditPolicy, type AuditPolicy } from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

const MEMBERS = 4;
const GOOD = {
  attributes: [{ name: 'gender', column: 'gender', groups: ['female', 'male', 'other'], reference: 'male' }],
  histogramBins: 100, minCellCount: 10, minMembers: 3, bootstrap: { resamples: 100, seed: 3 },
};

describe('member guard on audit policies', () => {
  let fx: Fixture;
  const db = sqliteDatabase();
  const purposeOf = new Map<number, string>();
  /** Audit vectors members packed (test hook: called only once a member computed its vector). */
  const packed: number[] = [];
  const logs: string[][] = Array.from({ length: MEMBERS }, () => []);

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: db.url, members: MEMBERS, customers: 1600, seed: 41,
      hooks: (i) => ({
        logger: { info: (m: string) => logs[i].push(m), warn: (m: string) => logs[i].push(m) },
        misbehave: {
          takesPart: (open: RoundOpen__Output) => { purposeOf.set(i, open.purpose); return true; },
          packed: () => { if (purposeOf.get(i) === 'audit') packed.push(i); },
        },
      }),
    });
  }, 120_000);
  afterAll(async () => { await fx?.close(); });

  /** memberPolicyCheck false plays a hostile coordinator: the real one refuses these policies before any round opens. */
  async function audit(taskId: string, policy: AuditPolicy, memberPolicyCheck = false) {
    packed.length = 0;
    for (const l of logs) l.length = 0;
    return fx.coordinator.rounds.runWorkflow('audit', taskId, { audit: { policy, signingKey: fx.coordinator.coordinatorKey, memberPolicyCheck } }, { waitForMembersMs: 20_000 });
  }

  it('a policy on an unprotected column or with one-row cells gets no vector; a sound one is served', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'guarded', aggregation: 'secure', minMembers: 3, stageTimeoutSeconds: 6 }));
    const trained = await fx.admin.runRounds(task.id, 1, 20);
    const published = trained.find((r) => r.state === 'published' && r.modelVersionId)!;
    expect(published).toBeDefined();

    // The honest coordinator refuses a policy members would decline before any round opens: no member hears of it.
    const rounds = (await fx.coordinator.store.listRounds(task.id)).length;
    const refused = await audit(task.id, parseAuditPolicy({ ...GOOD, attributes: [{ name: 'region', column: 'region', groups: ['north', 'south'] }] }), true)
      .then(() => undefined, (e: unknown) => e as Error);
    expect(refused?.message).toMatch(/refused before any round opened: members would decline it \(ROUND_POLICY_REFUSED\), because its audit policy reads column "region"/);
    expect((await fx.coordinator.store.listRounds(task.id)).length).toBe(rounds);
    expect(packed).toEqual([]);
    for (const l of logs) expect(l.join('\n')).not.toMatch(/ROUND_POLICY_REFUSED/);

    // region is a model input, not a protected attribute: members never agreed to audit counts by it.
    const stray = await audit(task.id, parseAuditPolicy({ ...GOOD, attributes: [{ name: 'region', column: 'region', groups: ['north', 'south'] }] }))
      .then((r) => r, (e: unknown) => e);
    expect(packed).toEqual([]);
    expect(await fx.coordinator.store.getAuditReportForModelVersion(published.modelVersionId!)).toBeFalsy();
    for (const l of logs) expect(l.join('\n')).toMatch(/refused: ROUND_POLICY_REFUSED: audit round \S+ refused: its audit policy reads column "region", which the task does not list as protected/);
    if (Array.isArray(stray)) expect(stray.every((r: { state: string }) => r.state !== 'published')).toBe(true);

    // Cells of one row: suppression would come after the coordinator saw the sum.
    const tiny = await audit(task.id, parseAuditPolicy({ ...GOOD, minCellCount: 1 })).then((r) => r, (e: unknown) => e);
    expect(packed).toEqual([]);
    expect(await fx.coordinator.store.getAuditReportForModelVersion(published.modelVersionId!)).toBeFalsy();
    for (const l of logs) expect(l.join('\n')).toMatch(/its audit policy releases cells of 1 rows; this member's floor is 10/);
    if (Array.isArray(tiny)) expect(tiny.every((r: { state: string }) => r.state !== 'published')).toBe(true);

    const good = await audit(task.id, parseAuditPolicy(GOOD));
    expect(good.at(-1)!.state).toBe('published');
    expect(packed.sort()).toEqual([0, 1, 2, 3]);
    expect(await fx.coordinator.store.getAuditReportForModelVersion(published.modelVersionId!)).toBeTruthy();
  }, 240_000);
});
