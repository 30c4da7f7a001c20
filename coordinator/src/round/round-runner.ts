// Runs rounds as a persisted state machine: select members, open, collect inputs, aggregate.
// The state is written to the store before every effect, so a crash leaves a known state.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  ConsortError, FedAvg, aucFromHistograms, isConsortError, pipelineFromStats, transition,
  type FeaturePipeline, type ModelSpec, type RoundEvent, type RoundState, type Strategy, type TaskDefinition,
} from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import type { InputHeader__Output } from '@consort/protos/types/InputHeader';
import type { Store, TaskRecord } from '../store/store.ts';
import type { MemberConnections } from '../members/connections.ts';
import { RoundInputs, decodeVector, type Purpose } from './round-inputs.ts';
import { featureSchemaOf, roundOpenEvent, statisticsLength, taskDefinitionOf } from './task-codec.ts';

export interface DroppedMember {
  memberId: string;
  stage: RoundState;
  reason: string;
}

export interface RoundMetricsSummary {
  participants: number;
  numExamples: number;
  trainLoss: number;
  evalLoss: number;
  evalAuc: number | null;
  evalExamples: number;
  minMembers: number;
  aggregation: string;
}

/** What the operator sees of a finished round. */
export interface RoundReport {
  roundId: string;
  number: number;
  purpose: Purpose;
  state: 'published' | 'aborted';
  reason?: string;
  modelVersionId?: string;
  modelVersion?: number;
  metrics?: RoundMetricsSummary;
  participants: string[];
  dropped: DroppedMember[];
}

export interface RunRoundsOptions {
  /** How long to wait for minMembers to be connected before each round (default 30 s). */
  waitForMembersMs?: number;
  onReport?: (report: RoundReport) => void;
}

interface ActiveRound {
  id: string;
  taskId: string;
  state: RoundState;
  purpose: Purpose;
  participants: Set<string>;
  submitted: Set<string>;
  dropped: Map<string, DroppedMember>;
  inputs: RoundInputs;
  settle: () => void;
}

export interface RoundRunnerOptions {
  store: Store;
  connections: MemberConnections<CoordinatorEvent>;
  logger: Logger;
  strategy?: Strategy;
}

/** Orchestrates the rounds of tasks; transport handlers call `acceptInput`. */
export class RoundRunner {
  private readonly active = new Map<string, ActiveRound>();
  private readonly strategy: Strategy;

  constructor(private readonly opts: RoundRunnerOptions) {
    this.strategy = opts.strategy ?? new FedAvg();
    opts.connections.on('offline', (memberId) => {
      for (const round of this.active.values()) {
        if (round.participants.has(memberId) && !round.submitted.has(memberId)) {
          this.drop(round, memberId, 'disconnected before sending its input');
        }
      }
    });
  }

  /** Aborts rounds left mid-flight by a previous coordinator process (masks are never reused). */
  async recoverInterruptedRounds(): Promise<number> {
    const open = await this.opts.store.listRoundsInStates(['open', 'advertise_keys', 'share_keys', 'masked_input', 'consistency_check', 'unmask', 'aggregated']);
    for (const r of open) {
      if (r.state === 'aggregated' && r.resultModelVersionId) {
        // The model was stored atomically with the state: only the publish step was lost.
        await this.opts.store.updateRound(r.id, 'aggregated', { state: 'published' });
        continue;
      }
      const reason = 'coordinator restarted mid-round; the round was aborted and a fresh round (fresh keys) will be started';
      await this.opts.store.updateRound(r.id, r.state, { state: 'aborted', reason, finishedAt: new Date() });
      await this.audit('round.aborted', r.id, { reason, from: r.state });
    }
    return open.length;
  }

