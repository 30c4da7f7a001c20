// The audit report as a static page an auditor opens offline: verdicts, a plain-language summary,
// the group table and charts as inline SVG (no script, no external request).
import { keyFingerprint, rocFromHistograms } from '@consort/core';
import type { AuditAggregates, AuditPolicy, AuditResult, CheckResult, GroupingResult, MeasuredThresholdEffect, MetricValue, Verdict } from '@consort/core';
import { escapeHtml } from '../reports/html.ts';
import type { SignedAuditReport } from './audit-report.ts';
import { segmentationSections, segmentationSummary } from './audit-segmentation-html.ts';

/** What the page says about the file's own checks (verify's outcome), when known. */
export interface AuditPageVerification {
  ok: boolean;
  /** `CODE: message` when verification failed; the key fingerprint and recomputed count when it passed. */
  detail: string;
}

const VERDICT_COLOUR: Record<Verdict, string> = { pass: '#1a7f37', fail: '#cf222e', inconclusive: '#9a6700' };
const PALETTE = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df', '#bc4c00', '#0a7ea4', '#bf3989', '#57606a'];

const e = (v: unknown): string => escapeHtml(String(v));
const badge = (v: Verdict, text: string = v): string => `<span class="badge ${v}" style="background:${VERDICT_COLOUR[v]}">${e(text)}</span>`;
const fmt = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)} %`);

function metricCell(m: MetricValue | undefined): string {
  if (!m || m.value === null) return '<td class="na">–</td>';
  const ci = m.interval ? `<span class="ci">[${fmt(m.interval[0])}, ${fmt(m.interval[1])}]</span>` : '';
  return `<td title="${e(m.convention)}; interval: ${e(m.method)}">${fmt(m.value)} ${ci}</td>`;
}

/** Reads a body's typed parts; the body is unknown JSON until verified, so every access is defensive. */
function parts(signed: SignedAuditReport): { result: AuditResult; aggregates: AuditAggregates; policy: AuditPolicy } {
  return { result: signed.report.result as AuditResult, aggregates: signed.report.aggregates as AuditAggregates, policy: signed.report.policy as AuditPolicy };
}

function groupTable(g: GroupingResult, threshold: number): string {
  const head = '<tr><th>group</th><th>rows</th><th>members</th><th>base rate</th><th>selection rate</th><th>TPR</th><th>FPR</th><th>FNR</th><th>PPV</th><th>NPV</th><th>accuracy</th><th>AUC</th></tr>';
  const rows = g.groups.map((r) => {
    const t = r.atThreshold.find((x) => x.threshold === threshold) ?? r.atThreshold[0];
    if (r.suppressed) {
      return `<tr class="suppressed" data-group="${e(r.label)}"><td>${e(r.label)}</td><td>${r.n ?? '&lt; min'}</td><td>${r.members}</td><td colspan="9" class="na">suppressed (${e(r.suppressed.replace(/-/g, ' '))})</td></tr>`;
    }
    return `<tr data-group="${e(r.label)}"><td>${e(r.label)}</td><td>${r.n}</td><td>${r.members}</td>${metricCell(r.baseRate)}${metricCell(t?.selectionRate)}${metricCell(t?.tpr)}${metricCell(t?.fpr)}${metricCell(t?.fnr)}${metricCell(t?.ppv)}${metricCell(t?.npv)}${metricCell(t?.accuracy)}${metricCell(r.auc)}</tr>`;
  }).join('');
  return `<table class="groups" data-grouping="${e(g.id)}"><caption>${e(g.id)}${g.controlled ? ' (within the control)' : ''}, threshold ${threshold}</caption>${head}${rows}</table>`;
}

/** Ratio of each check with its interval against the band, on a log axis (a ratio of 2 and of 0.5 are equally far from 1). */
function disparityChart(checks: CheckResult[], band: { lo: number; hi: number }): string {
  const shown = checks.filter((c) => c.ratio !== null && c.ratio > 0);
  const rowH = 18;
  const labelOf = (c: CheckResult) => `${c.grouping}${c.stratum ? ` | ${c.stratum}` : ''}: ${c.group} vs ${c.reference} · ${c.metric} @ ${c.threshold}`;
  // Room for the longest label (≈ 6.3 px a character at 11 px) and for "inconclusive" on the right.
  const longest = Math.max(0, ...shown.map((c) => labelOf(c).length));
  const pad = { l: Math.max(300, Math.ceil(longest * 6.3) + 16), r: 96, t: 30, b: 30 };
  const width = pad.l + 480 + pad.r;
  const height = pad.t + pad.b + Math.max(1, shown.length) * rowH;
  const values = shown.flatMap((c) => [c.ratio!, ...(c.interval ?? [])]).filter((x) => x > 0 && Number.isFinite(x));
  const lo = Math.min(band.lo / 1.5, ...values);
  const hi = Math.max(band.hi * 1.5, ...values);
  const [l0, l1] = [Math.log(lo), Math.log(hi)];
  const sx = (x: number) => pad.l + ((Math.log(Math.min(Math.max(x, lo), hi)) - l0) / (l1 - l0)) * (width - pad.l - pad.r);
  const rows = shown.map((c, i) => {
    const y = pad.t + i * rowH + rowH / 2;
    const ci = c.interval && c.interval[0] > 0 ? `<line x1="${sx(c.interval[0]).toFixed(1)}" x2="${sx(c.interval[1]).toFixed(1)}" y1="${y}" y2="${y}" stroke="#444" stroke-width="1.5"/>` : '';
    const label = labelOf(c);
    return `<g class="check" data-verdict="${c.verdict}"><text x="${pad.l - 6}" y="${y + 4}" font-size="11" text-anchor="end">${e(label)}</text>${ci}<circle cx="${sx(c.ratio!).toFixed(1)}" cy="${y}" r="4" fill="${VERDICT_COLOUR[c.verdict]}"><title>${e(label)}: ratio ${fmt(c.ratio)} (${c.verdict})</title></circle><text x="${width - pad.r + 6}" y="${y + 4}" font-size="11" fill="${VERDICT_COLOUR[c.verdict]}">${e(c.verdict)}</text></g>`;
  }).join('');
  const bandRect = `<rect class="band" x="${sx(band.lo).toFixed(1)}" y="${pad.t - 4}" width="${(sx(band.hi) - sx(band.lo)).toFixed(1)}" height="${height - pad.t - pad.b + 8}" fill="#1a7f37" fill-opacity="0.12"/>`;
  // The band's edges and 1, plus round ratios within the range, so long intervals can be read.
  const ticks = [...new Set([0.25, 0.5, band.lo, 1, band.hi, 2, 4, 8].filter((x) => x === 1 || x === band.lo || x === band.hi || (x >= lo && x <= hi)))].sort((a, b) => a - b);
  const axis = ticks.map((x) => `<line x1="${sx(x).toFixed(1)}" x2="${sx(x).toFixed(1)}" y1="${pad.t - 6}" y2="${height - pad.b + 4}" stroke="${x === band.lo || x === band.hi || x === 1 ? '#888' : '#ddd'}" stroke-dasharray="${x === 1 ? '' : '3 3'}"/><text x="${sx(x).toFixed(1)}" y="${height - pad.b + 18}" font-size="11" text-anchor="middle">${x}</text>`).join('');
  const title = `Disparity ratios against the reference, with the band ${band.lo}–${band.hi}`;
  return `<figure><svg role="img" aria-label="${e(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg"><rect width="${width}" height="${height}" fill="#fff"/>${bandRect}${axis}${rows}</svg><figcaption>${e(title)} (log scale; dot = ratio, line = interval; ${shown.length === 0 ? 'no check has a ratio' : `${shown.length} checks`})</figcaption></figure>`;
}

/** Points of a curve chart on [0,1]×[0,1] as inline SVG. */
function unitChart(title: string, xLabel: string, yLabel: string, series: Array<{ name: string; points: Array<[number, number]> }>, diagonal: boolean): string {
  const w = 380;
  const h = 320;
  const pad = { l: 44, r: 12, t: 12, b: 40 };
  const sx = (x: number) => pad.l + x * (w - pad.l - pad.r);
  const sy = (y: number) => h - pad.b - y * (h - pad.t - pad.b);
  const lines = series.map((s, i) => `<polyline data-series="${e(s.name)}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2" points="${s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`).join('');
  const legend = series.map((s, i) => `<span style="color:${PALETTE[i % PALETTE.length]}">■ ${e(s.name)}</span>`).join(' ');
  const diag = diagonal ? `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#bbb" stroke-dasharray="4 3"/>` : '';
  return `<figure class="unit"><svg role="img" aria-label="${e(title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg"><rect width="${w}" height="${h}" fill="#fff"/>
<rect x="${pad.l}" y="${pad.t}" width="${w - pad.l - pad.r}" height="${h - pad.t - pad.b}" fill="none" stroke="#888"/>${diag}
<text x="${pad.l - 4}" y="${sy(0) + 4}" font-size="10" text-anchor="end">0</text><text x="${pad.l - 4}" y="${sy(1) + 4}" font-size="10" text-anchor="end">1</text>
<text x="${sx(1)}" y="${h - pad.b + 14}" font-size="10" text-anchor="end">1</text>
<text x="${(w + pad.l) / 2}" y="${h - 8}" font-size="11" text-anchor="middle">${e(xLabel)}</text>
<text x="12" y="${(h - pad.b) / 2}" font-size="11" transform="rotate(-90 12 ${(h - pad.b) / 2})" text-anchor="middle">${e(yLabel)}</text>${lines}</svg><figcaption>${e(title)}<br>${legend}</figcaption></figure>`;
}

