// The coordinator's budget: planned-run refusal, per-round worst case, charges replayed from the audit log.
import { describe, expect, it } from 'vitest';
import { PrivacyLedger, auditCharge, isConsortError, resolveTaskDefinition, type TaskDefinition } from '@consort/core';
import type { AuditEventInput, AuditEventRecord } from '../store/store.ts';
import { chargeRound, checkAuditFits, checkPlannedRun, checkRoundFits, loadLedger, roundCharges, worstCaseCharges } from './privacy-budget.ts';

function task(privacy: Record<string, unknown>, extra: Record<string, unknown> = {}): TaskDefinition {
  return resolveTaskDefinition({ name: 'dp', label: 'churned', numeric: ['a'], minMembers: 3, ...extra, privacy });
}

/** An in-memory audit log with the Store's two audit methods. */
function auditLog() {
  const events: AuditEventRecord[] = [];
  return {
    events,
    async appendAuditEvent(e: AuditEventInput): Promise<AuditEventRecord> {
      const rec = { ...e, id: events.length + 1, at: new Date() };
      events.push(rec);
      return rec;
    },
    async listAuditEvents(f: { subjectId?: string; kind?: string } = {}): Promise<AuditEventRecord[]> {
      return events.filter((e) => (!f.subjectId || e.subjectId === f.subjectId) && (!f.kind || e.kind === f.kind));
    },
  };
}

const refusal = (fn: () => unknown) => {
  try { fn(); } catch (e) { return e; }
  return undefined;
};

