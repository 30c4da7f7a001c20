// The operator's client of the coordinator's HTTP API: the same methods as AdminClient (gRPC), so
// every operator command runs over either (`--api <url>` / CONSORT_API picks this one).
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import type { MemberInfo__Output } from '@consort/protos/types/MemberInfo';
import type { FederationInfo__Output } from '@consort/protos/types/FederationInfo';
import type { TaskInfo__Output } from '@consort/protos/types/TaskInfo';
import type { RoundInfo__Output } from '@consort/protos/types/RoundInfo';
import type { MembersWaiting__Output } from '@consort/protos/types/MembersWaiting';
import { ConsortError, ERROR_CODES, type ErrorCode, type TaskDefinitionInput } from '@consort/core';
import { toRoundReportMessage } from '../transport/grpc/admin-service.ts';
import type { RoundReport } from '../round/round-runner.ts';
import type { AuditRequest } from './admin-client.ts';

/** A live event of the watch stream (see the HTTP API's rounds.watch). */
export interface StageEvent {
  event: string;
  data: Record<string, unknown>;
}

const ms = (iso: unknown): string => (typeof iso === 'string' ? String(Date.parse(iso)) : '0');

export class HttpAdminClient {
  private readonly base: URL;
  private readonly ca?: Buffer;

  constructor(baseUrl: string, private readonly token: string, tlsCaFile?: string) {
    try {
      this.base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    } catch {
      throw new ConsortError('INVALID_ARGUMENT', `--api "${baseUrl}" is not a URL; give the coordinator's HTTP API, e.g. http://127.0.0.1:8080`);
    }
    this.ca = tlsCaFile ? readFileSync(tlsCaFile) : undefined;
  }