function rocSection(result: AuditResult, aggregates: AuditAggregates): string {
  const charts = result.groupings.filter((g) => !g.controlled && g.attributes.length === 1).map((g) => {
    const agg = aggregates.groupings?.find((x) => x.id === g.id);
    const series = (agg?.cells ?? []).filter((c) => !c.suppressed && c.histNeg && c.histPos)
      .map((c) => ({ name: c.key.join(' × '), points: rocFromHistograms(c.histPos!, c.histNeg!).map((p) => [p.fpr, p.tpr] as [number, number]) })).filter((s) => s.points.length > 0);
    return series.length ? unitChart(`ROC by ${g.id}`, 'false positive rate', 'true positive rate', series, true) : `<p class="note">ROC by ${e(g.id)}: no group has both labels unsuppressed.</p>`;
  });
  return charts.join('');
}

function calibrationSection(result: AuditResult, minCellCount: number): string {
  let dropped = 0;
  const charts = result.groupings.filter((g) => !g.controlled && g.attributes.length === 1).map((g) => {
    const series = g.groups.filter((r) => !r.suppressed && r.calibration.length > 0)
      .map((r) => ({
        name: r.label,
        points: r.calibration.filter((b) => {
          if (b.predicted === null || b.observed === null) return false;
          if (b.count < minCellCount) { dropped += 1; return false; }
          return true;
        }).map((b) => [b.predicted!, b.observed!] as [number, number]),
      }))
      .filter((s) => s.points.length > 0);
    return series.length ? unitChart(`Calibration by ${g.id}`, 'mean predicted score', 'observed positive rate', series, true) : `<p class="note">Calibration by ${e(g.id)}: no group unsuppressed with a bin of at least ${minCellCount} rows.</p>`;
  }).join('');
  const note = `<p class="note calibration-note">Score bins with fewer than ${minCellCount} rows (the policy's minimum cell count) are not drawn: their observed rate swings to 0 or 1 on a handful of rows.${dropped ? ` ${dropped} such bin${dropped === 1 ? ' was' : 's were'} left out here.` : ''}</p>`;
  return note + charts;
}