  /** Runs the statistics round if the task's preprocessing is not fitted yet, then `rounds` training rounds. */
  async runTask(taskId: string, rounds: number, options: RunRoundsOptions = {}): Promise<RoundReport[]> {
    const reports: RoundReport[] = [];
    let task = await this.opts.store.getTask(taskId);
    if (!task.pipeline) {
      const report = await this.runRound(task, 'statistics', options);
      reports.push(report);
      options.onReport?.(report);
      if (report.state !== 'published') return reports;
      task = await this.opts.store.getTask(taskId);
    }
    for (let i = 0; i < rounds; i++) {
      const report = await this.runRound(task, 'train', options);
      reports.push(report);
      options.onReport?.(report);
    }
    // The last model's held-out quality is measured by one more round that only evaluates.
    const evaluation = await this.runRound(task, 'evaluate', options);
    reports.push(evaluation);
    options.onReport?.(evaluation);
    return reports;
  }

  /** One round from member selection to the stored model version (or a clean abort). */
  async runRound(task: TaskRecord, purpose: Purpose, options: RunRoundsOptions = {}): Promise<RoundReport> {
    const { store, logger } = this.opts;
    const def = taskDefinitionOf(task);
    const participants = await this.waitForMembers(task.federationId, def.minMembers, options.waitForMembersMs ?? 30_000);
    const base = await store.latestModelVersion(task.id);
    if (!base) throw new ConsortError('NOT_FOUND', `task ${task.id} has no model version; create the task again`);
    const number = (await store.listRounds(task.id)).length + 1;
    const timeoutMs = def.stageTimeoutSeconds * 1000;
    const record = await store.createRound({
      taskId: task.id, number, state: 'open', deadlines: { masked_input: Date.now() + timeoutMs },
      baseModelVersionId: base.id, participants,
    });
    const length = purpose === 'train' ? base.parameterCount : purpose === 'statistics' ? statisticsLength(def) : 0;
    let resolveSettled!: () => void;
    const settled = new Promise<void>((r) => { resolveSettled = r; });
    const round: ActiveRound = {
      id: record.id, taskId: task.id, state: 'open', purpose,
      participants: new Set(participants), submitted: new Set(), dropped: new Map(),
      inputs: new RoundInputs(purpose, length), settle: resolveSettled,
    };
    const log = logger.child({ round: record.id, task: task.id, number, purpose });
    await this.audit('round.created', record.id, { taskId: task.id, number, purpose, participants });

    if (participants.length < def.minMembers) {
      return this.abort(round, number, `too few members: ${participants.length} connected, the task needs at least ${def.minMembers}`);
    }
    if (def.aggregation === 'secure') {
      log.warn('secure aggregation is not available in this build yet: running this round with plain aggregation');
    }
    this.active.set(round.id, round);
    try {
      await this.move(round, { type: 'start_plain' });
      log.info({ participants: participants.length }, 'round open');
      const open = roundOpenEvent(task, def, round.id, number, base, purpose, Date.now() + timeoutMs);
      for (const m of participants) {
        if (!this.opts.connections.send(m, { roundOpen: open })) this.drop(round, m, 'not connected when the round opened');
      }
      this.checkSettled(round);
      const timer = setTimeout(() => round.settle(), timeoutMs);
      await settled;
      clearTimeout(timer);
      for (const m of participants) {
        if (!round.submitted.has(m) && !round.dropped.has(m)) this.drop(round, m, `no input before the ${def.stageTimeoutSeconds}s deadline`);
      }
      const survivors = [...round.submitted];
      if (survivors.length < def.minMembers) {
        return await this.abort(round, number, `too few members survived the input stage: ${survivors.length} of ${participants.length}, the task needs ${def.minMembers}`);
      }
      return await this.aggregate(round, task, def, number, base, survivors);
    } catch (err) {
      log.error({ err }, 'round failed');
      if (!['aborted', 'published'].includes(round.state)) {
        const reason = isConsortError(err) ? err.message : 'internal coordinator error (see the coordinator log)';
        return await this.abort(round, number, reason);
      }
      throw err;
    } finally {
      this.active.delete(round.id);
    }
  }

