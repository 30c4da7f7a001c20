// The overview, by role: an operator's federations (members online, tasks); a member contact's own
// member and its federation's tasks; an auditor's tasks as the log knows them, and the reports.
import { api } from '../api.js';
import { ago, badge, fill, h, shortId, table, when } from '../dom.js';

const enc = encodeURIComponent;

function taskTable(id, tasks) {
  return table(id, ['Task', 'Kind', 'Aggregation', 'Min members', 'Rounds', 'Latest version', ''], tasks.map((t) => [
    h('a', { href: `#/tasks/${enc(t.id)}` }, t.name), t.kind, t.aggregation, String(t.minMembers), String(t.rounds), `v${t.latestVersion}`,
    h('a', { href: `#/tasks/${enc(t.id)}/models` }, 'model versions'),
  ]), 'no tasks yet');
}

async function operatorOverview(main) {
  const { federations } = await api('/api/v1/federations');
  const sections = await Promise.all(federations.map(async (f) => {
    const [{ members }, { tasks }] = await Promise.all([
      api(`/api/v1/federations/${enc(f.id)}/members`), api(`/api/v1/federations/${enc(f.id)}/tasks`),
    ]);
    const online = members.filter((m) => m.online).length;
    const lastSeen = members.map((m) => m.lastSeenAt).filter(Boolean).sort().at(-1);
    return h('section', { class: 'card federation', 'data-federation': f.id },
      h('h2', {}, f.name, ' ', shortId(f.id)),
      h('div', { class: 'stats' },
        h('a', { class: 'stat', href: `#/federations/${enc(f.id)}/members` }, h('strong', { class: 'online-count' }, `${online} / ${members.length}`), ' members online'),
        h('span', { class: 'stat' }, h('strong', {}, String(tasks.length)), ' tasks'),
        h('span', { class: 'stat' }, 'last contact ', h('strong', {}, ago(lastSeen))),
        h('span', { class: 'stat muted' }, 'created ', when(f.createdAt))),
      taskTable(`tasks-${f.id}`, tasks));
  }));
  fill(main, h('h1', {}, 'Federations'),
    sections.length ? sections : h('p', { class: 'muted' }, 'No federation yet: create one with consort-coordinator create-federation.'));
}

async function contactOverview(main, account) {
  const m = await api(`/api/v1/members/${enc(account.memberId)}`);
  const { tasks } = await api(`/api/v1/federations/${enc(m.federationId)}/tasks`);
  fill(main, h('h1', {}, m.displayName),
    h('section', { class: 'card member', id: 'member' },
      h('div', { class: 'stats' },
        h('span', { class: 'stat' }, badge(m.state)),
        h('span', { class: 'stat' }, 'last seen ', h('strong', { title: when(m.lastSeenAt) }, ago(m.lastSeenAt))),
        h('span', { class: 'stat' }, 'backend ', h('strong', {}, m.backend || '—')),
        h('span', { class: 'stat muted' }, 'enrolled ', when(m.enrolledAt)))),
    h('h2', {}, 'Tasks of the federation'), taskTable('tasks', tasks));
}

/** The auditor reads no federation lists: its tasks are the ones whose rounds the log records. */
async function auditorOverview(main) {
  const [created, { reports }] = await Promise.all([allEvents('round.created'), api('/api/v1/audits')]);
  const byTask = new Map();
  for (const e of created) {
    const taskId = e.detail?.taskId;
    if (typeof taskId !== 'string') continue;
    const t = byTask.get(taskId) ?? { taskId, rounds: 0, last: null, aggregation: e.detail.aggregation ?? '—' };
    t.rounds += 1;
    t.last = e.at;
    byTask.set(taskId, t);
  }
  fill(main, h('h1', {}, 'Overview'),
    h('section', { class: 'card' }, h('div', { class: 'stats' },
      h('a', { class: 'stat', href: '#/audits' }, h('strong', {}, String(reports.length)), ' audit reports'),
      h('span', { class: 'stat' }, h('strong', {}, String(byTask.size)), ' tasks with rounds'))),
    h('h2', {}, 'Tasks with rounds (from the log)'),
    table('tasks', ['Task', 'Aggregation', 'Rounds', 'Last round'], [...byTask.values()].map((t) => [
      h('a', { href: `#/tasks/${enc(t.taskId)}` }, shortId(t.taskId)), t.aggregation, String(t.rounds), when(t.last),
    ]), 'no rounds yet'));
}

/** Every log event of one kind (the log pages by 1000). */
export async function allEvents(kind) {
  const out = [];
  let after = 0;
  for (;;) {
    const page = await api(`/api/v1/log?kind=${enc(kind)}&after=${after}&limit=1000`);
    out.push(...page.events);
    if (page.next === null) return out;
    after = page.next;
  }
}

export async function renderOverview(main, _params, { account }) {
  if (account.role === 'member-contact') return contactOverview(main, account);
  if (account.role === 'auditor') return auditorOverview(main);
  return operatorOverview(main);
}
