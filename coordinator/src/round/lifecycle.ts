// One round's lifecycle, written once for every kind of round: open -> collect -> close.
// Every state change goes through move(): validated by core's transition table, persisted
// (compare-and-set) before anything acts on it, audited, then that state's effects performed.
import type { Logger } from 'pino';
import { ConsortError, isConsortError, transition, type RoundEvent, type TaskDefinition, type TrainSettings } from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import type { MemberConnections } from '../members/connections.ts';
import type { JsonObject, ModelVersionMeta, RoundResultInput, Store, TaskRecord } from '../store/store.ts';
import type { ActiveRound, ActiveRounds } from './active-round.ts';
import { throwIfCancelled, untilCancelled } from './cancellation.ts';
import type { Collected, CollectRequest, Collector, CollectorIo } from './collector.ts';
import { droppedForStore, type AnyPurpose, type RoundMetricsSummary, type RoundReport, type RunRoundsOptions } from './round-types.ts';
import { waitForMembers } from './wait-for-members.ts';

type RoundClosed = NonNullable<CoordinatorEvent['roundClosed']>;

/** What a workflow asks of one round. */
export interface RoundPlan {
  task: TaskRecord;
  def: TaskDefinition;
  purpose: AnyPurpose;
  /** Which of the lifecycle's collectors gathers the inputs. */
  aggregation: 'plain' | 'secure';
  /** The model version the round starts from (default: the task's latest). */
  base?: ModelVersionMeta;
  /** Extra wait, once enough members are online, for the other enrolled ones. */
  settleMs?: number;
  /** The strategy's configure step for round `number`: which online members take part, and their local settings (default: all, the task's). */
  configure?(number: number, online: string[]): { members: string[]; train?: TrainSettings };
  /** The collection request, once the round exists (its RoundOpen comes from task-codec). */
  request(round: ActiveRound, base: ModelVersionMeta): CollectRequest;
  /** Turns the sum into what the round stores and reports; nothing is stored until the round closes. */
  close(round: ActiveRound, collected: Collected, base: ModelVersionMeta): Promise<RoundClose>;
}

/** A round's result: stored atomically with its move to `aggregated`. */
export interface RoundClose {
  /** Stored as the round's metrics. */
  metrics: JsonObject;
  result: RoundResultInput;
  /** The common metrics of a model round (reported, and sent to members). */
  summary?: RoundMetricsSummary;
  /** What a secure-sum round reports beyond the common metrics. */
  detail?: JsonObject;
  /** The version the report names when the round produced none (an evaluation names what it measured). */
  measured?: { id: string; version: number };
}

/** A finished round: its report, and for a published round what was collected and kept. */
export interface RoundOutcome {
  report: RoundReport;
  collected?: Collected;
  closed?: RoundClose;
}

export interface LifecycleDeps {
  store: Store;
  connections: Pick<MemberConnections<CoordinatorEvent>, 'send' | 'online'>;
  logger: Logger;
  active: ActiveRounds;
  /** The injected collectors: the real ones in the coordinator, fakes in unit tests. */
  collectors: Record<'plain' | 'secure', Collector>;
}

interface MoveExtra {
  deadlineMs?: number;
  close?: RoundClose;
  announce?: RoundClosed;
}