  /** Sends one request; resolves with the response (status < 400), else rejects with the API's `CODE: message`. */
  private send(method: 'GET' | 'POST', path: string, body?: unknown, accept = 'application/json'): Promise<IncomingMessage> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const options: RequestOptions & { ca?: Buffer } = {
      method,
      headers: { authorization: `Bearer ${this.token}`, accept, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      ...(this.ca ? { ca: this.ca } : {}),
    };
    const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = make(url, options, (res) => {
        if ((res.statusCode ?? 500) < 400) return resolve(res);
        readAll(res).then((text) => reject(apiError(res.statusCode ?? 500, text)), reject);
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND'
        ? new ConsortError('UNAVAILABLE', `cannot reach the coordinator's HTTP API at ${this.base.origin} (${err.code}); check --api / CONSORT_API and that the coordinator runs (serve --http-address)`)
        : err));
      if (payload) req.write(payload);
      req.end();
    });
  }

  private async json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return JSON.parse(await readAll(await this.send(method, path, body))) as T;
  }

  async createFederation(name: string): Promise<{ id: string; name: string }> {
    const f = await this.json<{ id: string; name: string }>('POST', '/api/v1/federations', { name });
    return { id: f.id, name: f.name };
  }

  async createEnrollmentTokens(federationId: string, count: number, ttlSeconds = 0): Promise<string[]> {
    return (await this.json<{ tokens: string[] }>('POST', `/api/v1/federations/${enc(federationId)}/enrollment-tokens`, { count, ...(ttlSeconds ? { ttlSeconds } : {}) })).tokens;
  }

  async createTask(federationId: string, definition: TaskDefinitionInput): Promise<{ id: string; initialModelVersionId: string; parameterCount: number }> {
    return this.json('POST', `/api/v1/federations/${enc(federationId)}/tasks`, definition);
  }

  async listMembers(federationId: string): Promise<MemberInfo__Output[]> {
    const { members } = await this.json<{ members: { id: string; displayName: string; online: boolean; backend: string }[] }>('GET', `/api/v1/federations/${enc(federationId)}/members`);
    return members.map((m) => ({ id: m.id, displayName: m.displayName, online: m.online, backend: m.backend }));
  }

  async listFederations(): Promise<FederationInfo__Output[]> {
    const { federations } = await this.json<{ federations: { id: string; name: string; createdAt: string; members: number; tasks: number }[] }>('GET', '/api/v1/federations');
    return federations.map((f) => ({ id: f.id, name: f.name, createdUnixMs: ms(f.createdAt), members: f.members, tasks: f.tasks }));
  }

  async listTasks(federationId: string): Promise<TaskInfo__Output[]> {
    const { tasks } = await this.json<{ tasks: (Omit<TaskInfo__Output, 'createdUnixMs'> & { createdAt: string })[] }>('GET', `/api/v1/federations/${enc(federationId)}/tasks`);
    return tasks.map(({ createdAt, ...t }) => ({ ...t, createdUnixMs: ms(createdAt) }));
  }

  async revokeMember(memberId: string): Promise<{ id: string; displayName: string; federationId: string; revokedAt: Date; wasConnected: boolean }> {
    const r = await this.json<{ member: { id: string; displayName: string; federationId: string; revokedAt: string }; wasConnected: boolean }>('POST', `/api/v1/members/${enc(memberId)}/revoke`);
    return { id: r.member.id, displayName: r.member.displayName, federationId: r.member.federationId, revokedAt: new Date(r.member.revokedAt), wasConnected: r.wasConnected };
  }

  async listRounds(taskId: string): Promise<RoundInfo__Output[]> {
    const { rounds } = await this.json<{ rounds: { roundId: string; number: number; state: string; reason: string | null; resultModelVersionId: string | null; participants: number; dropped: string[]; startedAt: string; finishedAt: string | null }[] }>('GET', `/api/v1/tasks/${enc(taskId)}/rounds`);
    return rounds.map((r) => ({
      id: r.roundId, number: r.number, state: r.state, reason: r.reason ?? '', resultModelVersionId: r.resultModelVersionId ?? '', participants: r.participants,
      dropped: r.dropped, startedUnixMs: ms(r.startedAt), finishedUnixMs: ms(r.finishedAt),
    }));
  }

  /**
   * Starts a run over the API and follows its live stream until it ends; `onEvent` sees every
   * stage event (the progress display), `onReport` each finished round. Aborting `signal` aborts
   * the run on the coordinator (the promise then rejects with CANCELLED).
   */
  async runRounds(taskId: string, rounds: number, waitForMembersSeconds = 30, onReport?: (r: RoundReport__Output) => void,
    more: { onWaiting?: (w: MembersWaiting__Output) => void; signal?: AbortSignal; onEvent?: (e: StageEvent) => void; workflow?: string; modelVersion?: number; audit?: AuditRequest } = {}): Promise<RoundReport__Output[]> {
    const a = more.audit;
    // The policy travels as its text; the coordinator parses and hashes it before any round.
    const audit = a ? { policy: a.policy, ...(a.intendedUse ? { intendedUse: a.intendedUse } : {}), ...(a.dataWindow ? { dataWindow: a.dataWindow } : {}), ...(a.mitigations ? { mitigations: a.mitigations } : {}) } : undefined;
    await this.json('POST', `/api/v1/tasks/${enc(taskId)}/runs`, {
      waitSeconds: waitForMembersSeconds, ...(rounds ? { rounds } : {}),
      ...(more.workflow ? { workflow: more.workflow } : {}), ...(more.modelVersion ? { modelVersion: more.modelVersion } : {}), ...(audit ? { audit } : {}),
    });
    const abort = () => { void this.json('POST', `/api/v1/tasks/${enc(taskId)}/run/abort`).catch(() => undefined); };
    more.signal?.addEventListener('abort', abort, { once: true });
    let seen = 0;
    try {
      await this.watch(taskId, (e) => {
        more.onEvent?.(e);
        const waiting = e.event === 'run' ? e.data.waiting as { online: number; needed: number } | null : null;
        if (waiting) more.onWaiting?.({ ...waiting, waitSeconds: waitForMembersSeconds });
      }, { untilRunEnds: true, signal: more.signal });
      const { run } = await this.json<{ run: { state: string; error: string | null; reports: RoundReport[] } }>('GET', `/api/v1/tasks/${enc(taskId)}/run`);
      const reports = run.reports.map((r) => toRoundReportMessage(r) as RoundReport__Output);
      for (const r of reports.slice(seen)) onReport?.(r);
      seen = reports.length;
      if (more.signal?.aborted || run.state === 'aborted') throw new ConsortError('CANCELLED', `run of task ${taskId} was aborted`);
      if (run.state === 'failed' && run.error) throw errorFromText(run.error);
      return reports;
    } finally {
      more.signal?.removeEventListener('abort', abort);
    }
  }

  /** Follows the task's live stream (SSE), calling `onEvent` per event, until it ends or `signal` aborts. */
  async watch(taskId: string, onEvent: (e: StageEvent) => void, o: { untilRunEnds?: boolean; follow?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const q = new URLSearchParams({ untilRunEnds: String(o.untilRunEnds ?? false), follow: String(o.follow ?? true) });
    const res = await this.send('GET', `/api/v1/tasks/${enc(taskId)}/events?${q}`, undefined, 'text/event-stream');
    await new Promise<void>((resolve, reject) => {
      const stop = () => { res.destroy(); resolve(); };
      o.signal?.addEventListener('abort', stop, { once: true });
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (event && data) onEvent({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      });
      res.on('end', () => { o.signal?.removeEventListener('abort', stop); resolve(); });
      res.on('error', reject);
    });
  }

  /** The member model file of a published version (0 = latest) as its exact bytes. */
  async exportModel(taskId: string, version = 0, allowUnaudited = false): Promise<{ bytes: Buffer }> {
    const { models } = await this.json<{ models: { id: string; version: number }[] }>('GET', `/api/v1/tasks/${enc(taskId)}/models`);
    const published = models.filter((m) => m.version > 0);
    const wanted = version ? published.find((m) => m.version === version) : published.at(-1);
    if (!wanted) {
      throw published.length === 0
        ? new ConsortError('NO_MODEL_PUBLISHED', `task ${taskId} has no published model version yet; run its rounds first (consort-coordinator run --task ${taskId})`)
        : new ConsortError('NOT_FOUND', `task ${taskId} has no published version ${version}; its published versions are 1 to ${published.at(-1)!.version} (0 = latest)`);
    }
    if (!allowUnaudited) await this.refuseUnaudited(taskId, wanted);
    const res = await this.send('GET', `/api/v1/models/${enc(wanted.id)}/model-file`);
    return { bytes: await readBytes(res) };
  }

  /** AUDIT_MISSING (as the gRPC export) when the task requires audits and the version has no report. */
  private async refuseUnaudited(taskId: string, v: { id: string; version: number }): Promise<void> {
    const { definition } = await this.json<{ definition: { audit?: unknown } }>('GET', `/api/v1/tasks/${enc(taskId)}`);
    if (!definition.audit) return;
    const { reports } = await this.json<{ reports: { modelVersionId: string }[] }>('GET', '/api/v1/audits');
    if (reports.some((r) => r.modelVersionId === v.id)) return;
    throw new ConsortError('AUDIT_MISSING', `version ${v.version} of task ${taskId} has no audit report and the task requires one: it is not released (audit it with consort-coordinator audit --task ${taskId} --version ${v.version}, or export it anyway with --unaudited)`, { modelVersionId: v.id });
  }

  /** GET of any API path, parsed (show an audit report, the log…). */
  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /** GET of any API path as text (an audit report's HTML). */
  async getText(path: string): Promise<string> {
    return readAll(await this.send('GET', path, undefined, '*/*'));
  }

  close(): void {
    // Nothing to release: every request has its own connection.
  }
}

const enc = encodeURIComponent;

function readBytes(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  return (await readBytes(res)).toString('utf8');
}

function errorFromText(text: string): ConsortError {
  const m = /^([A-Z_]+): ([\s\S]*)$/.exec(text);
  return m && (ERROR_CODES as readonly string[]).includes(m[1]) ? new ConsortError(m[1] as ErrorCode, m[2]) : new ConsortError('INTERNAL', text);
}

/** The API's `{ code, message }` as a ConsortError (the CLI prints it as `CODE: message`). */
function apiError(status: number, text: string): ConsortError {
  try {
    const body = JSON.parse(text) as { code?: string; message?: string };
    if (body.code && (ERROR_CODES as readonly string[]).includes(body.code)) return new ConsortError(body.code as ErrorCode, body.message ?? '');
  } catch {
    // not JSON: a proxy's page, say, reported below
  }
  return new ConsortError(status === 404 ? 'NOT_FOUND' : 'INTERNAL', `the HTTP API answered ${status}: ${text.slice(0, 200)}; check --api points at the coordinator's HTTP API`);
}
