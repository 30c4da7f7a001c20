// The segmentation part of the audit page: representation of each group in each segment (named as
// the audited version names them) as a group × segment heat map against the band, and plain words.
import type { AuditPolicy, AuditResult, CheckResult, GroupingResult, Verdict } from '@consort/core';
import { escapeHtml } from '../reports/html.ts';
import type { SignedAuditReport } from './audit-report.ts';

const e = (v: unknown): string => escapeHtml(String(v));
const fmt = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const VERDICT_COLOUR: Record<Verdict, string> = { pass: '#1a7f37', fail: '#cf222e', inconclusive: '#9a6700' };
const badge = (v: Verdict, text: string = v): string => `<span class="badge ${v}" style="background:${VERDICT_COLOUR[v]}">${e(text)}</span>`;

/** Segment names of the report (the version's), else "segment i". */
function segmentNames(signed: SignedAuditReport, k: number): string[] {
  const names = signed.report.model.segmentNames ?? [];
  return Array.from({ length: k }, (_, i) => names[i] ?? `segment ${i}`);
}

interface Stratum { stratum: string | null; groups: GroupingResult['groups'] }

function strata(g: GroupingResult): Stratum[] {
  if (!g.controlled) return [{ stratum: null, groups: g.groups }];
  const by = new Map<string, GroupingResult['groups']>();
  for (const r of g.groups) {
    const s = r.key[r.key.length - 1];
    by.set(s, [...(by.get(s) ?? []), r]);
  }
  return [...by].map(([stratum, groups]) => ({ stratum, groups }));
}

/** The group's share of all released rows of its stratum and of segment s (what the ratio divides). */
function shares(st: Stratum, label: string, s: number): { overall: number; inSegment: number } | null {
  const live = st.groups.filter((r) => r.segments !== null && r.n !== null);
  const N = live.reduce((a, r) => a + r.n!, 0);
  const S = live.reduce((a, r) => a + r.segments![s].count, 0);
  const me = live.find((r) => r.label === label);
  if (!me || N === 0 || S === 0) return null;
  return { overall: me.n! / N, inSegment: me.segments![s].count / S };
}

/** Colour of a ratio on a log scale: white at 1, red above, blue below, darker further out. */
function colourOf(ratio: number | null): string {
  if (ratio === null || !(ratio > 0)) return '#eee';
  const t = Math.min(1, Math.abs(Math.log(ratio)) / Math.log(4));
  return ratio >= 1 ? `hsl(0, 75%, ${(97 - t * 45).toFixed(0)}%)` : `hsl(215, 75%, ${(97 - t * 45).toFixed(0)}%)`;
}

function checkOf(result: AuditResult, g: GroupingResult, stratum: string | null, label: string, s: number): CheckResult | undefined {
  return (result.checks ?? []).find((c) => c.metric === 'representation' && c.grouping === g.id && c.stratum === stratum && c.group === label && c.segment === s);
}

/** One plain sentence per representation check ("customers aged 65+ make up 12 % of all customers but 30 % of segment …"). */
export function representationSentence(c: CheckResult, result: AuditResult, names: string[], band: { lo: number; hi: number }, level: number): string {
  const g = result.groupings.find((x) => x.id === c.grouping);
  const st = g && strata(g).find((x) => x.stratum === c.stratum);
  const label = c.stratum ? c.group.replace(` | ${c.stratum}`, '') : c.group;
  const who = `customers in group ${e(label)} of ${e(g?.attributes.join(' × ') ?? c.grouping)}${c.stratum ? ` (within ${e(c.stratum)})` : ''}`;
  const name = `segment "${e(names[c.segment ?? 0])}"`;
  const sh = st ? shares(st, c.group, c.segment ?? 0) : null;
  if (c.ratio === null || !sh) return `For ${who}, representation in ${name} could not be assessed: ${e(c.reason)}.`;
  const ci = c.interval ? `; with ${Math.round(level * 100)} % confidence between ${fmt(c.interval[0])} and ${fmt(c.interval[1])}` : '';
  const verb = c.ratio >= 1 ? 'but' : 'and only';
  return `${who[0].toUpperCase()}${who.slice(1)} make up ${pct(sh.overall)} of all customers ${verb} ${pct(sh.inSegment)} of ${name} (ratio ${fmt(c.ratio)}${ci}; accepted range ${band.lo}–${band.hi}).`;
}

