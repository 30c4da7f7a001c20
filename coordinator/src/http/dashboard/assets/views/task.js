// A task's rounds, live: the current round's stage, survivors, deadline and stage timings from the
// API's round stream (updating without reload), metrics over rounds as charts, every round.
import { api, ApiError, followRounds } from '../api.js';
import { lineChart } from '../chart.js';
import { badge, fill, h, num, shortId, table, when } from '../dom.js';

const enc = encodeURIComponent;
const SECURE_STAGES = ['open', 'advertise_keys', 'share_keys', 'masked_input', 'consistency_check', 'unmask', 'aggregated', 'published'];
const PLAIN_STAGES = ['open', 'masked_input', 'aggregated', 'published'];
const TERMINAL = new Set(['published', 'aborted']);
/** The coordinator's event for a member dropped from a round (its reason and stage in the detail). */
const DROPPED = 'round.member_dropped';

/** Seconds between two ISO times, "12.3 s". */
const took = (from, to) => `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s`;

/** "in 42 s" / "passed 3 s ago" for a deadline. */
function countdown(iso, now = Date.now()) {
  if (!iso) return 'none';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  return s >= 0 ? `in ${s} s (${when(iso)})` : `passed ${-s} s ago (${when(iso)})`;
}

export async function renderTask(main, [taskId], { account, signal, showError }) {
  // The name needs tasks.show, which auditors may not read: they see the id.
  let name = taskId;
  if (account.role !== 'auditor') {
    try { name = (await api(`/api/v1/tasks/${enc(taskId)}`, { signal })).name; } catch (err) { if (!(err instanceof ApiError) || err.status !== 403) throw err; }
  }
  const rounds = new Map();
  const stages = new Map();
  let run = null;
  let streamState = 'connecting';

  const status = h('span', { id: 'stream-status' });
  const heading = h('h2', {});
  const runBox = h('div', { id: 'run' });
  const live = h('section', { id: 'live', class: 'card' });
  const charts = h('section', { id: 'charts', class: 'charts' });
  const list = h('section', { id: 'round-list' });
  fill(main,
    h('h1', {}, name, ' ', shortId(taskId)),
    h('p', {}, h('a', { href: '#/overview' }, '← Overview'), account.role !== 'auditor' ? [' · ', h('a', { href: `#/tasks/${enc(taskId)}/models` }, 'model versions')] : null,
      ' · stream: ', status),
    runBox, heading, live, h('h2', {}, 'Metrics over rounds'), charts, h('h2', {}, 'Rounds'), list);

  const createdOf = (r) => (stages.get(r.roundId) ?? []).find((e) => e.kind === 'round.created');
  const latest = () => [...rounds.values()].sort((a, b) => b.number - a.number)[0];
  // A round picked in the table stays in the panel (its stages and timings) until "follow the latest".
  let pinned = null;
  const shown = () => (pinned && rounds.get(pinned)) || latest();
  const pin = (roundId) => { pinned = roundId; redraw(); };

  const drawLive = () => {
    const r = shown();
    fill(heading, pinned ? ['Round ', String(r?.number ?? ''), ' ', h('button', { type: 'button', class: 'link', id: 'follow-latest', onclick: () => pin(null) }, 'follow the latest round')] : 'Current round');
    if (!r) return fill(live, h('p', { class: 'muted', id: 'live-stage', 'data-state': 'none' }, 'No round yet.'));
    const events = (stages.get(r.roundId) ?? []).slice().sort((a, b) => a.eventId - b.eventId);
    const created = createdOf(r);
    const aggregation = created?.detail?.aggregation ?? r.metrics?.aggregation ?? 'secure';
    const order = aggregation === 'plain' ? PLAIN_STAGES : SECURE_STAGES;
    const reached = order.indexOf(r.state);
    const stageEvents = events.filter((e) => /^round\./.test(e.kind) && e.kind !== DROPPED);
    // Drops are events as they happen; the round record lists them only once the round closes.
    const dropsLive = events.filter((e) => e.kind === DROPPED);
    const survivors = TERMINAL.has(r.state) ? r.survivors : r.participants - Math.max(r.dropped.length, new Set(dropsLive.map((e) => e.detail?.member)).size);
    const droppedText = r.dropped.length ? r.dropped : dropsLive.map((e) => `${e.detail?.member}: ${e.detail?.reason ?? 'dropped'} (stage ${e.detail?.stage ?? '?'})`);
    const timings = stageEvents.map((e, i) => {
      const next = stageEvents[i + 1];
      const stage = e.kind === 'round.created' ? 'open' : e.kind.slice('round.'.length);
      const duration = next ? took(e.at, next.at) : TERMINAL.has(r.state) ? '—' : h('span', { class: 'ticking', 'data-since': e.at }, took(e.at, new Date().toISOString()));
      return [stage, when(e.at), duration];
    });
    fill(live,
      h('div', { class: 'stats' },
        h('span', { class: 'stat' }, 'round ', h('strong', { id: 'live-number' }, String(r.number))),
        h('span', { class: 'stat' }, 'stage ', h('strong', { id: 'live-stage', 'data-state': r.state }, badge(r.state))),
        h('span', { class: 'stat' }, 'survivors ', h('strong', { id: 'live-survivors' }, `${survivors} / ${r.participants}`)),
        h('span', { class: 'stat' }, 'deadline ', h('strong', { id: 'live-deadline', 'data-at': TERMINAL.has(r.state) ? '' : r.deadline ?? '' }, TERMINAL.has(r.state) ? '—' : countdown(r.deadline))),
        h('span', { class: 'stat muted' }, aggregation, ' aggregation')),
      h('ol', { class: 'stepper', 'aria-label': 'stages' }, order.map((s, i) => h('li', {
        class: r.state === 'aborted' ? (stageEvents.some((e) => e.kind === `round.${s}` || (s === 'open' && e.kind === 'round.created')) ? 'done' : 'todo')
          : i < reached ? 'done' : i === reached ? (TERMINAL.has(s) ? 'done' : 'active') : 'todo',
      }, s.replace(/_/g, ' ')))),
      r.state === 'aborted' ? h('p', { class: 'error', id: 'live-reason' }, 'aborted: ', r.reason ?? 'no reason recorded') : null,
      droppedText.length ? h('p', { class: 'muted', id: 'live-dropped' }, 'dropped: ', droppedText.join('; ')) : null,
      h('h3', {}, 'Stage timings'),
      table('stage-timings', ['Stage', 'Began', 'Took'], timings, 'no stage yet'));
  };

  const drawRun = () => {
    if (!run) return fill(runBox);
    const what = run.state === 'waiting' && run.waiting ? `waiting for members: ${run.waiting.online} of ${run.waiting.needed} online`
      : run.state === 'failed' ? `failed: ${run.error ?? ''}` : `${run.rounds} round(s) done`;
    fill(runBox, h('p', { class: 'card run' }, 'Run started by ', h('strong', {}, run.startedBy), ' ', when(run.startedAt), ': ', badge(run.state), ' ', what));
  };

  const drawCharts = () => {
    const done = [...rounds.values()].filter((r) => r.state === 'published' && r.metrics).sort((a, b) => a.number - b.number);
    const series = (key) => done.map((r) => ({ x: r.number, y: r.metrics[key] })).filter((p) => typeof p.y === 'number');
    const regression = done.some((r) => typeof r.metrics.evalRmse === 'number');
    fill(charts,
      regression ? lineChart({ title: 'Held-out RMSE by round', points: series('evalRmse') }) : lineChart({ title: 'Held-out AUC by round', points: series('evalAuc') }),
      lineChart({ title: 'Held-out loss by round', points: series('evalLoss') }),
      lineChart({ title: 'Training loss by round', points: series('trainLoss') }),
      lineChart({ title: 'Survivors by round', points: done.map((r) => ({ x: r.number, y: r.survivors })), digits: 0 }));
  };

  const drawList = () => {
    const all = [...rounds.values()].sort((a, b) => b.number - a.number);
    fill(list, table('rounds', ['Round', 'Purpose', 'State', 'Survivors', 'Started', 'Finished', 'AUC', 'Eval loss', 'Train loss', 'Reason'], all.map((r) => [
      h('button', { type: 'button', class: 'link round-pick', title: 'show its stages and timings above', onclick: () => { pin(r.roundId); heading.scrollIntoView(); } }, String(r.number)), r.metrics?.purpose ?? createdOf(r)?.detail?.purpose ?? '—', badge(r.state), `${r.survivors} / ${r.participants}`, when(r.startedAt), when(r.finishedAt),
      num(r.metrics?.evalAuc), num(r.metrics?.evalLoss), num(r.metrics?.trainLoss), r.reason ?? '',
    ]), 'no round yet'));
  };

  let pending = null;
  const redraw = () => {
    pending ??= setTimeout(() => {
      pending = null;
      fill(status, badge(streamState));
      drawRun(); drawLive(); drawCharts(); drawList();
    }, 30);
  };
  redraw();

  // Running stage times and the deadline count on between events.
  const timer = setInterval(() => {
    for (const el of main.querySelectorAll('.ticking')) el.textContent = took(el.dataset.since, new Date().toISOString());
    const d = main.querySelector('#live-deadline');
    if (d?.dataset.at) d.textContent = countdown(d.dataset.at);
  }, 1000);
  signal.addEventListener('abort', () => { clearInterval(timer); clearTimeout(pending); });

  followRounds(taskId, {
    signal,
    onStatus: (s) => { streamState = s; redraw(); },
    onEvent: (event, data) => {
      if (event === 'round') rounds.set(data.roundId, data);
      else if (event === 'stage') {
        const list = stages.get(data.roundId) ?? [];
        list.push(data);
        stages.set(data.roundId, list);
      } else if (event === 'run') run = data;
      else if (event === 'error') streamState = `error: ${data.message}`;
      redraw();
    },
  }).catch((err) => { if (!signal.aborted) showError(main, err); });
}
