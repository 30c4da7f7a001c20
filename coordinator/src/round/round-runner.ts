// Runs rounds as a persisted state machine: select members, open, collect inputs (securely
// masked by default, or plain as a logged debug opt-out), aggregate, store, publish.
// The state is written to the store before every effect, so a crash leaves a known state.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  ConsortError, ERROR_CODES, checkPublishableModel, checkRoundSum, DEFAULT_MAX_EXAMPLES, maxRoundsOf, roundWarnings, DEFAULT_WEIGHT_CLIP, DEFAULT_WEIGHT_SCALE_BITS, EarlyStopping, aucFromHistograms, binaryEvaluation, createStrategy, sampleMembers,
  fitPipeline, isConsortError, regressionEvaluation, resolveSecAggParams, targetScaleOf, DEFAULT_DROPOUT_TOLERANCE, roundVectorLayout, transition, unpackRoundSum, wordsPerElement,
  type BinaryEvaluation, type FeaturePipeline, type FittedPipeline, type ModelSpec, type RoundWarning, type ModVector, type ModulusBits, type RoundEvent, type RoundState, type RoundSumTotals, type RoundVectorOptions,
  type SecAggParams, type SecAggResult, type SegmentationRoundPurpose, type StatefulStrategy, type StrategyState, type TaskDefinition, type TrainSettings,
  type VectorLayout,
} from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import type { InputHeader__Output } from '@consort/protos/types/InputHeader';
import type { StageSubmission__Output } from '@consort/protos/types/StageSubmission';
import type { SecAggParams as SecAggParamsMessage } from '@consort/protos/types/SecAggParams';
import type { JsonObject, Store, TaskRecord } from '../store/store.ts';
import type { MemberConnections } from '../members/connections.ts';
import { enrolledMember } from '../members/member-auth.ts';
import { SecureRound, type SecureStage } from '../secagg/secure-round.ts';
import { RoundInputs, decodeVector, type Purpose } from './round-inputs.ts';
import { featureSchemaOf, roundOpenEvent, statisticsLength, taskDefinitionOf } from './task-codec.ts';
import { runSegmentationTask } from '../segmentation/segmentation-task.ts';

export interface DroppedMember {
  memberId: string;
  /** The member's enrolled display name, when known (declines carry it). */
  displayName?: string;
  stage: RoundState;
  reason: string;
}

/** A dropped member as the operator reads it: "Shop 2 (m_…): declined: DATA_INVALID: …". */
export function droppedText(d: Pick<DroppedMember, 'memberId' | 'displayName' | 'reason'>): string {
  return `${d.displayName ? `${d.displayName} (${d.memberId})` : d.memberId}: ${d.reason}`;
}

/** Longest decline reason kept from a member (it is stored and shown to the operator). */
const MAX_DECLINE_REASON_CHARS = 500;

/** Model rounds (train, statistics, evaluate) and the secure-sum rounds of segmentation. */
export type AnyPurpose = Purpose | SegmentationRoundPurpose;

export interface RoundMetricsSummary {
  purpose: AnyPurpose;
  participants: number;
  numExamples: number;
  /** Training rounds only (null: the round trained nothing). Regression: MSE in the target's units. */
  trainLoss: number | null;
  /** Held-out loss (null when the round evaluated nothing). Regression: MSE in the target's units. */
  evalLoss: number | null;
  /** Held-out AUC; null when not measured (statistics, regression, no held-out rows). */
  evalAuc: number | null;
  evalExamples: number;
  /** Regression: root mean squared error and mean absolute error on held-out rows, in the target's units. */
  evalRmse?: number;
  evalMae?: number;
  /** Regression: coefficient of determination on held-out rows (null when their labels have no spread). */
  evalR2?: number | null;
  /** Binary: confusion counts, precision/recall/F1 at several thresholds, calibration (from summed histograms). */
  evalDetail?: BinaryEvaluation;
  minMembers: number;
  aggregation: string;
  /** Values clipped before quantization, over all members (secure rounds). */
  clipped: number;
  /** Secure rounds: seconds each secure-aggregation stage waited for its members. */
  stageSeconds?: Partial<Record<SecureStage, number>>;
  /** Named warnings (core's roundWarnings, plus zero-variance columns of a statistics round); empty when sound. */
  warnings: RoundWarning[];
}

/** What the operator sees of a finished round. */
export interface RoundReport {
  roundId: string;
  number: number;
  purpose: AnyPurpose;
  state: 'published' | 'aborted';
  reason?: string;
  modelVersionId?: string;
  modelVersion?: number;
  metrics?: RoundMetricsSummary;
  participants: string[];
  dropped: DroppedMember[];
  /** What a secure-sum round (segmentation) reports beyond the common metrics. */
  detail?: JsonObject;
}

/** What the caller of `runSecureSumRound` makes of the unmasked sum before the round closes. */
export interface SumRoundClose {
  /** Stored with the round (and reported): aggregates only, never a member's vector. */
  detail: JsonObject;
  /** A model version stored atomically with the round's close. */
  model?: { weights: Float32Array; metrics: JsonObject };
}

/** The outcome of a secure-sum round: the sum and who is in it (undefined when aborted). */
export interface SumRoundResult {
  report: RoundReport;
  sum?: ModVector;
  survivors: string[];
  /** Invited members: the layout (and its decoding) depends on it. */
  members: number;
}

export interface RunRoundsOptions {
  /** How long to wait for minMembers to be connected before each round (default 30 s). */
  waitForMembersMs?: number;
  onReport?: (report: RoundReport) => void;
  /** Called while a round waits for members: how many are connected and how many it needs. */
  onWaiting?: (online: number, needed: number) => void;
  /** Aborting it aborts the round in progress (reason: cancelled by the operator) and stops the run. */
  signal?: AbortSignal;
}