/** One heat map per two-attribute intersection: selection rate per cell, suppressed cells hatched. */
function heatMaps(result: AuditResult, threshold: number): string {
  const maps = result.groupings.filter((g) => !g.controlled && g.attributes.length === 2).map((g) => {
    const rows = [...new Set(g.groups.map((r) => r.key[0]))];
    const cols = [...new Set(g.groups.map((r) => r.key[1]))];
    const cw = 110;
    const ch = 44;
    const pad = { l: 130, t: 40 };
    const w = pad.l + cols.length * cw + 10;
    const h = pad.t + rows.length * ch + 10;
    const cells = g.groups.map((r) => {
      const x = pad.l + cols.indexOf(r.key[1]) * cw;
      const y = pad.t + rows.indexOf(r.key[0]) * ch;
      const sel = (r.atThreshold.find((t) => t.threshold === threshold) ?? r.atThreshold[0])?.selectionRate.value ?? null;
      const fill = r.suppressed || sel === null ? '#eee' : `hsl(215, 80%, ${(92 - sel * 55).toFixed(0)}%)`;
      const text = r.suppressed ? 'suppressed' : `${pct(sel)} (n ${r.n ?? '–'})`;
      return `<g class="cell" data-cell="${e(r.label)}"><rect x="${x}" y="${y}" width="${cw - 2}" height="${ch - 2}" fill="${fill}"/><text x="${x + cw / 2}" y="${y + ch / 2 + 4}" font-size="11" text-anchor="middle" fill="${sel !== null && sel > 0.6 ? '#fff' : '#222'}">${e(text)}</text><title>${e(r.label)}: selection rate ${pct(sel)}, ${r.n ?? 'too few'} rows, ${r.members} members</title></g>`;
    }).join('');
    const rowLabels = rows.map((v, i) => `<text x="${pad.l - 6}" y="${pad.t + i * ch + ch / 2 + 4}" font-size="11" text-anchor="end">${e(v)}</text>`).join('');
    const colLabels = cols.map((v, i) => `<text x="${pad.l + i * cw + cw / 2}" y="${pad.t - 8}" font-size="11" text-anchor="middle">${e(v)}</text>`).join('');
    const title = `Selection rate by ${g.attributes[0]} × ${g.attributes[1]}`;
    return `<figure><svg role="img" aria-label="${e(title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg"><rect width="${w}" height="${h}" fill="#fff"/><text x="4" y="14" font-size="11">${e(g.attributes[0])} ↓ · ${e(g.attributes[1])} →</text>${rowLabels}${colLabels}${cells}</svg><figcaption>${e(title)} at threshold ${threshold}</figcaption></figure>`;
  });
  return maps.length ? maps.join('') : '<p class="note">The policy audits no two-attribute intersection.</p>';
}

