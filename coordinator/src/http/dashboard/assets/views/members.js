// Members of a federation (operators) or one member (its contact): state, online, last seen.
import { api } from '../api.js';
import { ago, badge, fill, h, shortId, table, when } from '../dom.js';

const enc = encodeURIComponent;

function memberRows(members) {
  return members.map((m) => [
    h('span', { class: 'member-name' }, h('span', { class: `dot ${m.online ? 'on' : 'off'}`, 'aria-hidden': 'true' }), m.displayName),
    badge(m.state), h('span', { class: 'last-seen', title: when(m.lastSeenAt), 'data-at': m.lastSeenAt ?? '' }, ago(m.lastSeenAt)),
    m.backend || '—', when(m.enrolledAt), shortId(m.id),
  ]);
}

/** Seconds between two reads of the member list. */
const REFRESH_S = 15;

const TITLES = ['Member', 'State', 'Last seen', 'Backend', 'Enrolled', 'Id'];

/** Keeps "12 s ago" true without asking the API again. */
function tickLastSeen(main, signal) {
  const timer = setInterval(() => {
    for (const el of main.querySelectorAll('.last-seen')) el.textContent = ago(el.dataset.at || null);
  }, 1000);
  signal.addEventListener('abort', () => clearInterval(timer));
}

export async function renderMembers(main, [federationId], { signal, showError }) {
  const load = () => api(`/api/v1/federations/${enc(federationId)}/members`, { signal });
  const body = h('div', {});
  const draw = ({ members }) => {
    const online = members.filter((m) => m.online).length;
    fill(body, h('p', { class: 'stats' }, h('span', { class: 'stat' }, h('strong', { class: 'online-count' }, `${online} / ${members.length}`), ' members online'),
      h('span', { class: 'stat muted' }, 'read at ', when(new Date().toISOString()))),
      table('members', TITLES, memberRows(members), 'no member has enrolled yet: invite with consort-coordinator invite'));
  };
  draw(await load()); // a refusal is shown by the router
  const refresh = async () => {
    try { draw(await load()); } catch (err) { if (!signal.aborted) showError(main, err); }
  };
  fill(main, h('h1', {}, 'Members'), h('p', {}, h('a', { href: '#/overview' }, '← Overview'), ' ',
    h('button', { type: 'button', id: 'refresh', onclick: refresh }, 'Refresh'), h('span', { class: 'muted' }, ` read again every ${REFRESH_S} s`)), body);
  tickLastSeen(main, signal);
  // Online state changes without an event to follow: read it again now and then (each read is one log entry).
  const timer = setInterval(refresh, REFRESH_S * 1000);
  signal.addEventListener('abort', () => clearInterval(timer));
}

export async function renderMember(main, [memberId], { signal }) {
  const m = await api(`/api/v1/members/${enc(memberId)}`, { signal });
  fill(main, h('h1', {}, m.displayName), table('members', TITLES, memberRows([m])));
  tickLastSeen(main, signal);
}