describe('privacy budget on the coordinator', () => {
  it('refuses to start a run whose planned rounds exceed the budget, naming how many fit', async () => {
    const def = task({ level: 'member', epsilon: 2, noiseMultiplier: 6, clipNorm: 1 });
    const ledger = await loadLedger(auditLog(), 't', def.privacy!);
    const err = refusal(() => checkPlannedRun(def, def.privacy!, ledger, 200));
    expect(isConsortError(err, 'PRIVACY_BUDGET_EXHAUSTED')).toBe(true);
    const fit = (err as { details: { roundsThatFit: number } }).details.roundsThatFit;
    expect(fit).toBeGreaterThan(0);
    expect(fit).toBeLessThan(200);
    expect((err as Error).message).toContain(`${fit} rounds fit: lower maxRounds (or --rounds) to ${fit} for this run`);
    expect((err as Error).message).toContain('define a new task with a larger privacy.noiseMultiplier');
    expect((err as Error).message).not.toContain('raise privacy');
    expect(checkPlannedRun(def, def.privacy!, ledger, fit)).toBeLessThanOrEqual(2);
  });

  it('charges rounds into the audit log, replays them, and refuses the round whose worst case would pass the budget', async () => {
    const def = task({ level: 'member', epsilon: 3, noiseMultiplier: 8, clipNorm: 1 });
    const log = auditLog();
    let ledger = await loadLedger(log, 't', def.privacy!);
    let rounds = 0;
    for (;;) {
      const e = refusal(() => checkRoundFits(def, def.privacy!, ledger, 'train', rounds + 1, 10));
      if (e) {
        expect(isConsortError(e, 'PRIVACY_BUDGET_EXHAUSTED')).toBe(true);
        break;
      }
      rounds++;
      // Members drop: 7 of 10 survive, less noise than planned, charged as such.
      const status = await chargeRound(log, 't', ledger, roundCharges(def, def.privacy!, { purpose: 'train', round: rounds, invited: 10, survivors: 7 }), def.privacy!);
      expect(status.epsilon).toBeLessThanOrEqual(3);
      expect(rounds).toBeLessThan(1000);
    }
    expect(rounds).toBeGreaterThan(1);
    expect(log.events).toHaveLength(rounds);
    ledger = await loadLedger(log, 't', def.privacy!);
    expect(ledger.charges).toHaveLength(rounds);
    expect(ledger.spent().customer.epsilon).toBeLessThanOrEqual(3);
    expect(ledger.spent().member.epsilon).toBeCloseTo(ledger.spent().customer.epsilon, 10);
  });

  it('worst case assumes only minMembers survive a secure round; a plain round is unaffected by dropouts', () => {
    const secure = task({ level: 'customer', epsilon: 5, noiseMultiplier: 1, clipNorm: 1, releaseNoiseMultiplier: 10 });
    const [, ev] = worstCaseCharges(secure, secure.privacy!, 'train', 1, 12);
    expect(ev.noiseMultiplier).toBeCloseTo(10 * Math.sqrt(3 / 12), 12);
    const plain = task({ level: 'customer', epsilon: 5, noiseMultiplier: 1, clipNorm: 1, releaseNoiseMultiplier: 10 }, { aggregation: 'plain' });
    const [, evPlain] = worstCaseCharges(plain, plain.privacy!, 'train', 1, 12);
    expect(evPlain.noiseMultiplier).toBe(10);
    expect(roundCharges(plain, plain.privacy!, { purpose: 'statistics', round: 1, invited: 5, survivors: 5 })).toEqual([]);
  });

  it('a run of an audited task plans the audit of its final version: a plan that fits without it may not fit with it', async () => {
    const def = task({ level: 'member', epsilon: 2, noiseMultiplier: 6, clipNorm: 1, auditNoiseMultiplier: 2 });
    const ledger = await loadLedger(auditLog(), 't', def.privacy!);
    const without = checkPlannedRun(def, def.privacy!, ledger, 1);
    expect(without).toBeLessThan(2);
    const err = refusal(() => checkPlannedRun(def, def.privacy!, ledger, 1, { withAudit: true }));
    expect(isConsortError(err, 'PRIVACY_BUDGET_EXHAUSTED')).toBe(true);
    expect((err as Error).message).toContain('and the audit of the final version');
    const roomy = task({ level: 'member', epsilon: 6, noiseMultiplier: 6, clipNorm: 1 });
    expect(checkPlannedRun(roomy, roomy.privacy!, ledger, 1, { withAudit: true })).toBeGreaterThan(checkPlannedRun(roomy, roomy.privacy!, ledger, 1));
  });

  it('a run that ends with an audit stops training while the audit\'s worst case still fits', async () => {
    const def = task({ level: 'member', epsilon: 3, noiseMultiplier: 8, clipNorm: 1, auditNoiseMultiplier: 3 });
    const log = auditLog();
    const ledger = await loadLedger(log, 't', def.privacy!);
    const trainUntilRefused = (reserveAudit: boolean) => {
      let rounds = 0;
      const l = PrivacyLedger.fromCharges(ledger.budget, ledger.charges);
      while (!refusal(() => checkRoundFits(def, def.privacy!, l, 'train', rounds + 1, 10, reserveAudit)) && rounds < 1000) {
        l.recordReleased(roundCharges(def, def.privacy!, { purpose: 'train', round: ++rounds, invited: 10, survivors: 7 }));
      }
      return { rounds, ledger: l };
    };
    const plain = trainUntilRefused(false);
    const reserved = trainUntilRefused(true);
    expect(reserved.rounds).toBeLessThan(plain.rounds);
    expect(reserved.rounds).toBeGreaterThan(0);
    // What training left is enough for the audit's worst case at 10 invited; without the reserve it is not.
    expect(refusal(() => checkAuditFits(def, def.privacy!, reserved.ledger, 10, 1))).toBeUndefined();
    expect(isConsortError(refusal(() => checkAuditFits(def, def.privacy!, plain.ledger, 10, 1)), 'PRIVACY_BUDGET_EXHAUSTED')).toBe(true);
    expect((refusal(() => checkRoundFits(def, def.privacy!, reserved.ledger, 'train', 99, 10, true)) as Error).message).toContain('with the final version\'s audit it must leave room for');
  });

  it('refuses an audit whose worst case (only minMembers of the invited survive) could pass the budget; the version stays unaudited', async () => {
    const def = task({ level: 'customer', epsilon: 1.5, noiseMultiplier: 1, clipNorm: 1, auditNoiseMultiplier: 4 });
    const log = auditLog();
    const ledger = await loadLedger(log, 't', def.privacy!);
    // A fresh budget holds the audit at full strength.
    expect(refusal(() => checkAuditFits(def, def.privacy!, ledger, 3, 2))).toBeUndefined();
    // Spend most of it, then the audit no longer fits with 10 invited (3 may survive: σ·√(3/10)).
    await chargeRound(log, 't', ledger, auditCharge(6, 1, 1, 1), def.privacy!);
    const err = refusal(() => checkAuditFits(def, def.privacy!, ledger, 10, 2));
    expect(isConsortError(err, 'PRIVACY_BUDGET_EXHAUSTED')).toBe(true);
    expect((err as Error).message).toMatch(/model version 2 stays unaudited.*define a new task with a larger budget/);
    expect(ledger.charges).toHaveLength(1);
  });
});