function parityChart(parity: AuditResult['parity']): string {
  if (parity?.withheld) return '<p>Withheld: too few members to show it without coming close to naming them, or not released under differential privacy.</p>';
  const bins = parity?.bins ?? [];
  const total = bins.reduce((a, b) => a + b, 0) + (parity?.undefined ?? 0);
  const w = 560;
  const h = 200;
  const pad = { l: 36, r: 10, t: 14, b: 34 };
  const max = Math.max(1, ...bins);
  const bw = (w - pad.l - pad.r) / Math.max(1, bins.length);
  const bars = bins.map((c, i) => {
    const bh = (c / max) * (h - pad.t - pad.b);
    return `<rect class="bar" x="${(pad.l + i * bw + 1).toFixed(1)}" y="${(h - pad.b - bh).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="#8250df"><title>${fmt(i / bins.length, 2)}–${fmt((i + 1) / bins.length, 2)}: ${c} members</title></rect>`;
  }).join('');
  const title = `Members by their own ${parity?.metric ?? 'metric'} (anonymous distribution)`;
  return `<figure><svg role="img" aria-label="${e(title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg"><rect width="${w}" height="${h}" fill="#fff"/>
<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#888"/>${bars}
<text x="${pad.l}" y="${h - pad.b + 14}" font-size="10">0</text><text x="${w - pad.r}" y="${h - pad.b + 14}" font-size="10" text-anchor="end">1</text>
<text x="${pad.l - 4}" y="${pad.t + 8}" font-size="10" text-anchor="end">${max}</text>
<text x="${(w + pad.l) / 2}" y="${h - 6}" font-size="11" text-anchor="middle">${e(parity?.metric ?? '')} on the member's own held-out rows</text></svg>
<figcaption>${e(title)}: ${total} members${parity?.undefined ? `, ${parity.undefined} without a defined value (e.g. one label only)` : ''}. No bar names a member.</figcaption></figure>`;
}

const METRIC_WORDS: Record<string, string> = {
  selectionRate: 'share of customers the model flags',
  tpr: 'share of actual positives the model catches (true positive rate)',
  fpr: 'share of actual negatives the model wrongly flags (false positive rate)',
  fnr: 'share of actual positives the model misses (false negative rate)',
  ppv: 'share of flagged customers who are actually positive (precision)',
  npv: 'share of unflagged customers who are actually negative',
  accuracy: 'share of customers the model classifies correctly',
};

function checkSentence(c: CheckResult, band: { lo: number; hi: number }, level: number): string {
  const where = `${c.grouping}${c.stratum ? ` (within ${c.stratum})` : ''}`;
  const what = METRIC_WORDS[c.metric] ?? c.metric;
  if (c.ratio === null) return `For ${e(c.group)} in ${e(where)}, the ${e(what)} could not be compared with ${e(c.reference)}: ${e(c.reason)}.`;
  return `For ${e(c.group)} in ${e(where)}, the ${e(what)} is ${fmt(c.ratio, 2)} times that of ${e(c.reference)} (accepted range ${band.lo}–${band.hi}${c.interval ? `; with ${Math.round(level * 100)} % confidence between ${fmt(c.interval[0], 2)} and ${fmt(c.interval[1], 2)}` : ''}).`;
}

