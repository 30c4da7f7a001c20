// Audit reports: the list with verdicts, and one report's HTML page shown in a sandboxed frame.
import { api, apiText } from '../api.js';
import { badge, fill, h, shortId, table, when } from '../dom.js';

const enc = encodeURIComponent;

export async function renderAudits(main, _params, { signal }) {
  const { reports } = await api('/api/v1/audits', { signal });
  fill(main, h('h1', {}, 'Audit reports'),
    h('p', { class: 'muted' }, 'Each report is signed canonical JSON (GET /api/v1/audits/<id>); verify it offline with the coordinator\'s public key.'),
    table('audits', ['Report', 'Task', 'Model version', 'Verdict', 'Created'], reports.map((r) => [
      h('a', { href: `#/audits/${enc(r.id)}` }, shortId(r.id)), r.taskName ?? shortId(r.taskId),
      r.modelVersion !== undefined ? `v${r.modelVersion}` : shortId(r.modelVersionId), badge(r.verdict), when(r.createdAt),
    ]), 'no audit report yet'));
}

export async function renderAudit(main, [reportId], { signal }) {
  const [{ summary }, html] = await Promise.all([api(`/api/v1/audits/${enc(reportId)}`, { signal }), apiText(`/api/v1/audits/${enc(reportId)}/html`)]);
  // The report's own page, with no script and no way to reach anything (sandbox without permissions).
  const frame = h('iframe', { id: 'report', title: `audit report ${reportId}`, sandbox: '', class: 'report' });
  frame.srcdoc = html;
  fill(main, h('h1', {}, 'Audit report ', shortId(reportId)),
    h('p', {}, h('a', { href: '#/audits' }, '← Audit reports'), ' · verdict ', badge(summary.verdict), ' · created ', when(summary.createdAt),
      ...(summary.taskName ? [' · ', summary.taskName, summary.modelVersion !== undefined ? ` v${summary.modelVersion}` : ''] : []),
      ' · HTML: ', h('code', {}, `/api/v1/audits/${reportId}/html`), ' · JSON: ', h('code', {}, `/api/v1/audits/${reportId}`)),
    frame);
}