interface ActiveRound {
  id: string;
  number: number;
  state: RoundState;
  purpose: AnyPurpose;
  /** Local training settings of this round (after the strategy's learning-rate schedule). */
  train: TrainSettings;
  participants: Set<string>;
  dropped: Map<string, DroppedMember>;
  /** Plain rounds: running sums, who sent an input, who was left out for NaN/Infinity. */
  plain?: { inputs: RoundInputs; submitted: Set<string>; settle: () => void; nonFinite: string[] };
  /** Secure rounds: the protocol driver. */
  secure?: SecureRound;
  /** Why the input stage closed before its deadline (declines left too few members). */
  cutShort?: string;
}

export interface RoundRunnerOptions {
  store: Store;
  connections: MemberConnections<CoordinatorEvent>;
  logger: Logger;
}

/** How long a statistics round waits, once enough members are online, for the other enrolled ones. */
const STATISTICS_SETTLE_MS = 5_000;

/** Server-optimizer state is saved with each model version up to this many numbers (JSON). */
const MAX_PERSISTED_STATE_NUMBERS = 250_000;

const NON_TERMINAL: RoundState[] = ['open', 'advertise_keys', 'share_keys', 'masked_input', 'consistency_check', 'unmask', 'aggregated'];

/** Orchestrates the rounds of tasks; transport handlers call `acceptInput` / `acceptStage`. */
export class RoundRunner {
  private readonly active = new Map<string, ActiveRound>();
  /** One strategy per task: server optimizers keep momentum/moments across its rounds. */
  private readonly strategies = new Map<string, StatefulStrategy>();

  constructor(private readonly opts: RoundRunnerOptions) {
    opts.connections.on('offline', (memberId) => {
      for (const round of this.active.values()) {
        if (!round.participants.has(memberId)) continue;
        if (round.secure) round.secure.memberGone(memberId);
        else if (!round.plain?.submitted.has(memberId)) this.drop(round, memberId, 'disconnected before sending its input');
      }
    });
  }