/** A summary a non-statistician can read: what was audited, the outcome, the worst findings. */
function plainSummary(signed: SignedAuditReport, result: AuditResult, policy: AuditPolicy, rows: number, unverified = false): string {
  const r = signed.report;
  const checks = result.checks ?? [];
  const count = (v: Verdict) => checks.filter((c) => c.verdict === v).length;
  const attrs = (policy.attributes ?? []).map((a) => a.name);
  const band = policy.band ?? { lo: 0.8, hi: 1.25 };
  const verdictWords: Record<Verdict, string> = {
    pass: 'every check passed: for each group, the model\'s rates stay within the accepted range of the reference group\'s, with enough data to be confident',
    fail: 'at least one check failed: for some group, a rate is confidently outside the accepted range compared with the reference group',
    inconclusive: 'no check failed, but at least one could not be decided: a group is too small, or the data cannot tell whether its rate is inside or outside the accepted range',
  };
  const failing = checks.filter((c) => c.verdict === 'fail').slice(0, 3);
  const undecided = checks.filter((c) => c.verdict === 'inconclusive').slice(0, 2);
  return `<p>This report audits model <b>${e(r.model.taskName)}</b> version ${r.model.version}, used for: ${e(r.task.intendedUse)}.
It checks how the model treats customers grouped by <b>${e(attrs.join(', '))}</b>${policy.intersections?.length ? ` and their combinations (${e(policy.intersections.map((t) => t.join(' × ')).join(', '))})` : ''},
on ${rowsText(signed, rows)} held-out customers of ${r.members.count} member businesses. No member's customers left its premises: only sums over all members were revealed.</p>
<p>${unverified ? `Overall, as the unverified report claims: ${e(result.verdict)}` : `Overall: ${badge(result.verdict)}`} — ${verdictWords[result.verdict]}. ${count('pass')} checks passed, ${count('fail')} failed, ${count('inconclusive')} were inconclusive.
A ratio of 1 means a group is treated exactly like the reference group; the accepted range is ${band.lo} to ${band.hi}.</p>
${failing.length ? `<p>Failed checks include:</p><ul>${failing.map((c) => `<li>${checkSentence(c, band, policy.confidenceLevel ?? 0.95)}</li>`).join('')}</ul>` : ''}
${undecided.length ? `<p>Undecided checks include:</p><ul>${undecided.map((c) => `<li>${checkSentence(c, band, policy.confidenceLevel ?? 0.95)}</li>`).join('')}</ul>` : ''}`;
}

function caveats(signed: SignedAuditReport, result: AuditResult, policy: AuditPolicy): string {
  const r = signed.report;
  const out: string[] = [];
  const minMembers = policy.minMembers ?? 5;
  if (r.members.count < minMembers) out.push(`Only ${r.members.count} members contributed, fewer than the policy's minimum of ${minMembers}: groups below it are suppressed, and with so few members the others could together infer one member's sums.`);
  else out.push(`${r.members.count} members contributed. Secure aggregation hides each member's numbers only among the others: with very few members, the others together could infer the last one's sums (the coordinator enforced at least ${r.privacy.minMembers} per round).`);
  const suppressed = result.groupings.flatMap((g) => g.groups.filter((x) => x.suppressed).map((x) => `${g.id}: ${x.label} (${x.suppressed!.replace(/-/g, ' ')})`));
  if (suppressed.length) out.push(`${suppressed.length} cells are suppressed (fewer than ${policy.minCellCount} rows or ${minMembers} members); their metrics are withheld and their checks are inconclusive, never "pass": ${suppressed.slice(0, 12).join('; ')}${suppressed.length > 12 ? '; …' : ''}.`);
  if (r.privacy.droppedPseudonyms.length) out.push(`${r.privacy.droppedPseudonyms.length} invited members dropped out of the audit round (${r.privacy.droppedPseudonyms.join(', ')}); their customers are not in these numbers.`);
  const thresholds = r.mitigations.filter((m) => (m as { kind?: unknown }).kind === 'per-group-thresholds');
  if (thresholds.length) out.push('Per-group decision thresholds are in use: they use the protected attribute at decision time, which some jurisdictions restrict (disparate treatment). Check this is lawful for your use.');
  out.push((r.aggregates as AuditAggregates | null)?.model?.kind === 'segmentation'
    ? 'The audit covers the customers of the members who took part, in the data window stated above, each assigned its segment by the audited version: it says nothing about customers outside it. Representation is not a verdict on the segment\'s use: a segment where a group is over-represented may still be used fairly, or not.'
    : 'The audit covers the held-out rows of the members who took part, in the data window stated above: it says nothing about customers outside it. Histogram-based AUC and calibration are approximations from score bins.');
  return `<ul>${out.map((c) => `<li>${e(c)}</li>`).join('')}</ul>`;
}

