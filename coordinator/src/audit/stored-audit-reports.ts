// The coordinator's stored audit reports as the HTTP API serves them to auditors: list, the signed JSON, the page (verified on the way out).
import { formatError, isConsortError } from '@consort/core';
import type { AuditReportSource, AuditReportSummary } from '../http/api-deps.ts';
import type { AuditReportMeta, Store } from '../store/store.ts';
import { renderAuditHtml, type AuditPageVerification } from './audit-html.ts';
import { coreAuditMath } from './audit-math.ts';
import { signedReportOf } from './produce-audit-report.ts';
import { verifyAuditReport } from './verify-audit-report.ts';

/** A report's summary; `taskName` when the caller already holds the task (the list walks tasks). */
async function summaryOf(store: Store, m: AuditReportMeta, taskName?: string): Promise<AuditReportSummary> {
  const [name, version] = await Promise.all([taskName ?? store.getTask(m.taskId).then((t) => t.name), store.getModelVersionMeta(m.modelVersionId)]);
  return { id: m.id, taskId: m.taskId, taskName: name, modelVersionId: m.modelVersionId, modelVersion: version.version, createdAt: m.createdAt, verdict: m.verdict };
}

/**
 * Reports from the store. The page is rendered from the signed document after verifying it against
 * `coordinatorPublicKey` and recomputing its numbers, so a report edited in the database shows as
 * NOT verified instead of being served as sound.
 */
export function storedAuditReports(store: Store, coordinatorPublicKey: Uint8Array): AuditReportSource {
  return {
    async list() {
      const out: AuditReportSummary[] = [];
      for (const f of await store.listFederations()) {
        for (const t of await store.listTasks(f.id)) out.push(...await Promise.all((await store.listAuditReports(t.id)).map((m) => summaryOf(store, m, t.name))));
      }
      return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    },
    async get(id) {
      let record;
      try {
        record = await store.getAuditReport(id);
      } catch (err) {
        if (isConsortError(err) && err.code === 'NOT_FOUND') return undefined;
        throw err;
      }
      const signed = signedReportOf(record);
      let verification: AuditPageVerification;
      try {
        const v = verifyAuditReport(signed, coreAuditMath, { trustedPublicKey: coordinatorPublicKey });
        verification = { ok: true, detail: `signature by coordinator key ${v.publicKeyFingerprint}; ${v.recomputedValues} values recomputed from the aggregates, all equal` };
      } catch (err) {
        verification = { ok: false, detail: formatError(err) };
      }
      return { summary: await summaryOf(store, record), json: signed, html: renderAuditHtml(signed, verification) };
    },
  };
}
