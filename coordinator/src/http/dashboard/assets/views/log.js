// The audit log, newest first: operator actions, round events, API refusals; filter by kind.
import { api } from '../api.js';
import { fill, h, shortId, table, when } from '../dom.js';

const PAGE = 1000;
const SHOWN = 300;

export async function renderLog(main, _params, { signal }) {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const kind = params.get('kind') ?? '';
  const hideRequests = params.get('requests') !== 'show';
  const events = [];
  let after = 0;
  for (;;) {
    const page = await api(`/api/v1/log?after=${after}&limit=${PAGE}${kind ? `&kind=${encodeURIComponent(kind)}` : ''}`, { signal });
    events.push(...page.events);
    if (page.next === null) break;
    after = page.next;
  }
  const shown = events.filter((e) => !hideRequests || e.kind !== 'api.request').reverse();
  const input = h('input', { id: 'log-kind', name: 'kind', value: kind, placeholder: 'e.g. round.aborted', size: 24 });
  const box = h('input', { id: 'log-requests', type: 'checkbox', checked: !hideRequests });
  const apply = (e) => {
    e?.preventDefault();
    const q = new URLSearchParams();
    if (input.value.trim()) q.set('kind', input.value.trim());
    if (box.checked) q.set('requests', 'show');
    location.hash = `#/log${q.size ? `?${q}` : ''}`;
  };
  box.addEventListener('change', apply);
  const form = h('form', { class: 'filters' }, h('label', { for: 'log-kind' }, 'Kind '), input, ' ', h('button', { type: 'submit' }, 'Filter'), ' ',
    h('label', {}, box, ' show every API request'));
  form.addEventListener('submit', apply);
  fill(main, h('h1', {}, 'Log'), form,
    h('p', { class: 'muted' }, `${shown.length} events${shown.length > SHOWN ? `, the newest ${SHOWN} shown` : ''}.`),
    table('log', ['#', 'When', 'Actor', 'Kind', 'Subject', 'Detail'], shown.slice(0, SHOWN).map((e) => [
      String(e.id), when(e.at), e.actor, h('code', {}, e.kind),
      e.subjectType === 'round' || e.subjectType === 'task' ? [e.subjectType, ' ', shortId(e.subjectId)] : [e.subjectType, ' ', e.subjectId],
      h('code', { class: 'detail' }, JSON.stringify(e.detail)),
    ]), 'no events'));
}