/** What per-group thresholds did on this version's own released histograms, in words and a table. */
function measuredEffect(m: MeasuredThresholdEffect | undefined): string {
  if (!m || typeof m !== 'object') return '<p>No measured effect is recorded for this plan (a report made before reports measured it).</p>';
  if (m.unavailable || !m.overall || !Array.isArray(m.groups)) return `<p class="measured">Not measured on this version: ${e(m.unavailable ?? 'no released cell')}.</p>`;
  const o = m.overall;
  const metric = m.metric === 'tpr' ? 'true positive rate (equal opportunity)' : 'selection rate (demographic parity)';
  const words = `Measured on this version's released score histograms (exact: the thresholds are histogram bin edges): with the common threshold ${m.commonThreshold} `
    + `the ${metric} differs by ${fmt(o.spreadBefore)} between groups; with the plan's thresholds by ${fmt(o.spreadAfter)}. `
    + `Accuracy goes from ${pct(o.accuracyBefore)} to ${pct(o.accuracyAfter)} and the share of customers acted on from ${pct(o.selectionRateBefore)} to ${pct(o.selectionRateAfter)} (${o.n} rows of released groups).`;
  const rows = m.groups.map((g) => (g.before && g.after
    ? `<tr><td>${e(g.key.join(' × '))}</td><td>${g.n}</td><td>${g.threshold}${g.inPlan ? '' : ' (common)'}</td><td>${pct(g.before.selectionRate)} → ${pct(g.after.selectionRate)}</td><td>${fmt(g.before.tpr)} → ${fmt(g.after.tpr)}</td><td>${fmt(g.before.fpr)} → ${fmt(g.after.fpr)}</td><td>${pct(g.before.accuracy)} → ${pct(g.after.accuracy)}</td></tr>`
    : `<tr class="suppressed"><td>${e(g.key.join(' × '))}</td><td>${g.n ?? '&lt; min'}</td><td>${g.threshold}</td><td colspan="4" class="na">withheld${g.withheld ? ` (${e(g.withheld.replace(/-/g, ' '))})` : ''}</td></tr>`)).join('');
  return `<p class="measured">${e(words)}</p><table class="measured-effect"><tr><th>group</th><th>rows</th><th>threshold</th><th>selection rate</th><th>TPR</th><th>FPR</th><th>accuracy</th></tr>${rows}</table>`;
}

/** The differential-privacy section: the ε numbers and, in plain words, what ε means. */
function privacySection(signed: SignedAuditReport): string {
  const dp = signed.report.privacy.differentialPrivacy;
  if (!dp) return '<section id="differential-privacy"><h2>Differential privacy</h2><p>This report was made before reports stated their differential privacy.</p></section>';
  if (!dp.applied) return `<section id="differential-privacy"><h2>Differential privacy</h2><p>${e(dp.statement[0].toUpperCase() + dp.statement.slice(1))}.</p></section>`;
  const eps = (x: number) => x.toFixed(3);
  return `<section id="differential-privacy"><h2>Differential privacy</h2>
<p>The counts behind this report carry random noise, so that they are almost the same with or without any one customer (customer-level differential privacy, δ = ${dp.delta}; the task's training is protected at ${e(dp.level)} level).</p>
<table><tr><th>release</th><th>ε</th></tr>
<tr><td>the model version ${dp.modelVersion.version} (training and every release charged before it)</td><td>${eps(dp.modelVersion.epsilon)}</td></tr>
<tr><td>this audit alone</td><td>${eps(dp.audit.epsilon)}</td></tr>
<tr><td>the task after this audit (of its budget ε = ${dp.budgetEpsilon})</td><td>${eps(dp.taskAfterAudit.epsilon)}</td></tr>
${dp.level === 'member' ? `<tr><td>each member as a whole (training only; the audit protects customers)</td><td>${eps(dp.taskAfterAudit.memberEpsilon)}</td></tr>` : ''}</table>
<p><b>What ε means.</b> Whatever anyone does with these numbers, the chance of any conclusion about one customer changes by at most a factor e<sup>ε</sup> (e<sup>${eps(dp.taskAfterAudit.epsilon)}</sup> ≈ ${Math.exp(dp.taskAfterAudit.epsilon).toFixed(1)} here) whether that customer's rows were used or not, except with probability δ. Smaller is more private; releases add up, which is why the task's ε grows with each one.</p>
<p>Noise: σ = ${dp.audit.noiseMultiplier} times the sensitivity Δ = ${dp.audit.sensitivity.toFixed(3)} of one customer's row, i.e. about ±${dp.audit.noiseStdPerCount.toFixed(1)} (one standard deviation) on every count; ${dp.audit.survivors} of ${dp.audit.invited} invited members added their share, so the sum carries σ = ${dp.audit.chargedNoiseMultiplier.toFixed(3)}, which is what was charged. Score histograms are merged into ${dp.audit.histogramGroups} groups per label.</p>
<ul>${dp.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul></section>`;
}

/** The noise std on each released count when the audit's counts are noised (differential privacy), else null. */
function dpNoiseStd(signed: SignedAuditReport): number | null {
  const dp = signed.report.privacy.differentialPrivacy;
  return dp?.applied ? dp.audit.noiseStdPerCount : null;
}

