// Mitigation plans from a report's released aggregates, carried and shown by the next report.
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { parseThresholdPlan, thresholdDecision, thresholdLookup, isConsortError, type AuditAggregates, type MeasuredThresholdEffect } from '@consort/core';
import { syntheticAggregates, syntheticPolicy, syntheticReportContext, syntheticRows } from '../../../test/support/audit-consortium.ts';
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
const context = syntheticReportContext;
const body = (mitigations: unknown[] = [], released: AuditAggregates = aggregates): AuditReportBody =>
  assembleAuditReportBody(context, { policy, aggregates: released, roundIds: ['r'], protocol: 'secure-aggregation', minMembers: 3, mitigations }, coreAuditMath);

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

  it('the next report measures the plan on its own histograms: exactly what members get applying it row by row, recomputed by verify', () => {
    const record = planMitigation(first, { grouping: 'gender×age', kind: 'thresholds', metric: 'tpr' });
    // The next version's audit: other rows (seed 2), same policy.
    const next = syntheticAggregates(policy, 5, 400, 2).aggregates;
    const signed = signAuditReport(body([JSON.parse(JSON.stringify(record))], next), key);
    const measured = (signed.report.mitigations[0] as { measured: MeasuredThresholdEffect }).measured;
    expect(measured.unavailable).toBeNull();
    // Independently: every member applies the plan to its rows (score, plan lookup, decision), counts pooled per released cell.
    const plan = parseThresholdPlan(JSON.parse(JSON.stringify(record)), 'plan.json');
    const lookup = thresholdLookup(plan);
    const released = new Set(next.groupings.find((g) => g.id === 'gender×age')!.cells.filter((c) => c.suppressed === null && c.n! > 0).map((c) => c.key.join('|')));
    const counts = new Map<string, { n: number; tp: number; fp: number; pos: number }>();
    let common = 0;
    for (let m = 0; m < 5; m++) {
      for (const row of syntheticRows(m, 400, 2)) {
        const t = lookup(row.values);
        if (t.miss) common++;
        const key = t.group ? t.group.join('|') : '';
        if (!released.has(key)) continue;
        const c = counts.get(key) ?? { n: 0, tp: 0, fp: 0, pos: 0 };
        const act = thresholdDecision(row.score!, t.edge, plan.plan.histogramBins);
        c.n++; c.pos += row.label!; c.tp += act * row.label!; c.fp += act * (1 - row.label!);
        counts.set(key, c);
      }
    }
    expect(common).toBeGreaterThan(0); // the ≥55 cells are withheld in the first report: their rows get the common threshold
    for (const g of measured.groups.filter((x) => x.after)) {
      const c = counts.get(g.key.join('|'))!;
      expect(g.n).toBe(c.n);
      expect(g.after!.tpr).toBe(c.tp / c.pos);
      expect(g.after!.fpr).toBe(c.fp / (c.n - c.pos));
      expect(g.after!.selectionRate).toBe((c.tp + c.fp) / c.n);
    }
    expect(measured.overall!.spreadAfter).toBeLessThan(measured.overall!.spreadBefore);
    const v = verifyAuditReport(signed, coreAuditMath);
    expect(v.recomputedValues).toBeGreaterThan(0);
    const html = renderAuditHtml(signed);
    expect(html).toContain('Measured on this version');
    expect(html).toContain('class="measured-effect"');
  });

  it('verify refuses a report whose measured effect does not follow from its aggregates, even re-signed', () => {
    const record = planMitigation(first, { grouping: 'gender', kind: 'thresholds' });
    const b = body([record]);
    const m = b.mitigations[0] as { measured: MeasuredThresholdEffect };
    m.measured.overall!.spreadAfter += 0.01;
    let err: unknown;
    try { verifyAuditReport(signAuditReport(b, key), coreAuditMath); } catch (e) { err = e; }
    expect(isConsortError(err, 'AUDIT_RECOMPUTE_MISMATCH')).toBe(true);
    expect((err as Error).message).toMatch(/\$\.report\.mitigations\[0\]\.measured\.overall\.spreadAfter/);
    // Removing the measured effect (and re-signing) does not dodge the recomputation.
    delete (b.mitigations[0] as { measured?: unknown }).measured;
    expect(() => verifyAuditReport(signAuditReport(b, key), coreAuditMath)).toThrow(/mitigations\[0\]\.measured is missing/);
  });

  it('a plan made before plans carried attributes is recorded but measured as unreadable, deterministically', () => {
    const { attributes: _a, ...old } = planMitigation(first, { grouping: 'gender', kind: 'thresholds' });
    const oldPlan = { ...old, plan: { ...(old.plan as object), commonThreshold: undefined } };
    const signed = signAuditReport(body([JSON.parse(JSON.stringify(oldPlan))]), key);
    expect((signed.report.mitigations[0] as { measured: MeasuredThresholdEffect }).measured.unavailable).toMatch(/not a per-group thresholds plan this coordinator can read/);
    expect(() => verifyAuditReport(signed, coreAuditMath)).not.toThrow();
  });
});