/** The heat map of one grouping stratum: rows are groups, columns the named segments, colour the representation ratio. */
function heatMap(result: AuditResult, g: GroupingResult, st: Stratum, names: string[], band: { lo: number; hi: number }): string {
  const cw = 120;
  const ch = 40;
  const pad = { l: 170, t: 56 };
  const w = pad.l + names.length * cw + 10;
  const h = pad.t + st.groups.length * ch + 10;
  const cells = st.groups.flatMap((r, i) => names.map((name, s) => {
    const x = pad.l + s * cw;
    const y = pad.t + i * ch;
    const rr = r.segments?.[s]?.representationRatio;
    const c = checkOf(result, g, st.stratum, r.label, s);
    const value = rr?.value ?? null;
    const verdict = c?.verdict ?? 'inconclusive';
    const text = r.suppressed ? 'suppressed' : value === null ? '–' : `${fmt(value)} ${verdict === 'pass' ? '✓' : verdict === 'fail' ? '✗' : '?'}`;
    const outline = verdict === 'fail' ? ` stroke="${VERDICT_COLOUR.fail}" stroke-width="2"` : '';
    const tip = r.suppressed ? `${r.label} in ${name}: suppressed (${r.suppressed})`
      : `${r.label} in ${name}: ${r.segments?.[s]?.count ?? 0} rows, ratio ${fmt(value)}${rr?.interval ? ` [${fmt(rr.interval[0])}, ${fmt(rr.interval[1])}]` : ''}, ${verdict} (band ${band.lo}–${band.hi})`;
    return `<g class="rep-cell" data-group="${e(r.label)}" data-segment="${s}" data-verdict="${verdict}"><rect x="${x}" y="${y}" width="${cw - 2}" height="${ch - 2}" fill="${r.suppressed ? '#eee' : colourOf(value)}"${outline}/><text x="${x + cw / 2}" y="${y + ch / 2 + 4}" font-size="11" text-anchor="middle">${e(text)}</text><title>${e(tip)}</title></g>`;
  })).join('');
  const rowLabels = st.groups.map((r, i) => `<text x="${pad.l - 6}" y="${pad.t + i * ch + ch / 2 + 4}" font-size="11" text-anchor="end">${e(st.stratum ? r.label.replace(` | ${st.stratum}`, '') : r.label)}</text>`).join('');
  const colLabels = names.map((n, s) => `<text x="${pad.l + s * cw + cw / 2}" y="${pad.t - 8}" font-size="11" text-anchor="middle">${e(n.length > 18 ? `${n.slice(0, 17)}…` : n)}<title>${e(n)}</title></text>`).join('');
  const title = `Representation by ${g.attributes.join(' × ')}${st.stratum ? ` within ${st.stratum}` : ''}`;
  return `<figure><svg role="img" aria-label="${e(title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg"><rect width="${w}" height="${h}" fill="#fff"/><text x="4" y="16" font-size="11">${e(g.attributes.join(' × '))} ↓ · segment →</text>${rowLabels}${colLabels}${cells}</svg>`
    + `<figcaption>${e(title)}: share of the group in the segment ÷ its share of all customers; 1 = as in the whole population, red = over-represented, blue = under-represented; ✓ inside the band ${band.lo}–${band.hi}, ✗ outside, ? undecided.</figcaption></figure>`;
}