  /** Aborts rounds left mid-flight by a previous coordinator process (masks are never reused). */
  async recoverInterruptedRounds(): Promise<number> {
    const open = await this.opts.store.listRoundsInStates(NON_TERMINAL);
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

  /**
   * Fits the preprocessing if needed, trains until the federated held-out loss stops improving
   * (the task's early stopping) or `rounds` training rounds ran (default: the task's maxRounds),
   * then evaluates the final model. After an early stop the final model is the one with the
   * lowest held-out loss, stored again as the newest version so members and exports get it.
   */
  async runTask(taskId: string, rounds?: number, options: RunRoundsOptions = {}): Promise<RoundReport[]> {
    const reports: RoundReport[] = [];
    const run = async (task: TaskRecord, purpose: Purpose) => {
      throwIfCancelled(options.signal);
      const report = await this.runRound(task, purpose, options);
      reports.push(report);
      options.onReport?.(report);
      return report;
    };
    let task = await this.opts.store.getTask(taskId);
    if (taskDefinitionOf(task).kind === 'segmentation') {
      return runSegmentationTask({ rounds: this, store: this.opts.store }, task, options, (report) => { reports.push(report); options.onReport?.(report); });
    }
    if (!task.pipeline) {
      if ((await run(task, 'statistics')).state !== 'published') return reports;
      task = await this.opts.store.getTask(taskId);
    }
    const def = taskDefinitionOf(task);
    const cap = rounds ?? maxRoundsOf(def);
    const stopper = def.earlyStopping ? new EarlyStopping(def.earlyStopping) : undefined;
    // The model version each observed loss belongs to: a training round evaluates the model it starts from.
    let bestModel: { id: string; version: number } | undefined;
    for (let i = 0; i < cap; i++) {
      const startsFrom = stopper ? await this.opts.store.latestModelVersion(task.id) : undefined;
      const report = await run(task, 'train');
      if (!stopper || report.state !== 'published' || !report.metrics || report.metrics.evalExamples === 0 || report.metrics.evalLoss === null) continue;
      const verdict = stopper.observe(report.number, report.metrics.evalLoss);
      if (stopper.best?.round === report.number && startsFrom) bestModel = { id: startsFrom.id, version: startsFrom.version };
      if (verdict === 'stop') {
        await this.audit('training.early_stopped', task.id, { afterRound: report.number, best: stopper.best, bestModelVersion: bestModel?.version ?? null });
        this.opts.logger.info({ task: task.id, best: stopper.best }, 'early stopping: held-out loss stopped improving');
        if (bestModel) await this.republish(task.id, bestModel, stopper.best!);
        break;
      }
    }
    // The final model's held-out quality is measured by one more round that only evaluates.
    await run(task, 'evaluate');
    return reports;
  }

  /** Stores the best model's weights as the task's newest version (the final model after an early stop). */
  private async republish(taskId: string, best: { id: string; version: number }, at: { round: number; loss: number }): Promise<void> {
    const { store } = this.opts;
    const latest = await store.latestModelVersion(taskId);
    if (!latest || latest.id === best.id) return;
    const { weights, metrics } = await store.getModelVersion(best.id);
    const mv = await store.createModelVersion({
      taskId, version: latest.version + 1, weights, sha256: weightsSha256(weights),
      metrics: { ...metrics, restoredFrom: { version: best.version, round: at.round, evalLoss: at.loss } },
    });
    await this.audit('model.restored_best', mv.id, { version: mv.version, from: best.version, round: at.round, evalLoss: at.loss });
  }

  /** One round from member selection to the stored model version (or a clean abort). */
  async runRound(task: TaskRecord, purpose: Purpose, options: RunRoundsOptions = {}): Promise<RoundReport> {
    const { store, logger } = this.opts;
    const def = taskDefinitionOf(task);
    // The statistics round fits every member's preprocessing: give enrolled members that are still
    // connecting a few seconds, so the federation's means and category shares include them.
    const online = await this.waitForMembers(task.federationId, def.minMembers, options.waitForMembersMs ?? 30_000, options,
      purpose === 'statistics' ? STATISTICS_SETTLE_MS : 0);
    throwIfCancelled(options.signal);
    const base = await store.latestModelVersion(task.id);
    if (!base) throw new ConsortError('NOT_FOUND', `task ${task.id} has no model version; create the task again`);
    const number = (await store.listRounds(task.id)).length + 1;
    // Client sampling applies to training; statistics and evaluation ask every member.
    const participants = purpose === 'train' && def.sampleFraction < 1
      ? sampleMembers(online, def.sampleFraction, def.minMembers, def.seed, number) : online;
    const strategy = this.strategyFor(task.id, def, base.metrics);
    const train = strategy.configureTrain(number, def.train);
    const timeoutMs = def.stageTimeoutSeconds * 1000;
    const secure = def.aggregation === 'secure';
    const firstStage = secure ? 'advertise_keys' : 'masked_input';
    const record = await store.createRound({
      taskId: task.id, number, state: 'open', deadlines: { [firstStage]: Date.now() + timeoutMs },
      baseModelVersionId: base.id, participants,
    });
    const round: ActiveRound = { id: record.id, number, state: 'open', purpose, train, participants: new Set(participants), dropped: new Map() };
    const log = logger.child({ round: record.id, task: task.id, number, purpose, aggregation: def.aggregation });
    await this.audit('round.created', record.id, { taskId: task.id, number, purpose, participants, aggregation: def.aggregation, minMembers: def.minMembers });
    if (participants.length < def.minMembers) {
      return this.abort(round, `too few members: ${participants.length} connected, the task needs at least ${def.minMembers}`);
    }
    if (!secure) log.warn('plain aggregation (debug opt-out): the coordinator sees each member\'s update');

    this.active.set(round.id, round);
    try {
      const vectorOptions: RoundVectorOptions = {
        purpose, task: def.model.task, parameterCount: base.parameterCount, statisticsLength: statisticsLength(def),
        members: participants.length, maxExamples: DEFAULT_MAX_EXAMPLES, weightClip: DEFAULT_WEIGHT_CLIP, weightScaleBits: DEFAULT_WEIGHT_SCALE_BITS,
      };
      const collecting = secure
        ? this.collectSecure(round, task, def, base, vectorOptions, timeoutMs, train)
        : this.collectPlain(round, task, def, base, vectorOptions, timeoutMs, train);
      const totals = await untilCancelled(collecting, options.signal, () => round.plain?.settle());
      if (!totals) {
        return await this.abort(round, `too few members survived the input stage: ${round.plain!.submitted.size} of ${participants.length}, the task needs ${def.minMembers}`);
      }
      log.info({ survivors: totals.survivors.length, dropped: round.dropped.size }, 'inputs summed');
      return await this.aggregate(round, task, def, base, totals, strategy);
    } catch (err) {
      if (!isConsortError(err)) log.error({ err }, 'round failed');
      if (!['aborted', 'published'].includes(round.state)) {
        const reason = isConsortError(err) ? err.message : 'internal coordinator error (see the coordinator log)';
        return await this.abort(round, reason);
      }
      throw err;
    } finally {
      this.active.delete(round.id);
    }
  }

  /** Plain path: open -> masked_input (inputs in clear) -> totals. Undefined when too few survive. */
  private async collectPlain(round: ActiveRound, task: TaskRecord, def: TaskDefinition, base: { id: string; sha256: string; parameterCount: number },
    v: RoundVectorOptions, timeoutMs: number, train: TrainSettings): Promise<(RoundSumTotals & { survivors: string[] }) | undefined> {
    let settle!: () => void;
    const settled = new Promise<void>((r) => { settle = r; });
    const length = v.purpose === 'train' ? v.parameterCount : v.purpose === 'statistics' ? v.statisticsLength : 0;
    round.plain = { inputs: new RoundInputs(v.purpose, length), submitted: new Set(), settle, nonFinite: [] };
    await this.move(round, { type: 'start_plain' });
    const open = roundOpenEvent(task, def, round.id, round.number, base, v.purpose, Date.now() + timeoutMs, train);
    for (const m of round.participants) {
      if (!this.opts.connections.send(m, { roundOpen: open })) this.drop(round, m, 'not connected when the round opened');
    }
    this.checkSettled(round);
    const timer = setTimeout(settle, timeoutMs);
    await settled;
    clearTimeout(timer);
    for (const m of round.participants) {
      if (!round.plain.submitted.has(m) && !round.dropped.has(m)) this.drop(round, m, round.cutShort ?? `no input before the ${def.stageTimeoutSeconds}s deadline`);
    }
    if (round.plain.submitted.size < def.minMembers) return undefined;
    return { ...round.plain.inputs.totals(), survivors: [...round.plain.submitted] };
  }

  /** Secure path: advertise_keys -> share_keys -> masked_input -> consistency_check -> unmask -> totals. */
  private async collectSecure(round: ActiveRound, task: TaskRecord, def: TaskDefinition, base: { id: string; sha256: string; parameterCount: number },
    v: RoundVectorOptions, timeoutMs: number, train: TrainSettings): Promise<RoundSumTotals & { survivors: string[] }> {
    const layout = roundVectorLayout(v);
    const open = roundOpenEvent(task, def, round.id, round.number, base, v.purpose, Date.now() + timeoutMs, train);
    const result = await this.secureSum(round, def, layout, timeoutMs, open, { scaleBits: v.weightScaleBits, clip: v.weightClip, maxExamples: v.maxExamples });
    return { ...unpackRoundSum(v, result.sum), survivors: result.survivors };
  }

  /** Drives the secure-aggregation stages for any packed layout; hands back the unmasked sum. */
  private async secureSum(round: ActiveRound, def: TaskDefinition, layout: VectorLayout, timeoutMs: number,
    roundOpen: ReturnType<typeof roundOpenEvent>, quantization: { scaleBits: number; clip: number; maxExamples: number }): Promise<SecAggResult> {
    const params = resolveSecAggParams({
      roundId: round.id, vectorLength: layout.length, modulusBits: layout.modulusBits, minMembers: def.minMembers,
      // Tasks stored before the field existed resolve to the default.
      dropoutTolerance: def.dropoutTolerance ?? DEFAULT_DROPOUT_TOLERANCE,
    }, round.participants.size);
    const identities = new Map<string, Uint8Array>();
    // Enrolled identities never change: the authentication cache has every member that connected.
    for (const m of round.participants) identities.set(m, (await enrolledMember(this.opts.store, m))!.identityPublicKey);
    const driver = new SecureRound({
      params, identities, participants: [...round.participants], stageTimeoutMs: timeoutMs,
      send: (m, e) => this.opts.connections.send(m, e),
      advance: (event, deadline) => this.move(round, event, deadline),
      onDrop: (m, reason) => this.drop(round, m, reason),
      audit: (kind, detail) => { void this.audit(kind, round.id, detail).catch((err: unknown) => this.opts.logger.error({ err, kind }, 'audit event not stored')); },
    });
    round.secure = driver;
    await this.move(round, { type: 'start_secure' }, Date.now() + timeoutMs);
    await this.opts.store.updateRound(round.id, round.state, { secagg: { ...params } });
    const open = {
      ...roundOpen,
      aggregation: 'secure',
      secagg: secaggParamsMessage(params, { ...quantization, members: round.participants.size }),
    };
    for (const m of round.participants) {
      if (!this.opts.connections.send(m, { roundOpen: open })) driver.memberGone(m);
    }
    return driver.run();
  }

  /**
   * One persisted secure-aggregation round whose vector is any packed layout (segmentation):
   * the same state machine, deadlines, dropout recovery and audit trail as a model round.
   * `layoutFor(members)` sizes the vector for the invited members; `payloadJson` is the work
   * order members compute from; `close` turns the sum into the round's stored detail (and
   * optionally a model version) before the round is published.
   */
  async runSecureSumRound(task: TaskRecord, purpose: SegmentationRoundPurpose, layoutFor: (members: number) => VectorLayout, payloadJson: string,
    close: (sum: ModVector, members: number, survivors: string[]) => Promise<SumRoundClose>, options: RunRoundsOptions = {}): Promise<SumRoundResult> {
    const { store, logger } = this.opts;
    const def = taskDefinitionOf(task);
    if (def.aggregation !== 'secure') {
      throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} uses plain aggregation; ${purpose} rounds run on secure aggregation only (set "aggregation": "secure")`);
    }
    const participants = await this.waitForMembers(task.federationId, def.minMembers, options.waitForMembersMs ?? 30_000, options);
    throwIfCancelled(options.signal);
    const base = await store.latestModelVersion(task.id);
    if (!base) throw new ConsortError('NOT_FOUND', `task ${task.id} has no model version; create the task again`);
    const number = (await store.listRounds(task.id)).length + 1;
    const timeoutMs = def.stageTimeoutSeconds * 1000;
    const record = await store.createRound({
      taskId: task.id, number, state: 'open', deadlines: { advertise_keys: Date.now() + timeoutMs }, baseModelVersionId: base.id, participants,
    });
    const round: ActiveRound = { id: record.id, number, state: 'open', purpose, train: def.train, participants: new Set(participants), dropped: new Map() };
    const members = participants.length;
    await this.audit('round.created', record.id, { taskId: task.id, number, purpose, participants, aggregation: 'secure', minMembers: def.minMembers });
    const finish = (report: RoundReport, sum?: ModVector, survivors: string[] = []): SumRoundResult => {
      options.onReport?.(report);
      return { report, sum, survivors, members };
    };
    if (members < def.minMembers) {
      return finish(await this.abort(round, `too few members: ${members} connected, the task needs at least ${def.minMembers}`));
    }
    this.active.set(round.id, round);
    try {
      const layout = layoutFor(members);
      const open = roundOpenEvent(task, def, round.id, number, base, purpose, Date.now() + timeoutMs, def.train, payloadJson);
      const result = await this.secureSum(round, def, layout, timeoutMs, open, { scaleBits: 0, clip: 0, maxExamples: DEFAULT_MAX_EXAMPLES });
      logger.info({ round: round.id, purpose, survivors: result.survivors.length, dropped: round.dropped.size }, 'secure sum unmasked');
      const closed = await close(result.sum, members, result.survivors);
      const from = round.state;
      transition(from, { type: 'unmasked' });
      const dropped = [...round.dropped.values()];
      const patch = { state: 'aggregated' as const, dropped: droppedForStore(dropped), metrics: { purpose, participants: result.survivors.length, ...closed.detail }, finishedAt: new Date() };
      let produced: { id: string; version: number } | undefined;
      if (closed.model) {
        const { weights, metrics } = closed.model;
        const { modelVersion } = await store.completeRound(round.id, from, {
          taskId: task.id, version: base.version + 1, roundId: round.id, weights, sha256: weightsSha256(weights), metrics,
        }, patch);
        produced = modelVersion;
        await this.audit('model.stored', modelVersion.id, { roundId: round.id, version: modelVersion.version, aggregation: 'secure' });
      } else {
        await store.updateRound(round.id, from, patch);
      }
      round.state = 'aggregated';
      await this.move(round, { type: 'publish' });
      this.announce(round, { roundId: round.id, outcome: 'aggregated', reason: '', modelVersionId: produced?.id ?? '' });
      return finish({
        roundId: round.id, number, purpose, state: 'published', modelVersionId: produced?.id, modelVersion: produced?.version,
        participants: [...round.participants], dropped, detail: closed.detail,
      }, result.sum, result.survivors);
    } catch (err) {
      if (!isConsortError(err)) logger.error({ err, round: round.id }, 'round failed');
      if (!['aborted', 'published'].includes(round.state)) {
        const reason = isConsortError(err) ? err.message : 'internal coordinator error (see the coordinator log)';
        return finish(await this.abort(round, reason));
      }
      throw err;
    } finally {
      this.active.delete(round.id);
    }
  }

  /**
   * Checks, before a single payload byte is buffered, that this member may send this input now
   * (its round, its stage, not yet sent) with exactly the bytes it must have, and returns that
   * length. An expected member announcing another length is dropped from the round at once.
   */
  expectedInputBytes(memberId: string, header: InputHeader__Output): number {
    const round = this.activeFor(memberId, header.roundId);
    const expected = this.expectedBytesIn(round, memberId, header);
    if (String(expected) !== String(header.byteLength)) {
      const err = new ConsortError('UPDATE_SHAPE_MISMATCH', `update of member ${memberId} has ${header.byteLength} bytes but round ${round.id} expects exactly ${expected}`, { memberId });
      if (round.secure) round.secure.refuse(memberId, `input rejected: ${err.message}`);
      else this.drop(round, memberId, `input rejected: ${err.message}`);
      throw err;
    }
    return expected;
  }

  private expectedBytesIn(round: ActiveRound, memberId: string, header: InputHeader__Output): number {
    if (round.secure) {
      if (header.kind !== 'masked' || !header.masked) {
        throw new ConsortError('WRONG_STAGE', `round ${round.id} uses secure aggregation; member ${memberId} must send a masked input`);
      }
      const { bits, length } = round.secure.expectMaskedInput(memberId);
      if (header.masked.modulusBits !== bits || Number(header.masked.vectorLength) !== length) {
        throw new ConsortError('UPDATE_SHAPE_MISMATCH', `member ${memberId} announces ${header.masked.vectorLength} elements of Z_2^${header.masked.modulusBits}; round ${round.id} sums ${length} elements of Z_2^${bits}`);
      }
      return length * wordsPerElement(bits === 64 ? 64 : 32) * 4;
    }
    const plain = round.plain!;
    if (round.state !== 'masked_input') throw new ConsortError('WRONG_STAGE', `round ${round.id} is in stage ${round.state}, not accepting inputs`);
    if (plain.submitted.has(memberId)) throw new ConsortError('DUPLICATE_SUBMISSION', `member ${memberId} already sent its input for round ${round.id}`);
    if (header.kind !== 'plain' || !header.plain) {
      throw new ConsortError('WRONG_STAGE', `round ${round.id} uses plain aggregation; member ${memberId} sent a ${header.kind ?? 'missing'} input header`);
    }
    const size = round.purpose === 'statistics' || header.plain.dtype === 'float64' ? 8 : 4;
    return plain.inputs.length * size;
  }

  /**
   * A member's complete input for a round: plain float vectors are validated in full before
   * they touch the sums (a bad one drops that member; the round goes on), masked vectors go
   * straight into the secure running sum.
   */
  acceptInput(memberId: string, header: InputHeader__Output, data: Buffer): void {
    const round = this.activeFor(memberId, header.roundId);
    if (round.secure) {
      if (header.kind !== 'masked' || !header.masked) {
        throw new ConsortError('WRONG_STAGE', `round ${round.id} uses secure aggregation; member ${memberId} must send a masked input`);
      }
      const bits = header.masked.modulusBits as ModulusBits;
      const length = Number(header.masked.vectorLength);
      const words = length * wordsPerElement(bits === 64 ? 64 : 32);
      if ((bits !== 32 && bits !== 64) || data.byteLength !== words * 4) {
        throw new ConsortError('UPDATE_SHAPE_MISMATCH', `masked input of member ${memberId} has ${data.byteLength} bytes for ${length} elements of Z_2^${bits}`);
      }
      // The upload buffer is this input's own (never reused): view it in place when aligned.
      let view: Uint32Array;
      if (data.byteOffset % 4 === 0) view = new Uint32Array(data.buffer, data.byteOffset, words);
      else new Uint8Array((view = new Uint32Array(words)).buffer).set(data);
      round.secure.acceptMaskedInput(memberId, { bits, length, words: view });
      return;
    }
    const plain = round.plain!;
    if (round.state !== 'masked_input') throw new ConsortError('WRONG_STAGE', `round ${round.id} is in stage ${round.state}, not accepting inputs`);
    if (plain.submitted.has(memberId)) throw new ConsortError('DUPLICATE_SUBMISSION', `member ${memberId} already sent its input for round ${round.id}`);
    if (header.kind !== 'plain' || !header.plain) {
      throw new ConsortError('WRONG_STAGE', `round ${round.id} uses plain aggregation; member ${memberId} sent a ${header.kind ?? 'missing'} input header`);
    }
    const p = header.plain;
    try {
      const values = decodeVector(data, round.purpose === 'statistics' ? 'float64' : p.dtype || 'float32', memberId);
      plain.inputs.add(memberId, values, {
        numExamples: p.numExamples, trainLossSum: p.trainLossSum, evalLossSum: p.evalLossSum, evalAbsErrSum: p.evalAbsErrSum,
        evalExamples: p.evalExamples, evalHistPos: p.evalHistPos, evalHistNeg: p.evalHistNeg,
        evalLabelSum: p.evalLabelSum, evalLabelSquareSum: p.evalLabelSquareSum,
      });
    } catch (err) {
      if (isConsortError(err, 'UPDATE_NOT_FINITE')) plain.nonFinite.push(memberId);
      this.drop(round, memberId, `input rejected: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    plain.submitted.add(memberId);
    this.checkSettled(round);
  }

  /** A typed secure-aggregation stage message from an authenticated member. */
  acceptStage(memberId: string, submission: StageSubmission__Output): void {
    const round = this.activeFor(memberId, submission.roundId);
    if (!round.secure) throw new ConsortError('WRONG_STAGE', `round ${round.id} does not use secure aggregation stages`);
    try {
      round.secure.acceptStage(memberId, submission);
    } catch (err) {
      // A message that fails verification removes its sender from the round, not the round.
      if (isConsortError(err, 'SECAGG_VERIFICATION_FAILED') || isConsortError(err, 'SECAGG_PROTOCOL_VIOLATION')) {
        round.secure.refuse(memberId, err.message);
      }
      throw err;
    }
  }

  /**
   * A member declines a round it cannot serve (DeclineRound): it is dropped at once with
   * `declined: CODE: reason`, so the round goes on without waiting for the stage deadline, or
   * aborts at once when too few members remain. Secure rounds treat it as a member that vanished
   * before sending its input. Refused (accepted false) once the member's input is in the sums.
   */
  async declineRound(memberId: string, roundId: string, code: string, reason: string): Promise<{ accepted: boolean; detail: string }> {
    const displayName = (await enrolledMember(this.opts.store, memberId))?.displayName;
    const round = this.activeFor(memberId, roundId);
    const known = (ERROR_CODES as readonly string[]).includes(code) ? code : 'ROUND_DECLINED';
    const said = reason.replace(/\s+/g, ' ').trim().slice(0, MAX_DECLINE_REASON_CHARS) || 'no reason given';
    const text = `declined: ${known}: ${said}`;
    const named = () => {
      const dropped = round.dropped.get(memberId);
      if (dropped && displayName) dropped.displayName = displayName;
    };
    let accepted: boolean;
    if (round.secure) {
      accepted = round.secure.decline(memberId, text);
      named();
    } else {
      accepted = !round.plain?.submitted.has(memberId) && !round.dropped.has(memberId);
      if (accepted) {
        this.drop(round, memberId, text);
        named();
        // Too few can still send: settle now, the round aborts instead of waiting for its deadline.
        const { minMembers } = taskDefinitionOf(await this.opts.store.getTask((await this.opts.store.getRound(round.id)).taskId));
        if (round.participants.size - round.dropped.size < minMembers) {
          round.cutShort = `not waited for: declines left fewer than the ${minMembers} members the task needs`;
          round.plain?.settle();
        }
      }
    }
    return accepted
      ? { accepted, detail: `member ${memberId} left round ${round.id}: ${text}` }
      : { accepted, detail: `member ${memberId}'s input is already in round ${round.id}; the decline came too late and the round goes on with it` };
  }

  /** The task's strategy, restored from the state saved with the latest model version. */
  private strategyFor(taskId: string, def: TaskDefinition, latestMetrics: Record<string, unknown>): StatefulStrategy {
    let s = this.strategies.get(taskId);
    if (!s) {
      s = createStrategy(def.strategy);
      const saved = latestMetrics.strategyState as StrategyState | undefined;
      if (saved) s.restore(saved);
      this.strategies.set(taskId, s);
    }
    return s;
  }

  private activeFor(memberId: string, roundId: string): ActiveRound {
    const round = this.active.get(roundId);
    if (!round) throw new ConsortError('ROUND_NOT_OPEN', `round ${roundId} is not open (it finished, was aborted, or never existed)`);
    if (!round.participants.has(memberId)) throw new ConsortError('NOT_A_PARTICIPANT', `member ${memberId} was not selected for round ${round.id}`);
    const dropped = round.dropped.get(memberId);
    if (dropped) throw new ConsortError('ROUND_NOT_OPEN', `member ${memberId} was dropped from round ${round.id}: ${dropped.reason}`);
    return round;
  }

  private async aggregate(round: ActiveRound, task: TaskRecord, def: TaskDefinition,
    base: { id: string; version: number }, totals: RoundSumTotals & { survivors: string[] }, strategy: StatefulStrategy): Promise<RoundReport> {
    const { store } = this.opts;
    // A forged input shows in the sum: refuse it before any metric, strategy or store sees it.
    checkRoundSum(totals, {
      purpose: round.purpose as Purpose, task: def.model.task, survivors: totals.survivors.length, maxExamples: DEFAULT_MAX_EXAMPLES,
      weightClip: DEFAULT_WEIGHT_CLIP, weightScaleBits: DEFAULT_WEIGHT_SCALE_BITS, clippable: Math.max(totals.vector.length, 1),
    });
    const regression = def.model.task === 'regression';
    const evaluated = round.purpose !== 'statistics' && totals.evalExamples > 0;
    // The statistics round fits the preprocessing; what the fit noticed goes into its metrics.
    const fitted: FittedPipeline | undefined = round.purpose === 'statistics'
      ? fitPipeline(featureSchemaOf(def), def.vocabularies, totals.vector, def.model.task) : undefined;
    // Regression sums arrive in standardized target units; report them in the target's units.
    const target = targetScaleOf((task.pipeline ?? { task: def.model.task }) as Pick<FeaturePipeline, 'task' | 'target'>);
    const reg = regression && evaluated ? regressionEvaluation({
      squaredErrorSum: totals.evalLossSum, absErrorSum: totals.evalAbsErrSum, labelSum: totals.evalLabelSum,
      labelSquareSum: totals.evalLabelSquareSum, count: totals.evalExamples,
    }, target) : null;
    const lossScale = regression ? target.std ** 2 : 1;
    const metrics: RoundMetricsSummary = {
      purpose: round.purpose,
      participants: totals.survivors.length,
      numExamples: totals.totalExamples,
      trainLoss: round.purpose === 'train' && totals.totalExamples > 0 ? (totals.trainLossSum / totals.totalExamples) * lossScale : null,
      evalLoss: evaluated ? (totals.evalLossSum / totals.evalExamples) * lossScale : null,
      evalAuc: evaluated && !regression ? aucFromHistograms(Array.from(totals.histPos), Array.from(totals.histNeg)) : null,
      evalExamples: totals.evalExamples,
      ...(evaluated && !regression ? { evalDetail: binaryEvaluation(totals.histPos, totals.histNeg) } : {}),
      ...(reg ? { evalRmse: reg.rmse, evalMae: reg.mae, evalR2: reg.r2 } : {}),
      minMembers: def.minMembers,
      aggregation: round.secure ? 'secure' : 'plain',
      clipped: totals.clipped,
      ...(round.secure ? { stageSeconds: round.secure.stageSeconds() } : {}),
      warnings: [...(fitted?.warnings ?? [])],
    };
    metrics.warnings.push(...await this.warningsOf(round, task.id, def, totals, metrics));
    if (metrics.warnings.length) this.opts.logger.warn({ round: round.id, warnings: metrics.warnings }, 'round warnings');
    const from = round.state;
    transition(from, round.secure ? { type: 'unmasked' } : { type: 'inputs_closed', secure: false });
    const dropped = [...round.dropped.values()];
    const closedPatch = { state: 'aggregated' as const, dropped: droppedForStore(dropped), metrics: { ...metrics }, finishedAt: new Date() };
    let produced: { id: string; version: number } | undefined;
    if (round.purpose === 'train') {
      const globalWeights = (await store.getModelVersion(base.id)).weights;
      const weights = strategy.aggregateTrain(globalWeights, {
        weightedSum: totals.vector, totalExamples: totals.totalExamples, contributions: totals.survivors.length,
      }, task.modelSpec as ModelSpec);
      checkPublishableModel(weights);
      const state = strategy.state();
      const stateSize = Object.values(state).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 1), 0);
      const { modelVersion } = await store.completeRound(round.id, from, {
        taskId: task.id, version: base.version + 1, roundId: round.id, weights, sha256: weightsSha256(weights),
        metrics: {
          trainLoss: metrics.trainLoss, numExamples: metrics.numExamples, participants: metrics.participants, aggregation: metrics.aggregation,
          clipped: metrics.clipped, strategy: strategy.name, learningRate: round.train.learningRate,
          // Saved with the model so a restarted coordinator resumes the optimizer exactly (bounded size).
          ...(stateSize > 0 && stateSize <= MAX_PERSISTED_STATE_NUMBERS ? { strategyState: state } : {}),
        },
      }, closedPatch);
      produced = modelVersion;
      await this.audit('model.stored', modelVersion.id, { roundId: round.id, version: modelVersion.version, aggregation: metrics.aggregation });
    } else {
      await store.updateRound(round.id, from, closedPatch);
    }
    round.state = 'aggregated';
    if (fitted) {
      await store.updateTaskPipeline(task.id, fitted.pipeline);
      await this.audit('task.pipeline_fitted', task.id, { roundId: round.id, rows: metrics.numExamples });
    } else if (evaluated) {
      // Members evaluate the model the round started from: its held-out quality belongs to it.
      await store.recordModelEvaluation(base.id, {
        roundId: round.id, evalLoss: metrics.evalLoss, evalAuc: metrics.evalAuc, evalExamples: metrics.evalExamples,
        evalRmse: metrics.evalRmse, evalMae: metrics.evalMae, evalR2: metrics.evalR2, evalDetail: metrics.evalDetail,
      });
    }
    await this.move(round, { type: 'publish' });
    this.announce(round, { roundId: round.id, outcome: 'aggregated', reason: '', modelVersionId: produced?.id ?? '', metrics: protoMetrics(metrics) });
    return {
      roundId: round.id, number: round.number, purpose: round.purpose, state: 'published',
      modelVersionId: produced?.id ?? (round.purpose === 'evaluate' ? base.id : undefined),
      modelVersion: produced?.version ?? (round.purpose === 'evaluate' ? base.version : undefined),
      metrics, participants: [...round.participants], dropped,
    };
  }

  /** The round's named warnings, judged against the task's earlier rounds (stored metrics). */
  private async warningsOf(round: ActiveRound, taskId: string, def: TaskDefinition, totals: RoundSumTotals & { survivors: string[] }, m: RoundMetricsSummary): Promise<RoundWarning[]> {
    const earlier = (await this.opts.store.listRounds(taskId))
      .filter((r) => r.id !== round.id && r.state === 'published' && r.metrics)
      .map((r) => {
        const rm = r.metrics as { purpose?: string; trainLoss?: number | null; evalAuc?: number | null };
        return { number: r.number, purpose: String(rm.purpose ?? ''), trainLoss: rm.trainLoss ?? null, evalAuc: rm.evalAuc ?? null };
      })
      .sort((a, b) => a.number - b.number);
    const vectorLength = totals.vector.length;
    return roundWarnings({
      purpose: round.purpose, task: def.model.task, trainLoss: m.trainLoss, evalAuc: m.evalAuc, evalExamples: m.evalExamples,
      histPos: totals.histPos, histNeg: totals.histNeg, clipped: totals.clipped, clippable: vectorLength * totals.survivors.length,
      weightClip: DEFAULT_WEIGHT_CLIP, nonFiniteValues: totals.nonFinite, nonFiniteMembers: round.plain?.nonFinite,
    }, earlier);
  }

  private async abort(round: ActiveRound, reason: string): Promise<RoundReport> {
    const from = round.state;
    transition(from, { type: 'abort', reason });
    round.secure?.session.abort(reason);
    const dropped = [...round.dropped.values()];
    await this.opts.store.updateRound(round.id, from, { state: 'aborted', reason, dropped: droppedForStore(dropped), finishedAt: new Date() });
    round.state = 'aborted';
    await this.audit('round.aborted', round.id, { reason, from });
    this.opts.logger.warn({ round: round.id, reason }, 'round aborted');
    this.announce(round, { roundId: round.id, outcome: 'aborted', reason, modelVersionId: '' });
    return { roundId: round.id, number: round.number, purpose: round.purpose, state: 'aborted', reason, participants: [...round.participants], dropped };
  }

  /** Persists the transition (compare-and-set on the stored state) before anything acts on it. */
  private async move(round: ActiveRound, event: RoundEvent, deadlineMs?: number): Promise<void> {
    const next = transition(round.state, event);
    const patch = deadlineMs === undefined ? { state: next.state } : { state: next.state, deadlines: { [next.state]: deadlineMs } };
    await this.opts.store.updateRound(round.id, round.state, patch);
    round.state = next.state;
    await this.audit(`round.${next.state}`, round.id, {});
  }

  private drop(round: ActiveRound, memberId: string, reason: string): void {
    if (round.dropped.has(memberId) || round.plain?.submitted.has(memberId)) return;
    round.dropped.set(memberId, { memberId, stage: round.state, reason });
    this.opts.logger.warn({ round: round.id, member: memberId, reason }, 'member dropped from round');
    // Recorded when it happens (the round record lists its dropped members only once it closes), so
    // the live round stream of the HTTP API and the dashboard show the survivors falling mid-round.
    void this.audit('round.member_dropped', round.id, { member: memberId, stage: round.state, reason })
      .catch((err: unknown) => this.opts.logger.error({ err }, 'audit event not stored'));
    this.checkSettled(round);
  }

  private checkSettled(round: ActiveRound): void {
    if (round.plain && round.plain.submitted.size + round.dropped.size >= round.participants.size) round.plain.settle();
  }

  private announce(round: ActiveRound, closed: NonNullable<CoordinatorEvent['roundClosed']>): void {
    for (const m of round.participants) this.opts.connections.send(m, { roundClosed: closed });
  }

  /**
   * Waits until `min` members are online (or `waitMs` passed); then, for up to `settleMs` more,
   * until every enrolled member is online: members started together all join a round.
   */
  private async waitForMembers(federationId: string, min: number, waitMs: number, options: RunRoundsOptions = {}, settleMs = 0): Promise<string[]> {
    const deadline = Date.now() + waitMs;
    let online = this.opts.connections.online(federationId);
    let told = -1;
    while (online.length < min && Date.now() < deadline && !options.signal?.aborted) {
      if (online.length !== told) options.onWaiting?.((told = online.length), min);
      await new Promise((r) => setTimeout(r, 100));
      online = this.opts.connections.online(federationId);
    }
    if (settleMs > 0 && online.length >= min) {
      const enrolled = (await this.opts.store.listMembers(federationId)).length;
      const settled = Math.min(deadline, Date.now() + settleMs);
      while (online.length < enrolled && Date.now() < settled && !options.signal?.aborted) {
        await new Promise((r) => setTimeout(r, 100));
        online = this.opts.connections.online(federationId);
      }
    }
    return online;
  }

  private async audit(kind: string, subjectId: string, detail: Record<string, unknown>): Promise<void> {
    await this.opts.store.appendAuditEvent({ actor: 'coordinator', kind, subjectType: kind.split('.')[0], subjectId, detail });
  }
}