/** The row count of the summary: exact, or, from noisy counts, rounded to the hundred and said to be approximate. */
function rowsText(signed: SignedAuditReport, rows: number): string {
  if (dpNoiseStd(signed) === null) return rows.toLocaleString('en');
  return `about ${(Math.round(rows / 100) * 100).toLocaleString('en')} (noisy count)`;
}

/** Next to the verdict of a DP audit: the intervals do not include the noise. */
function dpCaveat(signed: SignedAuditReport): string {
  const std = dpNoiseStd(signed);
  return std === null ? '' : `<p class="note caveat dp-caveat">The counts carry differential-privacy noise (std about ${std.toFixed(1)} per count); the intervals and checks ignore this noise, so small groups are less certain than shown.</p>`;
}

/** One line on multiple testing: the shown intervals are per check, the verdicts Holm-adjusted over all of them. */
function multipleTestingCaveat(checks: CheckResult[], level: number): string {
  const tested = checks.filter((c) => c.pFail !== null).length;
  if (tested < 2) return '';
  return `<p class="note caveat">Each interval shown is a ${Math.round(level * 100)} % interval for that check on its own; verdicts are adjusted (Holm) for running ${tested} checks at once, so a check whose interval lies clear of (or inside) the band can still be inconclusive.</p>`;
}

