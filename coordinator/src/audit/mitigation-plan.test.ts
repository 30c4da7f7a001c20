// Mitigation plans from a report's released aggregates, carried and shown by the next report.
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import type { AuditAggregates } from '@consort/core';
import { syntheticAggregates, syntheticPolicy } from '../../../test/support/audit-consortium.ts';
import { signAuditReport, type AuditReportBody } from './audit-report.ts';
import { coreAuditMath } from './audit-math.ts';
import { renderAuditHtml } from './audit-html.ts';
import { planMitigation } from './mitigation-plan.ts';
import { assembleAuditReportBody } from './produce-audit-report.ts';
import { verifyAuditReport } from './verify-audit-report.ts';

const kp = nacl.sign.keyPair();
const key = { publicKey: kp.publicKey, secretKey: kp.secretKey };
const policy = syntheticPolicy();
const { aggregates } = syntheticAggregates(policy, 5);
const context = {
  model: { taskId: 't', taskName: 'churn', kind: 'model', modelVersionId: 'mv1', version: 1, sha256: 'ab'.repeat(32) },
  task: { intendedUse: 'retention', labelDefinition: 'churned', dataWindow: 'H1' },
  contributors: ['a1', 'a2', 'a3', 'a4', 'a5'], dropped: [],
};
const body = (mitigations: unknown[] = []): AuditReportBody =>
  assembleAuditReportBody(context, { policy, aggregates, roundIds: ['r'], protocol: 'secure-aggregation', minMembers: 3, mitigations }, coreAuditMath);

describe('planMitigation', () => {
  const first = signAuditReport(body(), key);

  it('per-group thresholds toward equal TPR: one threshold per released group, with trade-offs and the disparate-treatment caveat', () => {
    const m = planMitigation(first, { grouping: 'gender', kind: 'thresholds', metric: 'tpr' });
    const plan = m.plan as { groups: Array<{ key: string[]; threshold: number; after: { tpr: number } }>; overall: { spreadBefore: number; spreadAfter: number } };
    expect(m.kind).toBe('per-group-thresholds');
    expect(plan.groups.map((g) => g.key[0]).sort()).toEqual(['F', 'M']);
    expect(plan.overall.spreadAfter).toBeLessThanOrEqual(plan.overall.spreadBefore);
    expect(m.caveat).toMatch(/protected attribute/);
    expect(m.fromModelVersionId).toBe('mv1');
  });

  it('reweighing weights for every released cell of a grouping', () => {
    const m = planMitigation(first, { grouping: 'gender×age', kind: 'reweighing' });
    const plan = m.plan as { weights: unknown[]; weightedBaseRate: number };
    const released = (first.report.aggregates as AuditAggregates).groupings.find((g) => g.id === 'gender×age')!.cells.filter((c) => c.suppressed === null);
    expect(released.length).toBeGreaterThan(1);
    expect(released.length).toBeLessThan(6); // the ≥55 cells (one member) are withheld: no weights from withheld numbers
    expect(plan.weights.length).toBe(released.length);
    expect(plan.weightedBaseRate).toBeGreaterThan(0);
  });

  it('the next report carries the plans, still verifies, and its page shows them with the caveat', () => {
    const plans = [planMitigation(first, { grouping: 'gender', kind: 'thresholds' }), planMitigation(first, { grouping: 'gender', kind: 'reweighing' })];
    const next = signAuditReport(body(plans), key);
    expect(() => verifyAuditReport(next, coreAuditMath)).not.toThrow();
    const html = renderAuditHtml(next);
    expect(html).toContain('<section id="mitigations">');
    expect(html).toContain('Per-group decision thresholds are in use: they use the protected attribute at decision time');
  });
});