export class RoundLifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  /** One round from member selection to its published result, or a clean abort with the reason. */
  async run(plan: RoundPlan, options: RunRoundsOptions = {}): Promise<RoundOutcome> {
    const { store, logger, active } = this.deps;
    const { task, def, purpose } = plan;
    const collector = this.deps.collectors[plan.aggregation];
    const online = await waitForMembers(this.deps, task.federationId, def.minMembers, options.waitForMembersMs ?? 30_000, options, plan.settleMs ?? 0);
    throwIfCancelled(options.signal);
    const base = plan.base ?? await store.latestModelVersion(task.id);
    if (!base) throw new ConsortError('NOT_FOUND', `task ${task.id} has no model version; create the task again`);
    const number = (await store.listRounds(task.id)).length + 1;
    const configured = plan.configure?.(number, online) ?? { members: online };
    const participants = configured.members;
    const timeoutMs = def.stageTimeoutSeconds * 1000;
    const firstStage = collector.aggregation === 'secure' ? 'advertise_keys' : 'masked_input';
    const record = await store.createRound({
      taskId: task.id, number, state: 'open', deadlines: { [firstStage]: Date.now() + timeoutMs }, baseModelVersionId: base.id, participants,
    });
    const round: ActiveRound = {
      id: record.id, number, state: 'open', purpose, train: configured.train ?? def.train, minMembers: def.minMembers,
      participants: new Set(participants), dropped: new Map(),
    };
    const log = logger.child({ round: round.id, task: task.id, number, purpose, aggregation: collector.aggregation });
    await this.audit('round.created', round.id, { taskId: task.id, number, purpose, participants, aggregation: collector.aggregation, minMembers: def.minMembers });
    if (participants.length < def.minMembers) {
      return { report: await this.abort(round, `too few members: ${participants.length} connected, the task needs at least ${def.minMembers}`) };
    }
    if (collector.aggregation === 'plain') log.warn('plain aggregation (debug opt-out): the coordinator sees each member\'s update');
    active.add(round);
    try {
      const collecting = collector.collect(round, plan.request(round, base), this.io(round));
      const collected = await untilCancelled(collecting, options.signal, () => collector.unblock(round));
      if (!collected) {
        const sent = round.plain?.submitted.size ?? 0;
        return { report: await this.abort(round, `too few members survived the input stage: ${sent} of ${participants.length}, the task needs ${def.minMembers}`) };
      }
      log.info({ survivors: collected.survivors.length, dropped: round.dropped.size }, 'inputs summed');
      const closed = await plan.close(round, collected, base);
      const produced = await this.move(round, collector.aggregation === 'secure' ? { type: 'unmasked' } : { type: 'inputs_closed', secure: false }, { close: closed });
      const named = produced ?? closed.measured;
      await this.move(round, { type: 'publish' }, {
        announce: { roundId: round.id, outcome: 'aggregated', reason: '', modelVersionId: produced?.id ?? '', ...(closed.summary ? { metrics: protoMetrics(closed.summary) } : {}) },
      });
      const report: RoundReport = {
        roundId: round.id, number, purpose, state: 'published', modelVersionId: named?.id, modelVersion: named?.version,
        metrics: closed.summary, participants, dropped: [...round.dropped.values()], ...(closed.detail ? { detail: closed.detail } : {}),
      };
      return { report, collected, closed };
    } catch (err) {
      if (!isConsortError(err)) log.error({ err }, 'round failed');
      if (round.state !== 'aborted' && round.state !== 'published') {
        const reason = isConsortError(err) ? err.message : 'internal coordinator error (see the coordinator log)';
        return { report: await this.abort(round, reason) };
      }
      throw err;
    } finally {
      active.remove(round.id);
    }
  }

  /**
   * The one place a round changes state: validate, persist (with the round's result when it
   * closes), audit `round.<state>`, then the new state's effects. Returns the stored model
   * version when the move stored one.
   */
  async move(round: ActiveRound, event: RoundEvent, extra: MoveExtra = {}): Promise<{ id: string; version: number } | undefined> {
    const { store } = this.deps;
    const from = round.state;
    const next = transition(from, event);
    const dropped = [...round.dropped.values()];
    let produced: ModelVersionMeta | undefined;
    if (next.state === 'aggregated') {
      const close = extra.close;
      if (!close) throw new ConsortError('INVALID_TRANSITION', `round ${round.id} cannot close without its result`);
      const patch = { state: next.state, dropped: droppedForStore(dropped), metrics: close.metrics, finishedAt: new Date() };
      produced = (await store.closeRound(round.id, from, patch, close.result)).modelVersion;
    } else if (next.state === 'aborted') {
      await store.updateRound(round.id, from, { state: next.state, reason: next.reason, dropped: droppedForStore(dropped), finishedAt: new Date() });
    } else {
      await store.updateRound(round.id, from, extra.deadlineMs === undefined ? { state: next.state } : { state: next.state, deadlines: { [next.state]: extra.deadlineMs } });
    }
    round.state = next.state;
    await this.audit(`round.${next.state}`, round.id, next.state === 'aborted' ? { reason: next.reason, from }
      : next.state === 'aggregated' ? { survivors: round.participants.size - dropped.length, dropped: dropped.length, modelVersionId: produced?.id ?? null } : {});
    for (const effect of next.effects) {
      if (effect === 'store_model_version') await this.stored(round, produced, extra.close);
      if (effect === 'announce_close') this.announce(round, extra.announce ?? { roundId: round.id, outcome: 'aborted', reason: next.reason ?? '', modelVersionId: '' });
    }
    return produced;
  }

  /** Aborts the round with a reason the operator reads (and every participant hears). */
  private async abort(round: ActiveRound, reason: string): Promise<RoundReport> {
    round.secure?.session.abort(reason);
    await this.move(round, { type: 'abort', reason });
    this.deps.logger.warn({ round: round.id, reason }, 'round aborted');
    return { roundId: round.id, number: round.number, purpose: round.purpose, state: 'aborted', reason, participants: [...round.participants], dropped: [...round.dropped.values()] };
  }

  /** The audit trail of what the close stored (the data itself was written with the move). */
  private async stored(round: ActiveRound, produced: ModelVersionMeta | undefined, close: RoundClose | undefined): Promise<void> {
    const aggregation = round.secure ? 'secure' : 'plain';
    const result = close?.result;
    if (produced) await this.audit('model.stored', produced.id, { roundId: round.id, version: produced.version, aggregation });
    if (result?.pipeline) await this.audit('task.pipeline_fitted', result.pipeline.taskId, { roundId: round.id, rows: close?.summary?.numExamples ?? null });
    if (result?.evaluation) await this.audit('model.evaluated', result.evaluation.modelVersionId, { roundId: round.id });
  }

  private io(round: ActiveRound): CollectorIo {
    return {
      store: this.deps.store,
      send: (m, e) => this.deps.connections.send(m, e),
      move: async (event, deadlineMs) => { await this.move(round, event, { deadlineMs }); },
      drop: (m, reason) => this.deps.active.drop(round, m, reason),
      audit: (kind, detail) => this.audit(kind, round.id, detail).catch((err: unknown) => this.deps.logger.error({ err, kind }, 'audit event not stored')),
    };
  }

  private announce(round: ActiveRound, closed: RoundClosed): void {
    for (const m of round.participants) this.deps.connections.send(m, { roundClosed: closed });
  }

  private async audit(kind: string, subjectId: string, detail: Record<string, unknown>): Promise<void> {
    await this.deps.store.appendAuditEvent({ actor: 'coordinator', kind, subjectType: kind.split('.')[0], subjectId, detail });
  }
}

/** A round's metrics as the wire message (members' RoundClosed, the admin API's RoundReport). */
export function protoMetrics(m: RoundMetricsSummary): RoundClosed['metrics'] {
  return {
    participants: m.participants, numExamples: m.numExamples, trainLoss: m.trainLoss ?? undefined, evalLoss: m.evalLoss ?? undefined,
    evalAuc: m.evalAuc ?? undefined, evalExamples: m.evalExamples, stageSeconds: { ...m.stageSeconds },
    warnings: (m.warnings ?? []).map((w) => ({ code: w.code, message: w.message, column: w.column ?? '' })),
  };
}
