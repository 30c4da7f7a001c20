// The coordinator's API as the pages use it: the token from sessionStorage as a bearer header,
// errors as ApiError with the API's code, and the live round stream (SSE read over fetch, since
// EventSource cannot send the Authorization header).

const TOKEN_KEY = 'consort.apiToken';
const ACCOUNT_KEY = 'consort.account';

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) ?? ''; },
  /** The account of the token (GET /api/v1/me), kept for the navigation. */
  get account() {
    try { return JSON.parse(sessionStorage.getItem(ACCOUNT_KEY) ?? 'null'); } catch { return null; }
  },
  save(token, account) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ACCOUNT_KEY, JSON.stringify(account));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ACCOUNT_KEY);
  },
};

/** A refusal or failure of the API: its stable code (docs/errors.md), message and HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function errorOf(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON: use the status */ }
  return new ApiError(res.status, body?.code ?? `HTTP_${res.status}`, body?.message ?? `${res.status} ${res.statusText}`);
}

/** Network failures (coordinator down) as an ApiError too, so every view shows them the same way. */
async function send(path, init = {}, token = session.token) {
  try {
    return await fetch(path, { ...init, headers: { ...(init.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'UNAVAILABLE', 'the coordinator did not answer; is it running? Reload to try again');
  }
}

/** GET (or `init`) a JSON route; throws ApiError on any non-2xx answer. */
export async function api(path, init = {}, token = session.token) {
  const res = await send(path, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } }, token);
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

/** GET a text route (the audit report HTML). */
export async function apiText(path) {
  const res = await send(path);
  if (!res.ok) throw await errorOf(res);
  return res.text();
}

/**
 * Follows a task's round stream (GET /api/v1/tasks/:id/events) until `signal` aborts, calling
 * `onEvent(name, data)` per event and `onStatus(text)` on (re)connection; reconnects after a
 * dropped stream from the last event id it saw, so nothing is shown twice or missed.
 */
export async function followRounds(taskId, { onEvent, onStatus, signal }) {
  let lastId = 0;
  while (!signal.aborted) {
    try {
      const res = await send(`/api/v1/tasks/${encodeURIComponent(taskId)}/events?after=${lastId}`, { signal, headers: { accept: 'text/event-stream' } });
      if (!res.ok) throw await errorOf(res);
      onStatus('live');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const parsed = parseFrame(frame);
          if (!parsed) continue;
          if (parsed.id !== undefined) lastId = Math.max(lastId, parsed.id);
          onEvent(parsed.event, parsed.data);
        }
      }
    } catch (err) {
      if (signal.aborted || err?.name === 'AbortError') return;
      // A refusal will not change by retrying: hand it to the view.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) throw err;
    }
    if (signal.aborted) return;
    onStatus('reconnecting');
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** One SSE frame -> { event, id, data }; comments (heartbeats) -> null. */
export function parseFrame(frame) {
  let event = 'message';
  let id;
  const data = [];
  for (const line of frame.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = Number(value);
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return null;
  try {
    return { event, id, data: JSON.parse(data.join('\n')) };
  } catch {
    return null;
  }
}
