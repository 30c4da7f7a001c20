// A task's model versions: metrics, hash, and the audit verdict of each ("no audit" when none).
import { api, ApiError } from '../api.js';
import { badge, fill, h, num, shortId, table, when } from '../dom.js';

const enc = encodeURIComponent;

/** Audit reports by model version; null when this role may not list them (member contacts). */
async function auditsByModel(signal) {
  try {
    const { reports } = await api('/api/v1/audits', { signal });
    const out = new Map();
    for (const r of reports) out.set(r.modelVersionId, [...(out.get(r.modelVersionId) ?? []), r]);
    return out;
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return null;
    throw err;
  }
}

/** A metric from the version's own metrics or its later held-out evaluation. */
const metric = (m, ...keys) => {
  for (const k of keys) {
    const v = k.split('.').reduce((o, p) => (o && typeof o === 'object' ? o[p] : undefined), m);
    if (typeof v === 'number') return v;
  }
  return undefined;
};

export async function renderModels(main, [taskId], { signal }) {
  const [{ models }, audits] = await Promise.all([api(`/api/v1/tasks/${enc(taskId)}/models`, { signal }), auditsByModel(signal)]);
  const verdict = (id) => {
    if (audits === null) return h('span', { class: 'muted' }, 'not shown to member contacts');
    const reports = audits.get(id) ?? [];
    if (!reports.length) return h('span', { class: 'no-audit muted' }, 'no audit');
    return reports.map((r) => h('a', { href: `#/audits/${enc(r.id)}`, class: 'verdict' }, badge(r.verdict)));
  };
  const rows = models.slice().reverse().map((m) => [
    `v${m.version}`, when(m.createdAt), m.roundId ? shortId(m.roundId) : 'initial',
    num(metric(m.metrics, 'evaluation.evalAuc', 'evalAuc')), num(metric(m.metrics, 'evaluation.evalLoss', 'evalLoss')), num(metric(m.metrics, 'trainLoss')),
    String(m.parameterCount), h('code', { title: m.sha256 }, `${m.sha256.slice(0, 12)}…`), verdict(m.id),
  ]);
  fill(main, h('h1', {}, 'Model versions'),
    h('p', {}, h('a', { href: `#/tasks/${enc(taskId)}` }, '← Rounds of this task')),
    h('p', { class: 'muted' }, 'AUC and loss are measured on the members\' held-out rows by the round after the one that produced the version. Download a version with consort-agent pull-model or consort-coordinator export-model.'),
    table('models', ['Version', 'Created', 'Round', 'AUC', 'Eval loss', 'Train loss', 'Parameters', 'SHA-256', 'Audit'], rows, 'no model version yet'));
}