/** The plain-language summary of a segmentation audit. */
export function segmentationSummary(signed: SignedAuditReport, result: AuditResult, policy: AuditPolicy, rows: number): string {
  const r = signed.report;
  const k = result.groupings[0]?.groups.find((x) => x.segments)?.segments?.length ?? signed.report.model.segmentNames?.length ?? 0;
  const names = segmentNames(signed, k);
  const band = policy.band ?? { lo: 0.8, hi: 1.25 };
  const level = policy.confidenceLevel ?? 0.95;
  const checks = result.checks ?? [];
  const count = (v: Verdict) => checks.filter((c) => c.verdict === v).length;
  const words: Record<Verdict, string> = {
    pass: 'every group is represented in every segment within the accepted range of its share of all customers, with enough data to be confident',
    fail: 'some group is confidently over- or under-represented in some segment compared with its share of all customers',
    inconclusive: 'no group is shown outside the accepted range, but at least one group × segment could not be decided (too few customers, or the data cannot tell)',
  };
  // Failed checks first, then the other assessed ones, each by how far the ratio is from 1.
  const far = (c: CheckResult) => (c.ratio !== null && c.ratio > 0 ? Math.abs(Math.log(c.ratio)) : c.ratio === 0 ? Infinity : -1);
  const worst = checks.filter((c) => c.ratio !== null)
    .sort((a, b) => Number(b.verdict === 'fail') - Number(a.verdict === 'fail') || far(b) - far(a)).slice(0, 4);
  return `<p>This report audits segmentation <b>${e(r.model.taskName)}</b> version ${r.model.version} (${k} segments: ${e(names.join(', '))}), used for: ${e(r.task.intendedUse)}.
It checks whether customers grouped by <b>${e((policy.attributes ?? []).map((a) => a.name).join(', '))}</b>${policy.intersections?.length ? ` and their combinations (${e(policy.intersections.map((t) => t.join(' × ')).join(', '))})` : ''}
land in each segment in the same proportion as they make up all customers, on ${rows.toLocaleString('en')} customers of ${r.members.count} member businesses, each assigned its segment by the audited version. Only sums over all members were revealed.</p>
<p>Overall: ${badge(result.verdict)} — ${words[result.verdict]}. ${count('pass')} group × segment checks passed, ${count('fail')} failed, ${count('inconclusive')} were inconclusive.
A ratio of 1 means a group makes up the same share of the segment as of all customers; the accepted range is ${band.lo} to ${band.hi}.</p>
${worst.length ? `<p>The largest departures from the population's shares:</p><ul>${worst.map((c) => `<li>${representationSentence(c, result, names, band, level)}</li>`).join('')}</ul>` : ''}`;
}

/** The segmentation sections: heat maps per grouping and stratum, and the table of checks. */
export function segmentationSections(signed: SignedAuditReport, result: AuditResult, policy: AuditPolicy): string {
  const k = result.groupings.flatMap((g) => g.groups).find((x) => x.segments)?.segments?.length ?? signed.report.model.segmentNames?.length ?? 0;
  const names = segmentNames(signed, k);
  const band = policy.band ?? { lo: 0.8, hi: 1.25 };
  const maps = result.groupings.flatMap((g) => strata(g).map((st) => heatMap(result, g, st, names, band))).join('');
  const rows = (result.checks ?? []).map((c) => `<tr data-verdict="${c.verdict}"><td>${badge(c.verdict)}</td><td>${e(c.grouping)}${c.stratum ? ` | ${e(c.stratum)}` : ''}</td><td>${e(c.group)}</td><td>${e(names[c.segment ?? 0])}</td><td>${fmt(c.ratio, 3)}</td><td>${c.interval ? `[${fmt(c.interval[0], 3)}, ${fmt(c.interval[1], 3)}]` : '–'}</td><td class="reason">${e(c.reason)}</td></tr>`).join('');
  return `<section id="segments"><h2>Representation in segments</h2>
<p class="note">Representation ratio = the group's share of a segment's customers ÷ its share of all customers (released cells only). Each ratio has a Katz-log ${Math.round((policy.confidenceLevel ?? 0.95) * 100)} % interval (conservative: a segment's customers are part of all customers); a check passes when the interval shows the ratio inside ${band.lo}–${band.hi}, fails when it shows it outside (Holm-adjusted across checks), and is inconclusive otherwise or when the group is suppressed. Thresholds, score histograms, calibration and member parity do not apply to a segmentation model.</p>
${maps}
<table id="check-table"><tr><th>verdict</th><th>grouping</th><th>group</th><th>segment</th><th>ratio</th><th>interval</th><th>reason</th></tr>${rows}</table></section>`;
}
