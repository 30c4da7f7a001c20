// The HTML page of a task's rounds and model versions: what an operator looks at after training.
import type { BinaryEvaluation, SegmentProfile } from '@consort/core';
import type { Store } from '../store/store.ts';
import { escapeHtml, lineChart } from './html.ts';
import { formatStageSeconds } from './stage-summary.ts';

interface PrivacyMetrics { epsilon: number; memberEpsilon: number; delta: number; budgetEpsilon: number; level: string }

interface VersionMetrics {
  privacy?: PrivacyMetrics;
  trainLoss?: number;
  aggregation?: string;
  evaluation?: { evalLoss: number; evalAuc: number | null; evalExamples: number; evalRmse?: number; evalMae?: number; evalDetail?: BinaryEvaluation };
}

interface SegmentationMetrics {
  kind: 'segmentation';
  k: number;
  minClusterCount: number;
  profiles: { overall: { size: number; features: { name: string; mean: number }[]; churnRate?: number; meanValue?: number }; segments: SegmentProfile[] };
}

interface StoredWarning { code: string; message: string; column?: string }

/** A round's stored warnings (older rounds have none). */
function warningsOf(metrics: Record<string, unknown>): StoredWarning[] {
  return Array.isArray(metrics.warnings) ? (metrics.warnings as StoredWarning[]) : [];
}

/** Every warning of every round, first in the page: nothing a round saw goes unsaid. */
function warningsSection(rounds: { number: number; metrics?: unknown }[]): string {
  const rows = rounds.flatMap((r) => warningsOf((r.metrics ?? {}) as Record<string, unknown>).map((w) =>
    `<tr><td>${r.number}</td><td><code>${escapeHtml(w.code)}</code></td><td>${escapeHtml(w.column ?? '')}</td><td class="desc">${escapeHtml(w.message)}</td></tr>`));
  if (rows.length === 0) return '<p class="note" id="no-warnings">No round raised a warning (clipped values, non-finite inputs, diverged loss, constant scores, AUC drops, zero-variance columns).</p>';
  return `<h2 class="warn">Warnings (${rows.length})</h2>
<table id="warnings"><tr><th>round</th><th>code</th><th>column</th><th>what happened and what to do</th></tr>
${rows.join('\n')}</table>`;
}

/** Where a secure round's time went; '–' for plain rounds. */
function stageCell(stageSeconds: unknown): string {
  const line = formatStageSeconds(stageSeconds);
  return line ? `<span class="stages">${escapeHtml(line)}</span>` : '–';
}

/** Segment profiles of a segmentation model: a share bar chart and a profile table (aggregates only). */
function segmentationSection(vm: { v: { version: number }; m: Record<string, unknown> }[]): string {
  const last = [...vm].reverse().find(({ m }) => m.kind === 'segmentation');
  if (!last) return '';
  const m = last.m as unknown as SegmentationMetrics;
  const segs = m.profiles.segments;
  const featureNames = m.profiles.overall.features.map((f) => f.name);
  const width = 640;
  const bar = 26;
  const maxShare = Math.max(...segs.map((s) => s.share ?? 0), 0.01);
  const bars = segs.map((s, i) => {
    const w = ((s.share ?? 0) / maxShare) * (width - 380);
    return `<text x="0" y="${i * (bar + 8) + 18}" font-size="12">${escapeHtml(s.name)}</text>
<rect x="310" y="${i * (bar + 8)}" width="${w.toFixed(1)}" height="${bar}" fill="${s.suppressed ? '#ccc' : '#1f6feb'}"><title>${escapeHtml(s.name)}: ${s.suppressed ? 'suppressed' : `${((s.share ?? 0) * 100).toFixed(1)} %`}</title></rect>
<text x="${(316 + w).toFixed(1)}" y="${i * (bar + 8) + 18}" font-size="12">${s.suppressed ? 'suppressed' : `${((s.share ?? 0) * 100).toFixed(1)} %`}</text>`;
  }).join('');
  const head = `<tr><th>segment</th><th>customers</th><th>share</th>${featureNames.map((f) => `<th>${escapeHtml(f)} (mean)</th>`).join('')}<th>churn rate</th><th>mean value</th><th>description</th></tr>`;
  const rows = segs.map((s) => s.suppressed
    ? `<tr class="aborted"><td>${escapeHtml(s.name)}</td><td colspan="${featureNames.length + 5}">suppressed: fewer than ${m.minClusterCount} customers</td></tr>`
    : `<tr><td>${escapeHtml(s.name)}</td><td>${s.size}</td><td>${fmt(s.share, 3)}</td>${s.features.map((f) => `<td>${fmt(f.mean, 1)}</td>`).join('')}<td>${fmt(s.churnRate, 3)}</td><td>${fmt(s.meanValue, 1)}</td><td class="desc">${escapeHtml(s.description)}</td></tr>`).join('\n');
  const o = m.profiles.overall;
  return `<h2>Segments of model v${last.v.version} (k = ${m.k})</h2>
<p class="note">Profiles come from securely summed per-segment counts, sums and sums of squares only; segments under ${m.minClusterCount} customers are suppressed. All customers: ${o.size}${o.churnRate !== undefined ? `, churn rate ${fmt(o.churnRate, 3)}` : ''}.</p>
<figure><svg role="img" aria-label="Segment shares" width="${width}" height="${segs.length * (bar + 8)}" xmlns="http://www.w3.org/2000/svg">${bars}</svg><figcaption>Share of customers per segment</figcaption></figure>
<table id="segments">${head}
${rows}</table>`;
}

