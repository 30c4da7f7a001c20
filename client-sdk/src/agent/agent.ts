// The member agent: stays connected, answers each round with its local work, reconnects.
import { join } from 'node:path';
import {
  ConsortError, featureStatsLength, type FeaturePipeline, type FeatureSchema, type ModulusBits, type SecAggParams, type SegmentationWorkOrder, type ModVector, type VectorLayout,
} from '@consort/core';
import type { CoordinatorEvent__Output } from '@consort/protos/types/CoordinatorEvent';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import type { RoundClosed__Output } from '@consort/protos/types/RoundClosed';
import { MemberClient } from './member-client.ts';
import { roundContextOf, statisticsInput, trainingInput, type LocalDataset, type LocalInput } from './local-work.ts';
import type { MemberIdentity } from '../identity/member-identity.ts';
import { readMemberCsv, stratifiedSplit } from '../data/csv-table.ts';
import { selectBackend } from '../train/backend.ts';
import { PeerPins } from '../secagg/peer-pins.ts';
import { SecureMemberRound } from '../secagg/secure-member-round.ts';
import { readSegmentationData, segmentationLayoutOf, segmentationVector, type SegmentationData } from './segmentation-work.ts';
import { ModelArchive, type SavedModel } from './model-archive.ts';
import { RoundAdmission } from './round-admission.ts';
import { DEFAULT_MIN_MEMBERS_FLOOR } from './round-policy.ts';
import { TaskPins } from './task-pin.ts';

export const AGENT_VERSION = '0.1.0';

export interface AgentLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface MemberAgentOptions {
  coordinator: string;
  identity: MemberIdentity;
  /** The member's customer-level CSV (mapped to the federation's column names). */
  dataFile: string;
  logger?: AgentLogger;
  /** Called after each round this member took part in closes. */
  onRoundClosed?: (closed: RoundClosed__Output) => void;
  /** Test hook: transform the input before upload (e.g. to send a bad update on purpose). */
  tamperInput?: (input: LocalInput, open: RoundOpen__Output) => LocalInput;
  /** Test hook: changes a secure round's packed vector before masking (forged inputs in adversarial tests). */
  tamperPacked?: (vector: ModVector, layout: VectorLayout) => void;
  /** Test hook: called when a round opens; return false to ignore the round (simulates a vanished member). */
  onRoundOpen?: (open: RoundOpen__Output) => boolean;
  /** Where to keep trust-on-first-use pins of peers' identity keys (default: `<dataDir>/peer-pins.json`, else memory only). */
  peerPinsPath?: string;
  /**
   * The agent's data folder (the CLI uses the identity's folder): pinned tasks in `tasks/<task-id>.json`
   * and peer identity pins in `peer-pins.json`. Default: pins are kept in memory only.
   */
  dataDir?: string;
  /** Serve rounds with plain aggregation (the coordinator sees this member's update). Default false. */
  allowPlain?: boolean;
  /** Smallest minMembers accepted for a secure round (default and minimum 3). */
  minMembersFloor?: number;
  /** Where to save each published model version this member helped train (model-archive.ts); unset = not saved. */
  modelsDir?: string;
  /** Called after a model version is saved under `modelsDir`. */
  onModelSaved?: (saved: SavedModel) => void;
}

const silent: AgentLogger = { info: () => undefined, warn: () => undefined };

/** A member's client agent. `start()` connects and serves rounds until `stop()`. */
export class MemberAgent {
  readonly client: MemberClient;
  private readonly log: AgentLogger;
  private stream?: ReturnType<MemberClient['connect']>;
  private stopped = false;
  private busy: Promise<void> = Promise.resolve();
  private readonly datasets = new Map<string, Promise<LocalDataset>>();
  private readonly segmentationData = new Map<string, Promise<SegmentationData>>();
  private readonly secureRounds = new Map<string, SecureMemberRound>();
  private readonly pins: PeerPins;
  private readonly admission: RoundAdmission;
  readonly archive?: ModelArchive;
  backend = 'unselected';

