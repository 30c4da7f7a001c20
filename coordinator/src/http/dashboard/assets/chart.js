// Line charts of metrics over rounds, drawn as inline SVG (no chart library, no network).

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** About `count` round numbers covering [lo, hi] (whole numbers only when `integer`). */
export function ticks(lo, hi, count = 5, integer = false) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) ?? raw;
  if (integer) step = Math.max(1, Math.round(step));
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Decimals that tell ticks `step` apart (0.25 -> 2, 0.1 -> 1, 5 -> 0). */
function decimalsOf(values) {
  const step = values.length > 1 ? Math.abs(values[1] - values[0]) : 1;
  let d = 0;
  while (d < 6 && Math.abs(step * 10 ** d - Math.round(step * 10 ** d)) > 1e-9) d++;
  return d;
}

/**
 * A line chart: `points` [{ x, y }] (x: round number), labelled `title` for screen readers and
 * tests. Returns an <svg> or, with fewer than one point, a note saying there is nothing to draw.
 */
export function lineChart({ title, points, yLabel = '', width = 420, height = 200, digits = 3 }) {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption);
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (!pts.length) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'no values yet';
    figure.append(p);
    return figure;
  }
  const m = { left: 48, right: 12, top: 10, bottom: 30 };
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  const integer = digits === 0;
  if (y0 === y1) { const pad = integer ? 1 : Math.abs(y0) * 0.1 || 0.1; y0 -= pad; y1 += pad; }
  const pad = (y1 - y0) * 0.08;
  y0 -= pad; y1 += pad;
  const X = (x) => m.left + ((x - x0) / (x1 - x0)) * (width - m.left - m.right);
  const Y = (y) => height - m.bottom - ((y - y0) / (y1 - y0)) * (height - m.top - m.bottom);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title, class: 'line-chart' });
  svg.append(s('title', {}, title));
  const axes = s('g', { class: 'axes' });
  const yTicks = ticks(y0, y1, 4, integer);
  const decimals = decimalsOf(yTicks);
  for (const t of yTicks) {
    axes.append(s('line', { x1: m.left, x2: width - m.right, y1: Y(t), y2: Y(t), class: 'grid' }));
    axes.append(s('text', { x: m.left - 6, y: Y(t) + 4, 'text-anchor': 'end' }, t.toFixed(decimals)));
  }
  for (const t of ticks(x0, x1, Math.min(8, Math.max(1, Math.round(x1 - x0))), true)) {
    axes.append(s('text', { x: X(t), y: height - m.bottom + 16, 'text-anchor': 'middle' }, String(t)));
  }
  axes.append(s('line', { x1: m.left, x2: m.left, y1: m.top, y2: height - m.bottom, class: 'axis' }));
  axes.append(s('line', { x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom, class: 'axis' }));
  axes.append(s('text', { x: (m.left + width - m.right) / 2, y: height - 2, 'text-anchor': 'middle', class: 'label' }, 'round'));
  if (yLabel) axes.append(s('text', { x: 10, y: m.top + 8, class: 'label' }, yLabel));
  svg.append(axes);
  svg.append(s('polyline', { points: pts.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' '), class: 'series' }));
  for (const p of pts) {
    const dot = s('circle', { cx: X(p.x).toFixed(1), cy: Y(p.y).toFixed(1), r: 3, class: 'point' });
    dot.append(s('title', {}, `round ${p.x}: ${p.y.toFixed(digits)}`));
    svg.append(dot);
  }
  figure.append(svg);
  return figure;
}