/** Threshold table and reliability chart of the newest evaluated model. */
function latestModelSection(vm: { v: { version: number }; m: VersionMetrics }[]): string {
  const last = [...vm].reverse().find(({ m }) => m.evaluation);
  if (!last) return '';
  const e = last.m.evaluation!;
  if (e.evalRmse !== undefined) {
    return `<h2>Model v${last.v.version} on held-out rows</h2><p>RMSE ${fmt(e.evalRmse)} · MAE ${fmt(e.evalMae)} · ${e.evalExamples} rows</p>`;
  }
  const d = e.evalDetail;
  if (!d) return '';
  const rows = d.thresholds.map((t) => `<tr><td>${t.threshold.toFixed(2)}</td><td>${t.tp}</td><td>${t.fp}</td><td>${t.tn}</td><td>${t.fn}</td><td>${fmt(t.precision, 3)}</td><td>${fmt(t.recall, 3)}</td><td>${fmt(t.f1, 3)}</td><td>${fmt(t.selectionRate, 3)}</td></tr>`).join('\n');
  const cal = d.calibration.filter((b) => b.count > 0);
  return `<h2>Model v${last.v.version} on held-out rows</h2>
<p class="note">AUC ${fmt(d.auc)} · ${d.positives} positives, ${d.negatives} negatives · expected calibration error ${fmt(d.ece, 3)}. Counts are federated sums; a row is flagged when its score ≥ the threshold.</p>
<table id="thresholds"><tr><th>threshold</th><th>TP</th><th>FP</th><th>TN</th><th>FN</th><th>precision</th><th>recall</th><th>F1</th><th>selection rate</th></tr>
${rows}</table>
${lineChart('Calibration: observed churn rate vs mean score (10 score bins)', [
    { name: 'observed', color: '#1a7f37', points: cal.map((b) => ({ x: Number(b.predicted.toFixed(3)), y: b.observed })) },
    { name: 'perfect', color: '#999', points: cal.map((b) => ({ x: Number(b.predicted.toFixed(3)), y: b.predicted })) },
  ], { xLabel: 'mean score in bin' })}`;
}

const fmt = (x: unknown, d = 4) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '–');

/**
 * The task's privacy budget (docs/privacy.md): what is spent after the last round, against the
 * budget, and per model version. Empty for tasks without differential privacy.
 */
function privacySection(rounds: { number: number; metrics?: unknown }[], vm: { v: { version: number }; m: VersionMetrics }[]): string {
  const spent = rounds.map((r) => ((r.metrics ?? {}) as { privacy?: PrivacyMetrics }).privacy).filter((p): p is PrivacyMetrics => p !== undefined);
  const last = spent.at(-1);
  if (!last) return '';
  const rows = vm.filter(({ m }) => m.privacy).map(({ v, m }) => `<tr><td>v${v.version}</td><td>${m.privacy!.epsilon.toFixed(3)}</td>${last.level === 'member' ? `<td>${m.privacy!.memberEpsilon.toFixed(3)}</td>` : ''}</tr>`).join('\n');
  return `<h2>Differential privacy</h2>
<p class="note">Level <b>${escapeHtml(last.level)}</b> · spent <b>ε = ${last.epsilon.toFixed(3)}</b> of the budget ε = ${last.budgetEpsilon} at δ = ${last.delta}
(every noisy release of the task, for each customer)${last.level === 'member' ? ` · ε = ${last.memberEpsilon.toFixed(3)} for each member as a whole (training)` : ''}.
Rényi-DP accounting of the sampled Gaussian mechanism; the preprocessing statistics round is noised and charged only when the task sets privacy.statistics (docs/privacy.md).</p>
<table id="privacy"><tr><th>version</th><th>ε spent (customer)</th>${last.level === 'member' ? '<th>ε spent (member)</th>' : ''}</tr>
${rows}</table>`;
}

