// The member's audit step refuses a policy its rows cannot answer, naming the columns, and a work
// order whose DP noise is not the one its pinned task fixes (a hostile coordinator lowering it).
import { describe, expect, it } from 'vitest';
import { auditNoiseFor, auditSumLayout, isConsortError, parseAuditPolicy, policyHash, resolvePrivacyOptions, type AuditWorkOrder, type FeaturePipeline } from '@consort/core';
import { auditNoiseOfTask, auditVector } from './audit-work.ts';

const policy = parseAuditPolicy({ attributes: [{ name: 'gender', column: 'gender', groups: ['Female', 'Male'] }, { name: 'senior', column: 'SeniorCitizen', groups: ['0', '1'] }] });
const order: AuditWorkOrder = { kind: 'audit', policy, policyHash: policyHash(policy), maxRows: 1000 };

describe('audit work', () => {
  it('declines with DATA_INVALID naming the policy columns the prepared rows lack', async () => {
    const rows = [{ gender: 'female', senior_citizen: '0', churned: '1' }];
    const err = await auditVector(order, { spec: { kind: 'logistic', task: 'binary', inputDim: 1 }, weights: new Float32Array(2), pipeline: {} as FeaturePipeline, rows, file: 'm1.csv' }, 5)
      .then(() => undefined, (e: unknown) => e);
    expect(isConsortError(err) && err.code).toBe('DATA_INVALID');
    expect(String((err as Error).message)).toMatch(/column "SeniorCitizen", which m1\.csv does not have; the policy must name the prepared columns/);
  });

  it('takes the audit noise from the pinned task and refuses a work order that lowers, drops or adds it', () => {
    const privacy = resolvePrivacyOptions({ level: 'customer', epsilon: 4, noiseMultiplier: 1, clipNorm: 1, auditNoiseMultiplier: 3 })!;
    const noise = auditNoiseFor(policy, 3);
    expect(auditNoiseOfTask({ ...order, noise }, privacy)).toEqual(noise);
    expect(auditNoiseOfTask(order, undefined)).toBeUndefined();
    const refused = (o: AuditWorkOrder, p: typeof privacy | undefined) => {
      try { auditNoiseOfTask(o, p); return 'accepted'; } catch (err) { return isConsortError(err) ? err.code : String(err); }
    };
    expect(refused(order, privacy)).toBe('ROUND_POLICY_REFUSED');
    expect(refused({ ...order, noise: { ...noise, noiseMultiplier: 0.1 } }, privacy)).toBe('ROUND_POLICY_REFUSED');
    expect(refused({ ...order, noise: { ...noise, sensitivity: noise.sensitivity / 10 } }, privacy)).toBe('ROUND_POLICY_REFUSED');
    expect(refused({ ...order, noise: { ...noise, headroom: 1 } }, privacy)).toBe('ROUND_POLICY_REFUSED');
    expect(refused({ ...order, noise }, undefined)).toBe('ROUND_POLICY_REFUSED');
    // The DP vector is one entry longer (the "noised" marker): an agent that knows no audit noise refuses the round's layout.
    expect(auditSumLayout({ ...order, noise }, 5).length).toBe(auditSumLayout(order, 5).length + 1);
  });
});
