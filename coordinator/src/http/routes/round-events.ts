// The live stage events of a task's rounds, derived from what the store records (round records and
// the coordinator's audit events), so they follow whatever the round code does and survive restarts.
import type { AuditEventRecord, RoundRecord, Store } from '../../store/store.ts';
import type { TaskRun } from '../../round/task-runs.ts';
import { iso } from '../route.ts';

/** One Server-Sent Event: its name and JSON data. */
export interface WatchEvent {
  event: 'round' | 'stage' | 'run';
  /** SSE id: the audit event id of stage events, so a client can resume with Last-Event-ID. */
  id?: number;
  data: Record<string, unknown>;
}

const TERMINAL = new Set(['published', 'aborted']);
/** How long after a round's last change its closing audit event may still arrive. */
const CLOSING_GRACE_MS = 10_000;

/** A round as the watch stream shows it: stage, survivors, the current stage's deadline. */
export function roundSnapshot(r: RoundRecord): Record<string, unknown> {
  const deadline = r.deadlines[r.state];
  return {
    roundId: r.id, taskId: r.taskId, number: r.number, state: r.state, reason: r.reason ?? null,
    participants: r.participants.length, dropped: r.dropped, survivors: r.participants.length - r.dropped.length,
    deadline: deadline ? new Date(deadline).toISOString() : null, startedAt: iso(r.startedAt), updatedAt: iso(r.updatedAt), finishedAt: iso(r.finishedAt),
    resultModelVersionId: r.resultModelVersionId ?? null, metrics: r.metrics ?? null,
  };
}

export function runSnapshot(run: TaskRun): Record<string, unknown> {
  return {
    taskId: run.taskId, state: run.state, startedAt: iso(run.startedAt), finishedAt: iso(run.finishedAt), startedBy: run.startedBy,
    waiting: run.waiting ?? null, rounds: run.reports.length, error: run.error ?? null,
  };
}

/** A run with the report of every round it finished (what `run` prints per round). */
export function runWithReports(run: TaskRun): Record<string, unknown> {
  return { ...runSnapshot(run), reports: run.reports };
}

/**
 * Remembers what a watcher has been sent and yields only what changed since: rounds whose record
 * moved, the audit events of the task's rounds after `afterEventId`, and the run's state.
 */
export class RoundEventTracker {
  private readonly sentRounds = new Map<string, string>();
  private readonly finished = new Set<string>();
  /** Stage event kinds read so far, per round. */
  private readonly seenKinds = new Map<string, Set<string>>();
  private lastRun = '';
  /** Rounds the last poll saw closed whose closing audit event had not been read yet. */
  private closing = 0;

  constructor(private readonly store: Store, private readonly taskId: string, private afterEventId = 0) {}

  /** True once every closed round's last event has been sent: a stream that ends then misses none. */
  get settled(): boolean {
    return this.closing === 0;
  }

  async poll(run: TaskRun | undefined): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    const rounds = await this.store.listRounds(this.taskId);
    const stageEvents: AuditEventRecord[] = [];
    this.closing = 0;
    for (const r of rounds) {
      // A finished round's events were read once after it finished; they never change again.
      if (this.finished.has(r.id)) continue;
      const events = await this.store.listAuditEvents({ subjectId: r.id, afterId: this.afterEventId });
      stageEvents.push(...events);
      const snapshot = roundSnapshot(r);
      const key = JSON.stringify([r.state, r.updatedAt.getTime(), r.dropped.length, r.participants.length]);
      if (this.sentRounds.get(r.id) !== key) {
        this.sentRounds.set(r.id, key);
        out.push({ event: 'round', data: snapshot });
      }
      // The runner stores the state first and its audit event just after: a round is done once
      // the event of its terminal state was read too (or, for rounds closed without one, a while
      // after its last change). Only that state's event counts: an earlier stage's event read
      // before the round closed does not (that marked a round done before its closing event was read).
      const kinds = this.seenKinds.get(r.id) ?? new Set<string>();
      for (const e of events) kinds.add(e.kind);
      this.seenKinds.set(r.id, kinds);
      if (TERMINAL.has(r.state) && (kinds.has(`round.${r.state}`) || Date.now() - r.updatedAt.getTime() > CLOSING_GRACE_MS)) this.finished.add(r.id);
      else if (TERMINAL.has(r.state)) this.closing += 1;
    }
    const numberOf = new Map(rounds.map((r) => [r.id, r.number]));
    for (const e of stageEvents.sort((a, b) => a.id - b.id)) {
      out.push({ event: 'stage', id: e.id, data: { eventId: e.id, roundId: e.subjectId, number: numberOf.get(e.subjectId) ?? null, kind: e.kind, at: iso(e.at), detail: e.detail } });
      this.afterEventId = Math.max(this.afterEventId, e.id);
    }
    if (run) {
      const snap = runSnapshot(run);
      const key = JSON.stringify(snap);
      if (key !== this.lastRun) {
        this.lastRun = key;
        out.push({ event: 'run', data: snap });
      }
    }
    return out;
  }
}

/** The SSE wire form of one event. */
export function sseFrame(e: WatchEvent): string {
  return `${e.id !== undefined ? `id: ${e.id}\n` : ''}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}
