// Runs of tasks started over the HTTP API: at most one per task, each abortable, their outcome kept.
import { ConsortError, describeError } from '@consort/core';
import type { RoundReport, RoundRunner } from './round-runner.ts';
import type { AuditWorkflowArgs } from '../audit/audit-workflow-args.ts';

/** One run of a task (several rounds until early stopping or the round cap). */
export interface TaskRun {
  taskId: string;
  state: 'waiting' | 'running' | 'finished' | 'failed' | 'aborted';
  startedAt: Date;
  finishedAt?: Date;
  startedBy: string;
  /** While waiting for members: connected / needed. */
  waiting?: { online: number; needed: number };
  reports: RoundReport[];
  /** `CODE: message` of a failed run. */
  error?: string;
}

export interface StartRunOptions {
  rounds?: number;
  /** A workflow other than the task's own (e.g. "evaluate"); default: the task's kind. */
  workflow?: string;
  /** The published model version the workflow works on (default: the latest). */
  version?: number;
  waitForMembersMs?: number;
  startedBy: string;
  /** An audit's policy and declaration: of a training run's final version, or of `version` with workflow "audit" (signed with the runner's key). */
  audit?: AuditWorkflowArgs;
}

/** The runs this coordinator process started; a restart forgets them (their rounds are aborted by recovery). */
export class TaskRuns {
  private readonly runs = new Map<string, { run: TaskRun; cancel: AbortController; done: Promise<void> }>();

  constructor(private readonly rounds: Pick<RoundRunner, 'runTask'> & Partial<Pick<RoundRunner, 'runWorkflow'>>) {}

  /** Starts a run in the background; INVALID_ARGUMENT if one of the task is in progress. */
  start(taskId: string, o: StartRunOptions): TaskRun {
    const current = this.runs.get(taskId);
    if (current && !current.run.finishedAt) {
      throw new ConsortError('INVALID_ARGUMENT', `a run of task ${taskId} is already in progress (started ${current.run.startedAt.toISOString()} by ${current.run.startedBy}); watch it, or abort it first`, { taskId });
    }
    const cancel = new AbortController();
    const run: TaskRun = { taskId, state: 'waiting', startedAt: new Date(), startedBy: o.startedBy, reports: [] };
    const options = {
      waitForMembersMs: o.waitForMembersMs, signal: cancel.signal,
      onWaiting: (online: number, needed: number) => { run.state = 'waiting'; run.waiting = { online, needed }; },
      onReport: (r: RoundReport) => { run.state = 'running'; run.waiting = undefined; run.reports.push(r); },
    };
    const { runWorkflow } = this.rounds;
    if (o.workflow && !runWorkflow) throw new ConsortError('INVALID_ARGUMENT', `this coordinator runs only tasks' own workflows, not "${o.workflow}"`);
    const done = (o.workflow && runWorkflow
      ? runWorkflow.call(this.rounds, o.workflow, taskId, { rounds: o.rounds, version: o.version, ...(o.audit ? { audit: o.audit } : {}) }, options)
      : this.rounds.runTask(taskId, o.rounds, options, o.audit)).then(
      () => { run.state = cancel.signal.aborted ? 'aborted' : 'finished'; },
      (err: unknown) => {
        run.state = cancel.signal.aborted ? 'aborted' : 'failed';
        const d = describeError(err);
        run.error = `${d.code}: ${d.message}`;
      },
    ).finally(() => { run.finishedAt = new Date(); run.waiting = undefined; });
    this.runs.set(taskId, { run, cancel, done });
    return run;
  }

  /** The latest run of the task (in progress or finished), if this process started one. */
  get(taskId: string): TaskRun | undefined {
    return this.runs.get(taskId)?.run;
  }

  /** Aborts the run in progress (its current round is aborted by the runner); NOT_FOUND when none is. */
  async abort(taskId: string): Promise<TaskRun> {
    const current = this.runs.get(taskId);
    if (!current || current.run.finishedAt) {
      throw new ConsortError('NOT_FOUND', `no run of task ${taskId} is in progress; start one with POST /api/v1/tasks/${taskId}/runs (CLI: run --task ${taskId})`, { taskId });
    }
    current.cancel.abort();
    await current.done;
    return current.run;
  }

  /** Aborts every run and waits for them (coordinator shutdown). */
  async abortAll(): Promise<void> {
    for (const r of this.runs.values()) r.cancel.abort();
    await Promise.all([...this.runs.values()].map((r) => r.done));
  }
}