/** Renders a self-contained page (inline CSS and SVG, no scripts, no external requests). */
export async function renderRoundsReport(store: Store, taskId: string): Promise<string> {
  const task = await store.getTask(taskId);
  const rounds = await store.listRounds(taskId);
  const versions = await store.listModelVersions(taskId);
  const vm = versions.map((v) => ({ v, m: v.metrics as VersionMetrics }));
  const auc = vm.filter(({ m }) => m.evaluation?.evalAuc != null).map(({ v, m }) => ({ x: v.version, y: m.evaluation!.evalAuc! }));
  const evalLoss = vm.filter(({ m }) => m.evaluation).map(({ v, m }) => ({ x: v.version, y: m.evaluation!.evalLoss }));
  const trainLoss = vm.filter(({ m }) => typeof m.trainLoss === 'number').map(({ v, m }) => ({ x: v.version, y: m.trainLoss! }));
  const roundRows = rounds.map((r) => {
    const m = (r.metrics ?? {}) as Record<string, unknown>;
    const purpose = String(m.purpose ?? '');
    const evaluated = purpose === 'train' || purpose === 'evaluate';
    return `<tr class="${escapeHtml(r.state)}"><td>${r.number}</td><td>${escapeHtml(purpose)}</td><td>${escapeHtml(r.state)}</td><td>${escapeHtml(String(m.aggregation ?? ''))}</td>
<td>${r.participants.length - r.dropped.length} of ${r.participants.length}</td><td>${r.dropped.length}</td><td>${purpose === 'train' ? fmt(m.trainLoss) : '–'}</td><td>${evaluated ? fmt(m.evalLoss) : '–'}</td><td>${evaluated ? fmt(m.evalAuc) : '–'}</td>
<td>${stageCell(m.stageSeconds)}</td><td>${warningsOf(m).map((w) => `<span class="warning" title="${escapeHtml(w.message)}">${escapeHtml(w.code)}</span>`).join(' ')}</td><td>${escapeHtml(r.reason ?? '')}${r.dropped.length ? `<details><summary>dropped</summary><ul>${r.dropped.map((d) => `<li>${escapeHtml(d)}</li>`).join('')}</ul></details>` : ''}</td></tr>`;
  }).join('\n');
  const versionRows = vm.map(({ v, m }) => `<tr><td>v${v.version}</td><td>${fmt(m.trainLoss)}</td><td>${fmt(m.evaluation?.evalLoss)}</td><td>${fmt(m.evaluation?.evalAuc)}</td><td>${m.evaluation?.evalExamples ?? '–'}</td><td><code>${escapeHtml(v.sha256.slice(0, 16))}</code></td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(task.name)} — Consort rounds</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f4f4f4}
td:nth-child(2),td:nth-child(3),td:last-child{text-align:left}tr.aborted{background:#fff2f0}figure{display:inline-block;margin:0 1rem 1rem 0}
.note{color:#555;font-size:.9rem}.warning{color:#9a6700;font-weight:600;font-size:.8rem}h2.warn{color:#9a6700}td.desc{min-width:320px;text-align:left;font-size:.85rem}
</style></head><body>
<h1>${escapeHtml(task.name)}</h1>
<p class="note">Task <code>${escapeHtml(task.id)}</code> · aggregation <b>${escapeHtml(task.aggregation)}</b> · at least ${task.minMembers} members per round ·
held-out metrics are federated (summed over members' test splits; AUC from summed score histograms) and belong to the model a round started from.</p>
${warningsSection(rounds)}
${privacySection(rounds, vm)}
${auc.length ? lineChart('Held-out AUC by model version', [{ name: 'held-out AUC', color: '#1f6feb', points: auc }]) : ''}
${evalLoss.length || trainLoss.length ? lineChart('Loss by model version', [{ name: 'held-out loss', color: '#d1242f', points: evalLoss }, { name: 'train loss (members, local)', color: '#8250df', points: trainLoss }]) : ''}
${latestModelSection(vm)}
${segmentationSection(vm.map(({ v, m }) => ({ v, m: m as unknown as Record<string, unknown> })))}
<h2>Model versions</h2>
<table id="versions"><tr><th>version</th><th>train loss</th><th>held-out loss</th><th>held-out AUC</th><th>held-out rows</th><th>sha256</th></tr>
${versionRows}</table>
<h2>Rounds</h2>
<table id="rounds"><tr><th>#</th><th>purpose</th><th>state</th><th>aggregation</th><th>members</th><th>dropped</th><th>train loss</th><th>held-out loss</th><th>held-out AUC</th><th title="seconds each secure-aggregation stage waited for its members">secure stages (s)</th><th>warnings</th><th>notes</th></tr>
${roundRows}</table>
<p class="note">Generated ${new Date().toISOString()} by Consort.</p>
</body></html>
`;
}
