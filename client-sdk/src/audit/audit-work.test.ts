// The member's audit step refuses a policy its rows cannot answer, naming the columns.
import { describe, expect, it } from 'vitest';
import { isConsortError, parseAuditPolicy, policyHash, type AuditWorkOrder, type FeaturePipeline } from '@consort/core';
import { auditVector } from './audit-work.ts';

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
});