function secaggParamsMessage(p: SecAggParams, q: { scaleBits: number; clip: number; maxExamples: number; members: number }): SecAggParamsMessage {
  return {
    threshold: p.threshold, neighbours: p.neighbours, minMembers: p.minMembers, scaleBits: q.scaleBits, clip: q.clip,
    modulusBits: p.modulusBits, vectorLength: String(p.vectorLength), invitedMembers: q.members, maxExamples: q.maxExamples,
  };
}

/** Dropped members as stored with the round: "member: reason (stage)". */
function droppedForStore(dropped: DroppedMember[]): string[] {
  return dropped.map((d) => `${droppedText(d)} (stage ${d.stage})`);
}

const CANCELLED_REASON = 'cancelled by the operator; the run stopped';

function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new ConsortError('CANCELLED', CANCELLED_REASON);
}

/**
 * The round's collection, or CANCELLED as soon as the run is cancelled (the caller then aborts
 * the round, which stops the secure session); `unblock` lets a plain collection finish at once.
 */
async function untilCancelled<T>(collecting: Promise<T>, signal: AbortSignal | undefined, unblock: () => void): Promise<T> {
  if (!signal) return collecting;
  throwIfCancelled(signal);
  let onAbort!: () => void;
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => { unblock(); reject(new ConsortError('CANCELLED', CANCELLED_REASON)); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // The abandoned collection may still fail once the round is aborted: nothing waits for it.
  collecting.catch(() => undefined);
  try {
    return await Promise.race([collecting, cancelled]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export function weightsSha256(weights: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)).digest('hex');
}

/** A round's metrics as the wire message (members' RoundClosed, the admin API's RoundReport). */
export function protoMetrics(m: RoundMetricsSummary): NonNullable<CoordinatorEvent['roundClosed']>['metrics'] {
  return {
    participants: m.participants, numExamples: m.numExamples, trainLoss: m.trainLoss ?? undefined, evalLoss: m.evalLoss ?? undefined,
    evalAuc: m.evalAuc ?? undefined, evalExamples: m.evalExamples, stageSeconds: { ...m.stageSeconds },
    warnings: (m.warnings ?? []).map((w) => ({ code: w.code, message: w.message, column: w.column ?? '' })),
  };
}
