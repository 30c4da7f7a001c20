// The dashboard's shell: login, navigation per role, a hash router, and one way to show a
// refusal or failure (never a blank page, never a stack trace).
import { api, ApiError, session } from './api.js';
import { fill, h } from './dom.js';
import { renderOverview } from './views/overview.js';
import { renderMembers, renderMember } from './views/members.js';
import { renderTask } from './views/task.js';
import { renderModels } from './views/models.js';
import { renderAudits, renderAudit } from './views/audits.js';
import { renderLog } from './views/log.js';

const main = document.getElementById('main');

/** Hash routes: pattern -> view. A view gets (main, params, ctx) and may register cleanups. */
const ROUTES = [
  [/^\/?$/, renderOverview],
  [/^\/overview$/, renderOverview],
  [/^\/federations\/([^/]+)\/members$/, renderMembers],
  [/^\/members\/([^/]+)$/, renderMember],
  [/^\/tasks\/([^/]+)$/, renderTask],
  [/^\/tasks\/([^/]+)\/models$/, renderModels],
  [/^\/audits$/, renderAudits],
  [/^\/audits\/([^/]+)$/, renderAudit],
  [/^\/log$/, renderLog],
];

/** Pages in the navigation, per role (a page not listed can still be opened; the API decides). */
const NAV = {
  operator: [['#/overview', 'Overview'], ['#/audits', 'Audit reports'], ['#/log', 'Log']],
  auditor: [['#/overview', 'Overview'], ['#/audits', 'Audit reports'], ['#/log', 'Log']],
  'member-contact': [['#/overview', 'My member']],
};

let current = null;

function drawChrome(account) {
  const nav = document.getElementById('nav');
  const here = location.hash || '#/overview';
  fill(nav, account ? (NAV[account.role] ?? []).map(([href, label]) =>
    h('a', { href, class: here.startsWith(href) ? 'active' : null }, label)) : []);
  fill(document.getElementById('who'), account
    ? [h('span', { class: 'account' }, account.name, ' · ', h('span', { class: 'role' }, account.role)),
      h('button', { type: 'button', class: 'link', onclick: logout }, 'Log out')]
    : []);
}

function logout() {
  session.clear();
  location.hash = '#/login';
}

/** What a view shows when its API call failed: the refusal by role, or the error's code and message. */
export function showError(el, err) {
  if (err instanceof ApiError && err.status === 403) {
    const role = session.account?.role ?? 'this';
    return fill(el, h('section', { class: 'refused', role: 'alert' },
      h('h2', {}, `Not allowed for role ${role}`),
      h('p', {}, 'The coordinator refused this page for your account: ', h('code', {}, err.code)),
      h('p', { class: 'muted' }, err.message),
      h('p', {}, h('a', { href: '#/overview' }, 'Back to the overview'))));
  }
  if (err instanceof ApiError && err.status === 401) {
    session.clear();
    return renderLogin(el, `Your token was refused (${err.code}): ${err.message}`);
  }
  const code = err instanceof ApiError ? err.code : 'INTERNAL';
  const message = err instanceof ApiError ? err.message : 'the page failed unexpectedly; reload it, and if it persists tell the coordinator operator';
  if (!(err instanceof ApiError)) console.warn('dashboard view failed', err);
  return fill(el, h('section', { class: 'failed', role: 'alert' },
    h('h2', {}, 'Could not load this page'), h('p', {}, h('code', {}, code), ': ', message)));
}

function renderLogin(el, note) {
  drawChrome(null);
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, placeholder: 'cst_…', size: 48 });
  const status = h('p', { id: 'login-status', class: note ? 'error' : 'muted', role: 'status' }, note ?? '');
  const form = h('form', { id: 'login', class: 'card login' },
    h('h2', {}, 'Log in'),
    h('p', { class: 'muted' }, 'Paste your API token. An operator creates it with ', h('code', {}, 'consort-coordinator api-token create --role <role> --name <you>'),
      '. It stays in this browser tab only (session storage).'),
    h('label', { for: 'token' }, 'API token'), input,
    h('button', { type: 'submit' }, 'Log in'), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    fill(status, 'Checking…');
    try {
      const account = await api('/api/v1/me', {}, token);
      session.save(token, account);
      location.hash = '#/overview';
      if (location.hash === '#/overview') route();
    } catch (err) {
      status.className = 'error';
      fill(status, err instanceof ApiError ? `${err.code}: ${err.message}` : 'the coordinator did not answer');
    }
  });
  fill(el, form);
  input.focus();
}

async function route() {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const path = location.hash.replace(/^#/, '');
  const account = session.account;
  if (!session.token || !account || path === '/login') return renderLogin(main);
  drawChrome(account);
  const found = ROUTES.map(([re, view]) => [re.exec(path.split('?')[0]), view]).find(([m]) => m);
  if (!found) {
    return fill(main, h('section', { class: 'failed' }, h('h2', {}, 'No such page'), h('p', {}, h('a', { href: '#/overview' }, 'Go to the overview'))));
  }
  const [match, view] = found;
  // Each view draws into its own element: a view still loading when the visitor moves on can no
  // longer overwrite the next page (its late draws land in an element no longer on the page).
  const host = h('div', { class: 'view' });
  fill(main, host);
  fill(host, h('p', { class: 'muted' }, 'Loading…'));
  try {
    await view(host, match.slice(1).map(decodeURIComponent), { account, signal: controller.signal, showError });
  } catch (err) {
    if (controller.signal.aborted || err?.name === 'AbortError') return;
    showError(host, err);
  }
}

window.addEventListener('hashchange', route);
route();
