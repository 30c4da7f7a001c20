// The audit of a DP task over real gRPC: members add their noise shares to the audit counts, the
// audit is charged to the task's budget, the report states and verify recomputes ε, an altered
// report is still caught, and an audit that could pass the budget is refused before its round.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PrivacyLedger, auditLayoutOf, auditNoiseFor, decodeAuditAggregates, parseAuditPolicy, policyHash, unpackVector,
  type AuditAggregates, type AuditPolicy, type AuditWorkOrder, type PrivacyCharge,
} from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import {
  auditReportFileText, coreAuditMath, parseAuditReportFile, renderAuditHtml, signAuditReport, signedReportOf, verifyAuditReport, type AuditDifferentialPrivacy,
} from '@consort/coordinator';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

const POLICY_INPUT = {
  attributes: [
    { name: 'gender', column: 'gender', groups: ['female', 'male', 'other'], reference: 'male' },
    { name: 'age', column: 'age_band', groups: ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] },
  ],
  histogramBins: 100,
  minCellCount: 10,
  minMembers: 3,
  bootstrap: { resamples: 100, seed: 3 },
};
const policy: AuditPolicy = parseAuditPolicy(POLICY_INPUT);
const PRIVACY = { level: 'customer', delta: 1e-5, noiseMultiplier: 1.5, clipNorm: 1, minRows: 100 } as const;
const TRAIN = { aggregation: 'secure' as const, minMembers: 3, seed: 5, earlyStopping: false as const, stageTimeoutSeconds: 8, train: { localEpochs: 1, batchSize: 32, learningRate: 0.2 } };

