// Small DOM helpers: elements built from data (never HTML strings), dates and numbers for people.

/** h('td', { class: 'x' }, 'text', child) -> element; null/false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table from column titles and rows of cells; `id` names it for tests and links. */
export function table(id, titles, rows, empty = 'nothing yet') {
  return h('table', { id, class: 'grid' },
    h('thead', {}, h('tr', {}, titles.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.length ? rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))
      : h('tr', { class: 'empty' }, h('td', { colspan: titles.length }, empty))));
}

/** "2026-12-07 21:04:05" in the visitor's time zone; "—" for none. */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "12 s ago", "3 min ago", "2 h ago", else the date. */
export function ago(iso, now = Date.now()) {
  if (!iso) return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 0) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return when(iso);
}

/** A number with `digits` decimals, or "—" when absent. */
export function num(v, digits = 3) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

/** A state word as a coloured badge (class by state). */
export function badge(text, kind = text) {
  return h('span', { class: `badge ${String(kind).replace(/[^\w-]/g, '_')}` }, text);
}

/** A short id for tables (the full id in the tooltip). */
export function shortId(id) {
  return h('code', { title: id }, id.length > 10 ? `${id.slice(0, 8)}…` : id);
}
