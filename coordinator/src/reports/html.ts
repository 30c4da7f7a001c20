// Tiny helpers for self-contained HTML reports: escaping and inline-SVG line charts.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

/** A line chart as inline SVG (no scripts, no external requests), axes labelled with min/max. */
export function lineChart(title: string, series: Series[], opts: { width?: number; height?: number; xLabel?: string } = {}): string {
  const width = opts.width ?? 560;
  const height = opts.height ?? 240;
  const pad = { l: 52, r: 16, t: 28, b: 36 };
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  if (all.length === 0) return `<figure><figcaption>${escapeHtml(title)}: no data</figcaption></figure>`;
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const lines = series.map((s) => {
    const pts = s.points.filter((p) => Number.isFinite(p.y)).map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    const dots = s.points.filter((p) => Number.isFinite(p.y)).map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.color}"><title>${escapeHtml(s.name)} ${p.x}: ${p.y.toFixed(4)}</title></circle>`).join('');
    return `<polyline data-series="${escapeHtml(s.name)}" fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>${dots}`;
  }).join('');
  const legend = series.map((s, i) => `<text x="${pad.l + i * 150}" y="16" font-size="12" fill="${s.color}">■ ${escapeHtml(s.name)}</text>`).join('');
  return `<figure><svg role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>${legend}
<line x1="${pad.l}" y1="${height - pad.b}" x2="${width - pad.r}" y2="${height - pad.b}" stroke="#888"/>
<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${height - pad.b}" stroke="#888"/>
<text x="${pad.l - 6}" y="${sy(y1) + 4}" font-size="11" text-anchor="end">${y1.toFixed(3)}</text>
<text x="${pad.l - 6}" y="${sy(y0) + 4}" font-size="11" text-anchor="end">${y0.toFixed(3)}</text>
<text x="${sx(x0)}" y="${height - pad.b + 16}" font-size="11" text-anchor="middle">${x0}</text>
<text x="${sx(x1)}" y="${height - pad.b + 16}" font-size="11" text-anchor="middle">${x1}</text>
<text x="${(width + pad.l) / 2}" y="${height - 4}" font-size="11" text-anchor="middle">${escapeHtml(opts.xLabel ?? 'model version')}</text>
${lines}</svg><figcaption>${escapeHtml(title)}</figcaption></figure>`;
}