  constructor(private readonly opts: MemberAgentOptions) {
    this.client = new MemberClient(opts.coordinator, opts.identity);
    this.log = opts.logger ?? silent;
    this.pins = new PeerPins(opts.peerPinsPath ?? (opts.dataDir ? join(opts.dataDir, 'peer-pins.json') : undefined));
    this.admission = new RoundAdmission({
      coordinatorPublicKey: opts.identity.coordinatorPublicKey, allowPlain: opts.allowPlain ?? false,
      minMembersFloor: opts.minMembersFloor ?? DEFAULT_MIN_MEMBERS_FLOOR,
    }, new TaskPins(opts.dataDir ? join(opts.dataDir, 'tasks') : undefined), this.log, () => this.memberId);
    if (opts.modelsDir) this.archive = new ModelArchive(opts.modelsDir, this.client, this.log, opts.onModelSaved);
  }

  get memberId(): string {
    return this.opts.identity.memberId ?? '';
  }

  /** Selects the TensorFlow.js backend, connects, and resolves once the stream is up. */
  async start(): Promise<void> {
    const backend = await selectBackend(undefined, (m) => this.log.info(m));
    this.backend = backend.name;
    this.log.info(`TensorFlow.js backend: ${backend.name}`, { member: this.memberId });
    await this.connect();
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = this.client.connect(this.backend, AGENT_VERSION);
      this.stream = stream;
      let first = true;
      stream.on('data', (event: CoordinatorEvent__Output) => {
        if (first) { first = false; resolve(); }
        this.onEvent(event);
      });
      let lost = false;
      const onLost = (why: string) => {
        // 'error' and 'end' can both fire for one stream: reconnect once.
        if (lost || this.stopped || this.stream !== stream) return;
        lost = true;
        this.log.warn(`connection lost (${why}); reconnecting`, { member: this.memberId });
        this.reconnect();
      };
      stream.on('error', (err) => {
        if (first) { first = false; reject(err); return; }
        onLost(err.message);
      });
      stream.on('end', () => onLost('stream ended'));
    });
  }

  private reconnect(attempt = 1): void {
    const delay = Math.min(30_000, 500 * 2 ** attempt);
    setTimeout(() => {
      if (this.stopped) return;
      this.connect().catch(() => this.reconnect(attempt + 1));
    }, delay).unref();
  }

  private onEvent(event: CoordinatorEvent__Output): void {
    if (event.roundOpen) {
      const open = event.roundOpen;
      if (this.opts.onRoundOpen && !this.opts.onRoundOpen(open)) return;
      // The member's own policy first: nothing is read, generated or sent for a refused round.
      if (!this.admission.admit(open)) return;
      if (open.aggregation === 'secure') {
        this.guard(open.roundId, () => this.startSecureRound(open));
        return;
      }
      // Plain rounds are served one at a time, in order.
      this.busy = this.busy.then(() => this.servePlainRound(open)).catch((err: Error) => {
        this.log.warn(`round ${open.roundId} failed on this member: ${err.message}`, { member: this.memberId });
      });
      return;
    }
    const stage = event.keySet ?? event.routedShares ?? event.consistencyRequest ?? event.unmaskRequest;
    if (stage) {
      const round = this.secureRounds.get(stage.roundId);
      if (!round) return;
      if (event.keySet && !this.admission.admitKeySet(event.keySet)) this.secureRounds.delete(stage.roundId);
      else if (event.keySet) this.guard(stage.roundId, () => round.onKeySet(event.keySet!));
      else if (event.routedShares) this.guard(stage.roundId, () => round.onRoutedShares(event.routedShares!));
      else if (event.consistencyRequest) this.guard(stage.roundId, () => round.onConsistencyRequest(event.consistencyRequest!));
      else this.guard(stage.roundId, () => round.onUnmaskRequest(event.unmaskRequest!));
    } else if (event.roundClosed) {
      this.secureRounds.delete(event.roundClosed.roundId);
      this.archive?.roundClosed(event.roundClosed);
      this.opts.onRoundClosed?.(event.roundClosed);
    }
  }

  /** Runs one step of a round; a failure ends this member's part in it (the round goes on). */
  private guard(roundId: string, step: () => Promise<void>): void {
    step().catch((err: Error & { details?: string }) => {
      this.secureRounds.delete(roundId);
      this.log.warn(`round ${roundId} failed on this member: ${err.details ?? err.message}`, { member: this.memberId });
    });
  }

  private async startSecureRound(open: RoundOpen__Output): Promise<void> {
    const ctx = roundContextOf(open);
    const s = open.secagg!;
    const params: SecAggParams = {
      roundId: open.roundId, vectorLength: Number(s.vectorLength), modulusBits: s.modulusBits as ModulusBits,
      neighbours: s.neighbours, threshold: s.threshold, minMembers: s.minMembers,
    };
    const link = {
      roundId: open.roundId, memberId: this.memberId, identity: this.opts.identity, pins: this.pins, params,
      submit: (sub: Parameters<MemberClient['submitStage']>[0]) => this.client.submitStage(sub),
      upload: (header: Parameters<MemberClient['uploadInput']>[0], payload: Uint8Array) => this.client.uploadInput(header, payload),
      tamperPacked: this.opts.tamperPacked,
    };
    const order = segmentationOrderOf(open);
    if (order && order.purpose !== 'statistics') {
      // Segmentation rounds: the vector's layout comes from the work order, not the model.
      const layout = segmentationLayoutOf(order, s.invitedMembers);
      const packed = this.enqueue(async () => {
        const data = await this.segmentationRows(open.taskId, order);
        const pipeline = JSON.parse(open.pipelineJson) as FeaturePipeline;
        return { vector: segmentationVector(order, pipeline, data, s.invitedMembers), clipped: 0 };
      });
      packed.catch(() => undefined);
      const round = new SecureMemberRound({ ...link, layout: { length: layout.length, modulusBits: layout.modulusBits }, packed });
      this.secureRounds.set(open.roundId, round);
      await round.advertise();
      return;
    }
    // Local work starts at once and runs while keys are exchanged; it is awaited at masked_input.
    const contribution = this.enqueue(() => this.localContribution(open));
    contribution.catch(() => undefined);
    const round = new SecureMemberRound({
      ...link,
      vector: {
        purpose: open.purpose as 'train' | 'statistics' | 'evaluate', task: ctx.task, parameterCount: Number(open.model!.parameterCount),
        statisticsLength: featureStatsLength(ctx.schema, ctx.vocabularies, ctx.task), members: s.invitedMembers, maxExamples: s.maxExamples,
        weightClip: s.clip, weightScaleBits: s.scaleBits,
      },
      contribution,
    });
    this.secureRounds.set(open.roundId, round);
    await round.advertise();
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const result = this.busy.then(work);
    this.busy = result.then(() => undefined, () => undefined);
    return result;
  }

  /** Loads, validates and splits the member's rows for a task (once per task). */
  dataset(taskId: string, schema: FeatureSchema, testFraction: number, splitSeed: number): Promise<LocalDataset> {
    let ds = this.datasets.get(taskId);
    if (!ds) {
      ds = (async () => {
        const columns = [...schema.numeric, ...schema.categorical, schema.label];
        const table = await readMemberCsv(this.opts.dataFile, schema);
        if (table.rowCount < 2) throw new ConsortError('DATA_INVALID', `${this.opts.dataFile} has ${table.rowCount} usable rows; a member needs at least 2`);
        // The split must stay the same for every round of a task: the task fixes its seed.
        const seed = splitSeed;
        const positive = new Set(schema.positiveLabel ?? ['1']);
        const { train, test } = stratifiedSplit(table.records, (r) => (positive.has(r[schema.label]) ? 1 : 0), testFraction, seed);
        this.log.info(`loaded ${table.rowCount} rows (${train.length} train, ${test.length} test) with ${columns.length} columns`, { member: this.memberId });
        return { file: this.opts.dataFile, train, test };
      })();
      this.datasets.set(taskId, ds);
      ds.catch(() => this.datasets.delete(taskId));
    }
    return ds;
  }

  /** The member's segmentation rows for a task (once per task): features and profile labels only. */
  private segmentationRows(taskId: string, order: SegmentationWorkOrder): Promise<SegmentationData> {
    let data = this.segmentationData.get(taskId);
    if (!data) {
      data = readSegmentationData(this.opts.dataFile, order).then((d) => {
        if (d.raw.length < 2) throw new ConsortError('DATA_INVALID', `${this.opts.dataFile} has ${d.raw.length} usable rows; a member needs at least 2`);
        this.log.info(`loaded ${d.raw.length} rows for segmentation on ${order.features.length} features`, { member: this.memberId });
        return d;
      });
      this.segmentationData.set(taskId, data);
      data.catch(() => this.segmentationData.delete(taskId));
    }
    return data;
  }

  /** The member's local work for a round: feature sums, or evaluation plus local training. */
  private async localContribution(open: RoundOpen__Output): Promise<LocalInput> {
    const ctx = roundContextOf(open);
    const order = segmentationOrderOf(open);
    if (order) {
      // Segmentation fits its standardization on every row: there is no held-out evaluation.
      const rows = await this.segmentationRows(open.taskId, order);
      const input = statisticsInput(ctx, { file: rows.file, train: rows.records, test: [] });
      return this.opts.tamperInput ? this.opts.tamperInput(input, open) : input;
    }
    const data = await this.dataset(open.taskId, ctx.schema, open.testFraction, open.splitSeed);
    let input: LocalInput;
    if (open.purpose === 'statistics') {
      input = statisticsInput(ctx, data);
    } else {
      const model = await this.client.downloadModel(open.modelVersionId, open.modelSha256);
      input = await trainingInput(open, model.weights, data);
    }
    return this.opts.tamperInput ? this.opts.tamperInput(input, open) : input;
  }

  private async servePlainRound(open: RoundOpen__Output): Promise<void> {
    const input = await this.localContribution(open);
    const payload = new Uint8Array(input.values.buffer, input.values.byteOffset, input.values.byteLength);
    await this.client.uploadInput({
      roundId: open.roundId,
      plain: {
        numExamples: input.numExamples, trainLossSum: input.trainLossSum, evalLossSum: input.evalLossSum, evalAbsErrSum: input.evalAbsErrSum, evalExamples: input.evalExamples,
        evalHistPos: input.evalHistPos, evalHistNeg: input.evalHistNeg, dtype: input.dtype, rowsSkipped: 0,
        evalLabelSum: input.evalLabelSum ?? 0, evalLabelSquareSum: input.evalLabelSquareSum ?? 0,
      },
    }, payload);
    this.log.info(`round ${open.roundNumber} (${open.purpose}) input sent`, { member: this.memberId });
  }

  /** Waits for the round in progress (if any) to finish. */
  idle(): Promise<void> {
    return this.busy;
  }

  stop(): void {
    this.stopped = true;
    this.stream?.cancel();
    this.client.close();
  }
}

/** The segmentation work order of a round, if it is one (RoundOpen.payload_json). */
function segmentationOrderOf(open: RoundOpen__Output): SegmentationWorkOrder | undefined {
  if (!open.payloadJson) return undefined;
  const order = JSON.parse(open.payloadJson) as SegmentationWorkOrder;
  if (order.kind !== 'segmentation') {
    throw new ConsortError('INVALID_ARGUMENT', `round ${open.roundId} carries a "${String(order.kind)}" work order this agent does not know; update the agent`);
  }
  return order;
}