/** The page of a signed audit report; `verification` states what verify found, when it ran. */
export function renderAuditHtml(signed: SignedAuditReport, verification?: AuditPageVerification): string {
  const { result, aggregates, policy } = parts(signed);
  const r = signed.report;
  const segmentation = aggregates.model?.kind === 'segmentation';
  const thresholds = policy.thresholds ?? [0.5];
  const first = result.groupings.find((g) => !g.controlled) ?? result.groupings[0];
  const rows = first ? first.groups.reduce((a, g) => a + (g.n ?? 0), 0) : 0;
  const fingerprint = (() => { try { return keyFingerprint(new Uint8Array(Buffer.from(signed.signature.publicKey, 'base64'))); } catch { return '(unreadable key)'; } })();
  const verified = verification
    ? `<p class="verify ${verification.ok ? 'ok' : 'bad'}">${verification.ok ? badge('pass', 'verified') : badge('fail', 'NOT verified')} ${e(verification.detail)}</p>`
    : '<p class="verify">Not verified here: run <code>consort-audit verify</code> on the report file.</p>';
  const unverified = verification !== undefined && !verification.ok;
  const checksTable = `<table id="check-table"><tr><th>verdict</th><th>grouping</th><th>group</th><th>reference</th><th>metric</th><th>threshold</th><th>ratio</th><th>interval</th><th>reason</th></tr>${(result.checks ?? []).map((c) => `<tr data-verdict="${c.verdict}"><td>${badge(c.verdict)}</td><td>${e(c.grouping)}${c.stratum ? ` | ${e(c.stratum)}` : ''}</td><td>${e(c.group)}</td><td>${e(c.reference)}</td><td>${e(c.metric)}</td><td>${c.threshold}</td><td>${fmt(c.ratio)}</td><td>${c.interval ? `[${fmt(c.interval[0])}, ${fmt(c.interval[1])}]` : '–'}</td><td class="reason">${e(c.reason)}</td></tr>`).join('')}</table>`;
  const conventions = Object.entries(result.conventions ?? {}).map(([k, v]) => `<tr><td>${e(k)}</td><td>${e(v)}</td></tr>`).join('');
  const mitigationItems = r.mitigations.map((m) => {
    const x = m as { kind?: unknown; grouping?: unknown; caveat?: unknown; fromReport?: unknown; measured?: MeasuredThresholdEffect; applied?: unknown; effectiveSampleSize?: unknown; rows?: unknown; maxWeight?: unknown };
    const effect = x.kind === 'per-group-thresholds'
      ? `${measuredEffect(x.measured)}<p class="caveat">These thresholds use the protected attribute at decision time (disparate treatment): check that this is lawful for your use.</p>`
      : '';
    const applied = `${x.applied ? ` applied ${e(x.applied)}` : ''}${typeof x.effectiveSampleSize === 'number' ? ` (effective sample size ${e(Math.round(x.effectiveSampleSize))} of ${e(x.rows)} rows, largest weight ${e(Number(x.maxWeight).toFixed(2))})` : ''}`;
    const plan = typeof m === 'object' && m !== null ? Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'measured')) : m;
    return `<li><b>${e(x.kind ?? 'mitigation')}</b>${x.grouping ? ` on ${e(x.grouping)}` : ''}${applied}${x.fromReport ? ` (planned from report ${e(String(x.fromReport).slice(0, 12))}…)` : ''}${x.caveat ? `: ${e(x.caveat)}` : ''}${effect}<details><summary>the plan</summary><pre>${e(JSON.stringify(plan, null, 2))}</pre></details></li>`;
  }).join('');
  const mitigations = r.mitigations.length ? `<section id="mitigations"><h2>Mitigations applied</h2><ul>${mitigationItems}</ul></section>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Fairness audit: ${e(r.model.taskName)} v${r.model.version}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1150px}
table{border-collapse:collapse;margin:1rem 0;font-size:.85rem}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f6f8fa}td:first-child,th:first-child{text-align:left}
caption{text-align:left;font-weight:600;padding:4px 0}.ci{color:#666;font-size:.75rem}.na{color:#999;text-align:center}tr.suppressed{background:#fafafa}
.badge{color:#fff;border-radius:4px;padding:1px 7px;font-size:.8rem;font-weight:600;text-transform:uppercase}.big .badge{font-size:1.2rem;padding:3px 12px}
.note{color:#555;font-size:.9rem}figure{display:inline-block;margin:.5rem 1rem .5rem 0;vertical-align:top}figcaption{font-size:.85rem;color:#444}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;font-size:.9rem}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}td.reason{text-align:left;max-width:360px}
</style></head><body>
<h1>Fairness audit: ${e(r.model.taskName)} v${r.model.version}</h1>
<section id="verdict"><h2>Verdict</h2><p class="big">${unverified ? badge('fail', 'UNVERIFIED — do not rely on this report') : badge(result.verdict)}</p>${verified}${multipleTestingCaveat(result.checks ?? [], policy.confidenceLevel ?? 0.95)}${dpCaveat(signed)}</section>
<section id="summary"><h2>In plain words</h2>${unverified ? '<p class="unverified"><b>This report did not verify: its content may have been altered. Do not rely on the verdict or any number below.</b></p>' : ''}${segmentation ? segmentationSummary(signed, result, policy, rows) : plainSummary(signed, result, policy, rows, unverified)}</section>
<section id="about"><h2>What was audited</h2><dl>
<dt>model</dt><dd>task ${e(r.model.taskName)} (${e(r.model.taskId)}), ${e(r.model.kind)}, version ${r.model.version} (${e(r.model.modelVersionId)}), weights SHA-256 ${e(r.model.sha256)}</dd>
<dt>intended use</dt><dd>${e(r.task.intendedUse)}</dd><dt>label</dt><dd>${e(r.task.labelDefinition)}</dd><dt>data window</dt><dd>${e(r.task.dataWindow)}</dd>
<dt>members</dt><dd>${r.members.count} (pseudonyms ${e(r.members.pseudonyms.join(', '))})</dd>
<dt>privacy</dt><dd>${e(r.privacy.protocol)}, at least ${r.privacy.minMembers} members per round; revealed: ${e(r.privacy.revealed.join('; '))}</dd>
<dt>policy</dt><dd>SHA-256 ${e(r.policyHash)}; ${segmentation ? 'segment representation' : `thresholds ${e(thresholds.join(', '))}`}; band ${policy.band?.lo}–${policy.band?.hi}; confidence ${policy.confidenceLevel}; min cell ${policy.minCellCount} rows, ${policy.minMembers} members</dd>
<dt>signed by</dt><dd>coordinator key ${e(fingerprint)} (Ed25519) at ${e(r.createdAt)}</dd></dl></section>
${segmentation ? segmentationSections(signed, result, policy) : `<section id="groups"><h2>Groups</h2><p class="note">Each rate with its ${Math.round((policy.confidenceLevel ?? 0.95) * 100)} % interval in brackets; hover a number for its convention.</p>${result.groupings.flatMap((g) => thresholds.map((t) => groupTable(g, t))).join('')}</section>
<section id="disparities"><h2>Disparities and checks</h2>${disparityChart(result.checks ?? [], policy.band ?? { lo: 0.8, hi: 1.25 })}${checksTable}</section>
<section id="roc"><h2>ROC by group</h2>${rocSection(result, aggregates)}</section>
<section id="calibration"><h2>Calibration by group</h2>${calibrationSection(result, policy.minCellCount ?? 0)}</section>
<section id="heatmap"><h2>Intersections</h2>${heatMaps(result, thresholds[0])}</section>
<section id="parity"><h2>How well the model serves each member</h2>${parityChart(result.parity)}</section>`}
${mitigations}
${privacySection(signed)}
<section id="caveats"><h2>Caveats</h2>${caveats(signed, result, policy)}</section>
<section id="conventions"><h2>Conventions</h2><table>${conventions}</table></section>
</body></html>
`;
}