describe('audit of a DP task', () => {
  let fx: Fixture;
  const db = sqliteDatabase();
  const purposeOf = new Map<number, string>();
  /** Each member's audit vector as it packed it (noise share included), before masking. */
  const sent = new Map<number, number[]>();
  let clearMarker = false;

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: db.url, members: 4, customers: 2500, seed: 41,
      hooks: (i) => ({ misbehave: {
        takesPart: (open: RoundOpen__Output) => { purposeOf.set(i, open.purpose); return true; },
        packed: (vector, layout) => {
          if (purposeOf.get(i) !== 'audit') return;
          sent.set(i, Array.from(unpackVector(layout, vector).audit));
          const marker = layout.segments.find((x) => x.name === 'noised');
          if (clearMarker && i === 1 && marker) {
            // This member sends its counts without saying it added noise (as an agent without DP audits would).
            const words = vector.bits === 32 ? [marker.offset] : [2 * marker.offset, 2 * marker.offset + 1];
            for (const w of words) vector.words[w] = 0;
          }
        },
      } }),
    });
  }, 120_000);
  afterAll(async () => { await fx?.close(); });

  it('noisy counts, charged to the budget; the report states ε and verifies; tampering is caught', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'dp-audited', ...TRAIN, privacy: { ...PRIVACY, epsilon: 15, auditNoiseMultiplier: 3 } }));
    const trained = await fx.admin.runRounds(task.id, 1, 20);
    const published = trained.filter((r) => r.state === 'published' && r.purpose === 'train').at(-1)!;
    expect(published?.modelVersionId).toBeTruthy();
    const [round] = await fx.coordinator.rounds.runWorkflow('audit', task.id, { audit: { policy, signingKey: fx.coordinator.coordinatorKey } }, { waitForMembersMs: 20_000 });
    expect(`${round.purpose}:${round.state}`).toBe('audit:published');

    // Each member's vector: the parity is "undefined" and the counts carry noise (confusion totals
    // no longer match the histograms in some cell, and some entries are negative).
    const layout = auditLayoutOf({ kind: 'audit', policy, policyHash: policyHash(policy), maxRows: 1 } satisfies AuditWorkOrder);
    expect(sent.size).toBe(4);
    for (const v of sent.values()) {
      expect(v.slice(layout.parity.offset, layout.parity.offset + layout.parity.bins)).toEqual(new Array(layout.parity.bins).fill(0));
      expect(v[layout.parity.offset + layout.parity.bins]).toBe(1);
      expect(() => decodeAuditAggregates(v, layout)).toThrow(/AGGREGATE_REJECTED|audit aggregate/);
    }
    expect([...sent.values()].some((v) => v.some((x) => x < 0))).toBe(true);

    // Charged: one Gaussian at rate 1 with σ_a = 3 (no member dropped), after the training's charges.
    const events = await fx.coordinator.store.listAuditEvents({ subjectId: task.id, kind: 'privacy.charged' });
    const charges = events.flatMap((e) => (e.detail as { charges: PrivacyCharge[] }).charges);
    expect(charges.at(-1)).toEqual({ round: round.number, modelVersion: 1, kind: 'audit', unit: 'customer', samplingRate: 1, noiseMultiplier: 3, steps: 1 });
    const after = (events.at(-1)!.detail as { epsilon: number }).epsilon;

    const record = (await fx.coordinator.store.getAuditReportForModelVersion(published.modelVersionId))!;
    const signed = parseAuditReportFile(auditReportFileText(signedReportOf(record)), 'audit.json');
    const dp = signed.report.privacy.differentialPrivacy as Extract<AuditDifferentialPrivacy, { applied: true }>;
    expect(dp.applied).toBe(true);
    expect(dp.audit).toMatchObject({ noiseMultiplier: 3, invited: 4, survivors: 4, chargedNoiseMultiplier: 3, sensitivity: auditNoiseFor(policy, 3).sensitivity });
    expect(dp.taskAfterAudit.epsilon).toBe(after);
    // The version's ε is the one stored with it (training up to it), found among the charges.
    const mv = await fx.coordinator.store.getModelVersionMeta(published.modelVersionId);
    expect(dp.modelVersion.epsilon).toBe((mv.metrics as { privacy: { epsilon: number } }).privacy.epsilon);
    expect(dp.modelVersion.epsilon).toBeLessThan(dp.taskAfterAudit.epsilon);
    expect(dp.audit.epsilon).toBeCloseTo(PrivacyLedger.fromCharges({ epsilon: 15, delta: 1e-5 }, [charges.at(-1)!]).spent().customer.epsilon, 12);
    const aggregates = signed.report.aggregates as AuditAggregates;
    expect(aggregates.parity.withheld).toBe(true);
    expect(signed.report.privacy.revealed.join(' ')).toContain('Gaussian noise');

    const v = verifyAuditReport(signed, coreAuditMath, { trustedPublicKey: fx.coordinator.coordinatorKey.publicKey, expectedPolicyHash: policyHash(policy) });
    expect(v.modelVersionId).toBe(published.modelVersionId);
    expect(v.privacy).toContain(`${dp.taskAfterAudit.epsilon.toFixed(3)} for the task after it (budget 15): recomputed from the ${charges.length} charges`);
    const html = renderAuditHtml(signed);
    expect(html).toContain('<h2>Differential privacy</h2>');
    expect(html).toContain('What ε means');
    // Noisy row counts are labelled approximate, and the noise caveat sits beside the verdict.
    expect(html).toMatch(/on about [\d,]+00 \(noisy count\) held-out customers/);
    const verdict = html.slice(html.indexOf('<section id="verdict">'), html.indexOf('<section id="summary">'));
    expect(verdict).toContain(`std about ${dp.audit.noiseStdPerCount.toFixed(1)} per count`);
    expect(html).toContain(dp.taskAfterAudit.epsilon.toFixed(3));

    // Tampering: a count changed (signature), or re-signed with a smaller ε (recomputation).
    const altered = structuredClone(signed);
    (altered.report.aggregates as AuditAggregates).groupings[0].cells[0].members += 1;
    expect(() => verifyAuditReport(altered, coreAuditMath)).toThrow(/AUDIT_SIGNATURE_INVALID|signature does not verify/);
    const resigned = structuredClone(signed.report);
    (resigned.privacy.differentialPrivacy as typeof dp).modelVersion.epsilon = 0.5;
    expect(() => verifyAuditReport(signAuditReport(resigned, fx.coordinator.coordinatorKey), coreAuditMath)).toThrow(/privacy.differentialPrivacy.modelVersion.epsilon/);
  }, 240_000);

  it('a noisy sum that counted nobody (policy values match no member\'s data) is refused, and its charge stands', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'dp-nobody', ...TRAIN, privacy: { ...PRIVACY, epsilon: 15 } }));
    await fx.admin.runRounds(task.id, 1, 20);
    const nobody = parseAuditPolicy({ ...POLICY_INPUT, attributes: [{ name: 'gender', column: 'gender', groups: ['F', 'M'] }] });
    const [round] = await fx.coordinator.rounds.runWorkflow('audit', task.id, { audit: { policy: nobody, signingKey: fx.coordinator.coordinatorKey } }, { waitForMembersMs: 20_000 });
    expect(round.state).toBe('aborted');
    expect(round.reason).toMatch(/counted no customer in any group of gender/);
    const events = await fx.coordinator.store.listAuditEvents({ subjectId: task.id, kind: 'privacy.charged' });
    expect((events.at(-1)!.detail as { charges: PrivacyCharge[] }).charges).toEqual([expect.objectContaining({ kind: 'audit', round: round.number })]);
  }, 240_000);

  it('refuses a sum in which a member did not say it added its noise share (no report; the charge stands)', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'dp-unmarked', ...TRAIN, privacy: { ...PRIVACY, epsilon: 15 } }));
    const trained = await fx.admin.runRounds(task.id, 1, 20);
    const published = trained.filter((r) => r.state === 'published' && r.purpose === 'train').at(-1)!;
    clearMarker = true;
    try {
      const [round] = await fx.coordinator.rounds.runWorkflow('audit', task.id, { audit: { policy, signingKey: fx.coordinator.coordinatorKey } }, { waitForMembersMs: 20_000 });
      expect(round.state).toBe('aborted');
      expect(round.reason).toMatch(/3 of the 4 members in the sum say they added their noise share/);
    } finally {
      clearMarker = false;
    }
    expect(await fx.coordinator.store.getAuditReportForModelVersion(published.modelVersionId)).toBeUndefined();
    const events = await fx.coordinator.store.listAuditEvents({ subjectId: task.id, kind: 'privacy.charged' });
    expect((events.at(-1)!.detail as { charges: PrivacyCharge[] }).charges[0].kind).toBe('audit');
  }, 240_000);

  it('refuses an audit that could pass the budget before its round; the version stays unaudited', async () => {
    // One training round costs ε ≈ 3.00; the audit's worst case (3 of 4 members, σ_a = 4) would bring it to 3.25.
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'dp-no-room', ...TRAIN, privacy: { ...PRIVACY, epsilon: 3.1 } }));
    const trained = await fx.admin.runRounds(task.id, 1, 20);
    const published = trained.filter((r) => r.state === 'published' && r.purpose === 'train').at(-1)!;
    const roundsBefore = (await fx.coordinator.store.listRounds(task.id)).length;
    const err = await fx.coordinator.rounds.runWorkflow('audit', task.id, { audit: { policy, signingKey: fx.coordinator.coordinatorKey } }, { waitForMembersMs: 20_000 })
      .then(() => undefined, (e: unknown) => e as { code?: string; message: string });
    expect(err?.code).toBe('PRIVACY_BUDGET_EXHAUSTED');
    expect(err?.message).toMatch(/the audit of model version 1 .* could bring it to ε=3\.25.*model version 1 stays unaudited/);
    expect(await fx.coordinator.store.listRounds(task.id)).toHaveLength(roundsBefore);
    expect(await fx.coordinator.store.getAuditReportForModelVersion(published.modelVersionId)).toBeUndefined();
    const policyEvents = await fx.coordinator.store.listAuditEvents({ subjectId: published.modelVersionId, kind: 'audit.policy_fixed' });
    expect(policyEvents).toHaveLength(0);
  }, 240_000);

  it('a run of a task with audit: plans the audit of its final version: refused before any round when training fits but the audit does not', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'dp-plan-audit', ...TRAIN, maxRounds: 1, audit: { policy: POLICY_INPUT }, privacy: { ...PRIVACY, epsilon: 3.1 } }));
    const err = await fx.admin.runRounds(task.id, 0, 20).then(() => undefined, (e: { details?: string }) => e);
    expect(err?.details).toMatch(/^PRIVACY_BUDGET_EXHAUSTED: task "dp-plan-audit" would spend ε=3\.19\d* .* in 1 training round and the audit of the final version, beyond its budget ε=3\.1/);
    expect(await fx.coordinator.store.listRounds(task.id)).toHaveLength(0);
  }, 60_000);
});
