// The coordinator's rounds as one facade: workflows run through the round lifecycle, transport
// handlers reach the rounds in flight (inputs, stage messages, declines), and crash recovery.
import type { Logger } from 'pino';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import type { InputHeader__Output } from '@consort/protos/types/InputHeader';
import type { StageSubmission__Output } from '@consort/protos/types/StageSubmission';
import { type RoundState } from '@consort/core';
import type { MemberConnections } from '../members/connections.ts';
import type { Store, TaskRecord } from '../store/store.ts';
import { workflowFor } from '../workflows/registry.ts';
import type { WorkflowArgs } from '../workflows/workflow.ts';
import { ActiveRounds } from './active-round.ts';
import { plainCollector } from './collectors/plain-collector.ts';
import { secureCollector } from './collectors/secure-collector.ts';
import { RoundLifecycle } from './lifecycle.ts';
import { modelRoundPlan } from './model-round.ts';
import { RoundIntake } from './round-intake.ts';
import type { Purpose } from './round-inputs.ts';
import type { RoundReport, RunRoundsOptions } from './round-types.ts';
import { taskDefinitionOf } from './task-codec.ts';
import { TaskStrategies } from './task-strategies.ts';
import type { CoordinatorKey } from '../signing/coordinator-key.ts';

export * from './round-types.ts';
export { protoMetrics } from './lifecycle.ts';
export { weightsSha256 } from './weights-sha256.ts';
export type { SumRoundClose } from './secure-sum-round.ts';

export interface RoundRunnerOptions {
  store: Store;
  connections: MemberConnections<CoordinatorEvent>;
  logger: Logger;
  /** Signs audit reports (a task's automatic audit, audits over the HTTP API); without it audits need a key of their own. */
  signingKey?: CoordinatorKey;
}

const NON_TERMINAL: RoundState[] = ['open', 'advertise_keys', 'share_keys', 'masked_input', 'consistency_check', 'unmask', 'aggregated'];

/** Runs workflows of rounds; transport handlers call `acceptInput` / `acceptStage` / `declineRound`. */
export class RoundRunner {
  private readonly active: ActiveRounds;
  private readonly intake: RoundIntake;
  private readonly lifecycle: RoundLifecycle;
  private readonly strategies = new TaskStrategies();

  constructor(private readonly opts: RoundRunnerOptions) {
    // Drops are logged as they happen, so the live round stream (HTTP API, dashboard) shows survivors falling mid-round.
    this.active = new ActiveRounds(opts.logger, (round, memberId, reason) => {
      void this.audit('round.member_dropped', round.id, { member: memberId, stage: round.state, reason })
        .catch((err: unknown) => opts.logger.error({ err }, 'audit event not stored'));
    });
    this.intake = new RoundIntake(this.active, opts.store);
    this.lifecycle = new RoundLifecycle({ ...opts, active: this.active, collectors: { plain: plainCollector, secure: secureCollector } });
    opts.connections.on('offline', (memberId) => this.active.memberOffline(memberId));
  }

  /**
   * Settles rounds left mid-flight by a previous coordinator process. A round in `aggregated`
   * was closed together with its result (model, preprocessing or evaluation), so only its
   * publish step was lost; any other is aborted (masks are never reused: a fresh round follows).
   */
  async recoverInterruptedRounds(): Promise<number> {
    const open = await this.opts.store.listRoundsInStates(NON_TERMINAL);
    for (const r of open) {
      if (r.state === 'aggregated') {
        await this.opts.store.updateRound(r.id, 'aggregated', { state: 'published' });
        await this.audit('round.published', r.id, { recovered: true });
        continue;
      }
      const reason = 'coordinator restarted mid-round; the round was aborted and a fresh round (fresh keys) will be started';
      await this.opts.store.updateRound(r.id, r.state, { state: 'aborted', reason, finishedAt: new Date() });
      await this.audit('round.aborted', r.id, { reason, from: r.state });
    }
    return open.length;
  }

  /**
   * Runs the task's own workflow (its kind: model training or segmentation); `rounds` caps
   * training, `audit` audits the run's final version or published segmentation (over the task's own audit policy).
   */
  async runTask(taskId: string, rounds?: number, options: RunRoundsOptions = {}, audit?: WorkflowArgs['audit']): Promise<RoundReport[]> {
    const task = await this.opts.store.getTask(taskId);
    const kind = taskDefinitionOf(task).kind ?? 'model';
    return this.runWorkflow(kind, task, { rounds, ...(audit ? { audit } : {}) }, options);
  }

  /** Runs the workflow registered as `kind` on a task; returns every round's report in order. */
  async runWorkflow(kind: string, taskOrId: TaskRecord | string, args: WorkflowArgs = {}, options: RunRoundsOptions = {}): Promise<RoundReport[]> {
    const workflow = workflowFor(kind);
    const task = typeof taskOrId === 'string' ? await this.opts.store.getTask(taskOrId) : taskOrId;
    const reports: RoundReport[] = [];
    await workflow.run({
      task, store: this.opts.store, logger: this.opts.logger, lifecycle: this.lifecycle, strategies: this.strategies, options, args, signingKey: this.opts.signingKey,
      report: (r) => { reports.push(r); options.onReport?.(r); },
    });
    return reports;
  }

  /** One model round through the lifecycle (benchmarks time it from member selection to the stored model). */
  async runRound(task: TaskRecord, purpose: Purpose, options: RunRoundsOptions = {}): Promise<RoundReport> {
    const plan = await modelRoundPlan({ store: this.opts.store, logger: this.opts.logger, strategies: this.strategies }, task, purpose);
    return (await this.lifecycle.run(plan, options)).report;
  }

  expectedInputBytes(memberId: string, header: InputHeader__Output): number {
    return this.intake.expectedInputBytes(memberId, header);
  }

  acceptInput(memberId: string, header: InputHeader__Output, data: Buffer): void {
    this.intake.acceptInput(memberId, header, data);
  }

  acceptStage(memberId: string, submission: StageSubmission__Output): void {
    this.intake.acceptStage(memberId, submission);
  }

  declineRound(memberId: string, roundId: string, code: string, reason: string): Promise<{ accepted: boolean; detail: string }> {
    return this.intake.declineRound(memberId, roundId, code, reason);
  }

  private async audit(kind: string, subjectId: string, detail: Record<string, unknown>): Promise<void> {
    await this.opts.store.appendAuditEvent({ actor: 'coordinator', kind, subjectType: kind.split('.')[0], subjectId, detail });
  }
}