  /**
   * A member's complete input for a round. Validated in full before it touches the sums; a bad
   * input drops that member and the round goes on with the others.
   */
  acceptInput(memberId: string, header: InputHeader__Output, data: Buffer): void {
    const round = this.active.get(header.roundId);
    if (!round) throw new ConsortError('ROUND_NOT_OPEN', `round ${header.roundId} is not open (it finished, was aborted, or never existed)`);
    if (!round.participants.has(memberId)) throw new ConsortError('NOT_A_PARTICIPANT', `member ${memberId} was not selected for round ${round.id}`);
    if (round.dropped.has(memberId)) {
      throw new ConsortError('ROUND_NOT_OPEN', `member ${memberId} was dropped from round ${round.id}: ${round.dropped.get(memberId)!.reason}`);
    }
    if (round.state !== 'masked_input') throw new ConsortError('WRONG_STAGE', `round ${round.id} is in stage ${round.state}, not accepting inputs`);
    if (round.submitted.has(memberId)) throw new ConsortError('DUPLICATE_SUBMISSION', `member ${memberId} already sent its input for round ${round.id}`);
    const plain = header.plain;
    if (header.kind !== 'plain' || !plain) {
      throw new ConsortError('WRONG_STAGE', `round ${round.id} uses plain aggregation; member ${memberId} sent a ${header.kind ?? 'missing'} input header`);
    }
    try {
      const values = decodeVector(data, round.purpose === 'statistics' ? 'float64' : plain.dtype || 'float32', memberId);
      round.inputs.add(memberId, values, {
        numExamples: plain.numExamples, trainLossSum: plain.trainLossSum, evalLossSum: plain.evalLossSum,
        evalExamples: plain.evalExamples, evalHistPos: plain.evalHistPos, evalHistNeg: plain.evalHistNeg,
      });
    } catch (err) {
      this.drop(round, memberId, `input rejected: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    round.submitted.add(memberId);
    this.opts.logger.info({ round: round.id, member: memberId }, 'input accepted');
    this.checkSettled(round);
  }

  private async aggregate(round: ActiveRound, task: TaskRecord, def: TaskDefinition, number: number,
    base: { id: string; version: number }, survivors: string[]): Promise<RoundReport> {
    const { store } = this.opts;
    const sums = round.inputs.sums;
    const metrics: RoundMetricsSummary = {
      participants: survivors.length,
      numExamples: sums.vector.totalWeight,
      trainLoss: round.purpose === 'train' ? sums.trainLossSum / sums.vector.totalWeight : 0,
      evalLoss: sums.evalExamples > 0 ? sums.evalLossSum / sums.evalExamples : 0,
      evalAuc: round.purpose !== 'statistics' && def.model.task === 'binary' && sums.evalExamples > 0
        ? aucFromHistograms(Array.from(sums.histPos), Array.from(sums.histNeg)) : null,
      evalExamples: sums.evalExamples,
      minMembers: def.minMembers,
      aggregation: 'plain',
    };
    transition(round.state, { type: 'inputs_closed', secure: false });
    const dropped = [...round.dropped.values()];
    const closedPatch = { state: 'aggregated' as const, dropped: droppedForStore(dropped), metrics: { ...metrics }, finishedAt: new Date() };
    let produced: { id: string; version: number } | undefined;
    if (round.purpose === 'train') {
      const globalWeights = (await store.getModelVersion(base.id)).weights;
      const weights = this.strategy.aggregateTrain(globalWeights, {
        weightedSum: sums.vector.sum, totalExamples: sums.vector.totalWeight, contributions: survivors.length,
      }, task.modelSpec as ModelSpec);
      const { modelVersion } = await store.completeRound(round.id, 'masked_input', {
        taskId: task.id, version: base.version + 1, roundId: round.id, weights, sha256: weightsSha256(weights),
        metrics: { trainLoss: metrics.trainLoss, numExamples: metrics.numExamples, participants: metrics.participants },
      }, closedPatch);
      produced = modelVersion;
      await this.audit('model.stored', modelVersion.id, { roundId: round.id, version: modelVersion.version });
    } else {
      await store.updateRound(round.id, 'masked_input', closedPatch);
    }
    round.state = 'aggregated';
    if (round.purpose === 'statistics') {
      const pipeline: FeaturePipeline = pipelineFromStats(featureSchemaOf(def), def.vocabularies, sums.vector.sum, def.model.task);
      await store.updateTaskPipeline(task.id, pipeline);
      await this.audit('task.pipeline_fitted', task.id, { roundId: round.id, rows: metrics.numExamples });
    } else if (metrics.evalExamples > 0) {
      // Members evaluate the model the round started from: its held-out quality belongs to it.
      await store.recordModelEvaluation(base.id, { roundId: round.id, evalLoss: metrics.evalLoss, evalAuc: metrics.evalAuc, evalExamples: metrics.evalExamples });
    }
    await this.move(round, { type: 'publish' });
    this.announce(round, { roundId: round.id, outcome: 'aggregated', reason: '', modelVersionId: produced?.id ?? '', metrics: protoMetrics(metrics) });
    return {
      roundId: round.id, number, purpose: round.purpose, state: 'published',
      modelVersionId: produced?.id ?? (round.purpose === 'evaluate' ? base.id : undefined),
      modelVersion: produced?.version ?? (round.purpose === 'evaluate' ? base.version : undefined),
      metrics, participants: [...round.participants], dropped,
    };
  }

  private async abort(round: ActiveRound, number: number, reason: string): Promise<RoundReport> {
    const from = round.state;
    transition(from, { type: 'abort', reason });
    const dropped = [...round.dropped.values()];
    await this.opts.store.updateRound(round.id, from, { state: 'aborted', reason, dropped: droppedForStore(dropped), finishedAt: new Date() });
    round.state = 'aborted';
    await this.audit('round.aborted', round.id, { reason, from });
    this.opts.logger.warn({ round: round.id, reason }, 'round aborted');
    this.announce(round, { roundId: round.id, outcome: 'aborted', reason, modelVersionId: '' });
    return { roundId: round.id, number, purpose: round.purpose, state: 'aborted', reason, participants: [...round.participants], dropped };
  }

  /** Persists the transition (compare-and-set on the stored state) before anything acts on it. */
  private async move(round: ActiveRound, event: RoundEvent): Promise<void> {
    const next = transition(round.state, event);
    await this.opts.store.updateRound(round.id, round.state, { state: next.state });
    this.setState(round, next.state);
    await this.audit(`round.${next.state}`, round.id, {});
  }

  private setState(round: ActiveRound, state: RoundState): void {
    round.state = state;
  }

  private drop(round: ActiveRound, memberId: string, reason: string): void {
    if (round.dropped.has(memberId) || round.submitted.has(memberId)) return;
    round.dropped.set(memberId, { memberId, stage: round.state, reason });
    this.opts.logger.warn({ round: round.id, member: memberId, reason }, 'member dropped from round');
    this.checkSettled(round);
  }

  private checkSettled(round: ActiveRound): void {
    if (round.submitted.size + round.dropped.size >= round.participants.size) round.settle();
  }

  private announce(round: ActiveRound, closed: NonNullable<CoordinatorEvent['roundClosed']>): void {
    for (const m of round.participants) this.opts.connections.send(m, { roundClosed: closed });
  }

  private async waitForMembers(federationId: string, min: number, waitMs: number): Promise<string[]> {
    const deadline = Date.now() + waitMs;
    let online = this.opts.connections.online(federationId);
    while (online.length < min && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      online = this.opts.connections.online(federationId);
    }
    return online;
  }

  private async audit(kind: string, subjectId: string, detail: Record<string, unknown>): Promise<void> {
    await this.opts.store.appendAuditEvent({ actor: 'coordinator', kind, subjectType: kind.split('.')[0], subjectId, detail });
  }
}

/** Dropped members as stored with the round: "member: reason (stage)". */
function droppedForStore(dropped: DroppedMember[]): string[] {
  return dropped.map((d) => `${d.memberId}: ${d.reason} (stage ${d.stage})`);
}

export function weightsSha256(weights: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)).digest('hex');
}

function protoMetrics(m: RoundMetricsSummary): NonNullable<CoordinatorEvent['roundClosed']>['metrics'] {
  return {
    participants: m.participants, numExamples: m.numExamples, trainLoss: m.trainLoss, evalLoss: m.evalLoss,
    evalAuc: m.evalAuc ?? 0, evalExamples: m.evalExamples,
  };
}
