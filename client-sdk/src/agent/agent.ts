// The member agent: stays connected, answers each round with its local work, reconnects.
import { join } from 'node:path';
import {
  ConsortError, EXIT_CODES, auditSumLayout, pinnedReweighingLayout, reweighingSumLayout, describeError, featureStatsLength, formatError, type ModVector, type ModulusBits, type SecAggParams, type SegmentationWorkOrder, type VectorLayout,
} from '@consort/core';
import type { CoordinatorEvent__Output } from '@consort/protos/types/CoordinatorEvent';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import type { RoundClosed__Output } from '@consort/protos/types/RoundClosed';
import { MemberClient } from './member-client.ts';
import { roundContextOf, type LocalInput, type LocalRound, type LocalWork, type RoundContext } from './local-work.ts';
import { NoiseSharers } from './noise-sharers.ts';
import { CsvLocalWork } from './csv-local-work.ts';
import { auditOrderOf } from '../audit/audit-work.ts';
import { DEFAULT_AUDIT_FLOORS, type AuditFloors } from '../audit/audit-guard.ts';
import { pinSegmentationAudit } from '../audit/segmentation-audit.ts';
import type { MemberIdentity } from '../identity/member-identity.ts';
import { PeerPins } from '../secagg/peer-pins.ts';
import { SecureMemberRound, type ContributionRoundOptions } from '../secagg/secure-member-round.ts';
import { segmentationLayoutOf } from './segmentation-work.ts';
import { reweighingOrderOf } from './reweighing-work.ts';
import { ModelArchive, type SavedModel } from './model-archive.ts';
import { RoundAdmission } from './round-admission.ts';
import { DEFAULT_MIN_MEMBERS_FLOOR, roundTaskOf } from './round-policy.ts';
import { TaskPins } from './task-pin.ts';
import { ReconnectBackoff } from './reconnect-backoff.ts';
import { declineReasonOf } from './data-check.ts';
import { roundClosedLine, roundName, roundSeenOf, type RoundSeen } from './round-log.ts';

export const AGENT_VERSION = '0.1.0';

export interface AgentLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface MemberAgentOptions {
  coordinator: string;
  identity: MemberIdentity;
  /**
   * The member's customer-level CSV (mapped to the federation's column names), served by the
   * default local work (CsvLocalWork). Required unless `localWork` is given.
   */
  dataFile?: string;
  /** What the member computes in rounds (default: CsvLocalWork on `dataFile`); simulations and tests plug in their own. */
  localWork?: LocalWork;
  logger?: AgentLogger;
  /** Called after each round this member took part in closes. */
  onRoundClosed?: (closed: RoundClosed__Output) => void;
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
  /** Floors on an audit round's policy: smallest minCellCount (default and minimum 10) and minMembers (default 5, minimum 3). */
  auditFloors?: Partial<AuditFloors>;
  /** Stop trying to reach the coordinator after this long without a connection; 0 = never (default 24 h). */
  giveUpAfterMs?: number;
  /** Reconnect delays: upper bound of the first one and the cap (defaults 1 s and 30 s; full jitter below them). */
  reconnectBaseMs?: number;
  reconnectCapMs?: number;
  /** A stream silent this long is taken for lost (the coordinator sends a heartbeat every 15 s; default 60 s). */
  silenceTimeoutMs?: number;
  /** Where to save each published model version this member helped train (model-archive.ts); unset = not saved. */
  modelsDir?: string;
  /** Called after a model version is saved under `modelsDir`. */
  onModelSaved?: (saved: SavedModel) => void;
  /** CA certificate (PEM file) of the coordinator's TLS; default CONSORT_TLS_CA, else plain TCP. */
  tlsCaFile?: string;
}

/** Thrown where the agent declined a round: already logged and reported to the coordinator. */
class RoundDeclined extends Error {}

/** gRPC channel options of the agent: its channel retries a restarted coordinator within seconds, not minutes. */
const AGENT_CHANNEL_OPTIONS = { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 5000 };

const silent: AgentLogger = { info: () => undefined, warn: () => undefined };

/**
 * A member's client agent. `start()` checks the data file, connects and serves rounds; it
 * reconnects by itself (capped exponential backoff, full jitter) until `stop()`, or until it
 * gives up or is refused: then `done()` rejects with UNAVAILABLE or the refusal.
 */
export class MemberAgent {
  readonly client: MemberClient;
  private readonly log: AgentLogger;
  private stream?: ReturnType<MemberClient['connect']>;
  private stopped = false;
  private readonly backoff: ReconnectBackoff;
  private reconnectTimer?: NodeJS.Timeout;
  private silenceTimer?: NodeJS.Timeout;
  private everConnected = false;
  private lastFailure?: string;
  /** Counts connections: work begun on an earlier one is abandoned, not sent on a later one. */
  private generation = 0;
  private readonly rounds = new Map<string, RoundSeen & { generation: number }>();
  private readonly waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly finished: Promise<void>;
  private finish!: (err?: Error) => void;
  private busy: Promise<void> = Promise.resolve();
  private readonly secureRounds = new Map<string, SecureMemberRound>();
  /** Per secure model round: the member count its DP noise shares are sized for, once its key set is verified. */
  private readonly noiseSharers = new Map<string, NoiseSharers>();
  private readonly pins: PeerPins;
  private readonly admission: RoundAdmission;
  readonly archive?: ModelArchive;
  /** The member's local work: `opts.localWork`, else CsvLocalWork on `opts.dataFile`. */
  readonly localWork: LocalWork;
  backend = 'unselected';

  constructor(private readonly opts: MemberAgentOptions) {
    this.client = new MemberClient(opts.coordinator, opts.identity, opts.tlsCaFile, AGENT_CHANNEL_OPTIONS);
    this.log = opts.logger ?? silent;
    if (!opts.localWork && opts.dataFile === undefined) {
      throw new ConsortError('INVALID_ARGUMENT', 'a member agent needs its data file (dataFile) or its own local work (localWork)');
    }
    this.localWork = opts.localWork ?? new CsvLocalWork({ dataFile: opts.dataFile!, logger: this.log, memberId: () => this.memberId });
    this.pins = new PeerPins(opts.peerPinsPath ?? (opts.dataDir ? join(opts.dataDir, 'peer-pins.json') : undefined));
    this.admission = new RoundAdmission({
      coordinatorPublicKey: opts.identity.coordinatorPublicKey, allowPlain: opts.allowPlain ?? false,
      minMembersFloor: opts.minMembersFloor ?? DEFAULT_MIN_MEMBERS_FLOOR,
      auditFloors: { ...DEFAULT_AUDIT_FLOORS, ...opts.auditFloors },
    }, new TaskPins(opts.dataDir ? join(opts.dataDir, 'tasks') : undefined), this.log, () => this.memberId);
    this.backoff = new ReconnectBackoff({ baseMs: opts.reconnectBaseMs, capMs: opts.reconnectCapMs, giveUpAfterMs: opts.giveUpAfterMs });
    this.finished = new Promise<void>((resolve, reject) => {
      this.finish = (err) => (err ? reject(err) : resolve());
    });
    this.finished.catch(() => undefined);
    if (opts.modelsDir) this.archive = new ModelArchive(opts.modelsDir, this.client, this.log, opts.onModelSaved);
  }

  get memberId(): string {
    return this.opts.identity.memberId ?? '';
  }

  /**
   * Starts the local work (the default one refuses a missing, unreadable or header-less data
   * file and selects the TensorFlow.js backend) and connects; resolves once connected, however
   * many attempts that takes. Rejects when the agent gives up (UNAVAILABLE), is refused, or is stopped first.
   */
  async start(): Promise<void> {
    this.backend = await this.localWork.start();
    this.log.info(`TensorFlow.js backend: ${this.backend}`, { member: this.memberId });
    if (this.stopped) throw new ConsortError('CANCELLED', 'the agent was stopped before it connected');
    const connected = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.openStream();
    await connected;
  }

  /** Resolves when `stop()` is called; rejects when the agent stops by itself (gave up, refused). */
  done(): Promise<void> {
    return this.finished;
  }

  private openStream(): void {
    if (this.stopped) return;
    let stream: ReturnType<MemberClient['connect']>;
    try {
      stream = this.client.connect(this.backend, AGENT_VERSION);
    } catch (err) {
      // Signing failed (e.g. an identity that was never enrolled): no retry can help.
      const d = describeError(err);
      this.fail(new ConsortError(d.code, d.message));
      return;
    }
    this.stream = stream;
    let up = false;
    let lost = false;
    let silence: string | undefined;
    let lastEventAt = Date.now();
    // A network that drops packets silently never ends the stream: the coordinator's heartbeats
    // stopping does. Checked once more a second later, so that a long synchronous step (which
    // delays reading heartbeats already received) is not taken for a lost connection.
    const armSilenceTimer = () => {
      clearTimeout(this.silenceTimer);
      this.silenceTimer = setTimeout(() => {
        this.silenceTimer = setTimeout(() => {
          if (Date.now() - lastEventAt < this.silenceMs()) return armSilenceTimer();
          silence = `no message from the coordinator for ${Math.round((Date.now() - lastEventAt) / 1000)} s`;
          stream.cancel();
        }, 1000);
      }, this.silenceMs());
    };
    stream.on('data', (event: CoordinatorEvent__Output) => {
      if (this.stream !== stream) return;
      lastEventAt = Date.now();
      armSilenceTimer();
      if (!up) {
        up = true;
        this.connected();
      }
      this.onEvent(event);
    });
    // 'error' and 'end' can both fire for one stream: handle its loss once.
    const onLost = (err?: Error) => {
      if (lost || this.stream !== stream) return;
      lost = true;
      this.stream = undefined;
      clearTimeout(this.silenceTimer);
      if (this.stopped) return;
      const d = err && !silence ? describeError(err) : undefined;
      if (d && (d.exitCode === EXIT_CODES.refused || d.exitCode === EXIT_CODES.usage)) {
        this.fail(new ConsortError(d.code, `the coordinator at ${this.opts.coordinator} refused this member: ${d.message}`));
        return;
      }
      const why = silence ?? (d ? `${d.code}: ${d.message}` : 'the coordinator closed the stream');
      // Each attempt's log line repeats only the error code once the reason was given in full.
      const said = why === this.lastFailure ? d?.code : why;
      this.lastFailure = why;
      if (up) {
        this.log.warn(`connection to ${this.opts.coordinator} lost (${why})`, { member: this.memberId });
        this.abandonRounds('the connection was lost');
      }
      this.scheduleReconnect(up ? undefined : said);
    };
    stream.on('error', (err) => onLost(err));
    stream.on('end', () => onLost());
  }

  private silenceMs(): number {
    return this.opts.silenceTimeoutMs ?? 60_000;
  }

  private connected(): void {
    const outage = this.backoff.outageStartedAt;
    if (this.everConnected && outage !== undefined) {
      this.log.info(`reconnected to ${this.opts.coordinator} after ${((Date.now() - outage) / 1000).toFixed(1)} s; resuming at the next round`, { member: this.memberId });
    } else {
      this.log.info(`connected to ${this.opts.coordinator} as member ${this.memberId}; waiting for rounds`, { member: this.memberId });
    }
    this.everConnected = true;
    this.lastFailure = undefined;
    this.backoff.reset();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** Waits (capped exponential backoff, full jitter) and connects again; gives up after giveUpAfterMs. */
  private scheduleReconnect(lastError?: string): void {
    const step = this.backoff.next();
    if (!step) {
      const since = new Date(this.backoff.outageStartedAt ?? Date.now()).toISOString();
      this.fail(new ConsortError('UNAVAILABLE',
        `could not reach the coordinator at ${this.opts.coordinator} since ${since}; gave up after ${formatDuration(this.opts.giveUpAfterMs ?? 0)}. Check that it runs and the address (--coordinator), then start the agent again (--give-up-after 0 never gives up)`));
      return;
    }
    const until = step.giveUpAt === undefined ? 'never giving up' : `giving up at ${new Date(step.giveUpAt).toISOString()}`;
    this.log.warn(`reconnecting in ${(step.delayMs / 1000).toFixed(1)} s (attempt ${step.attempt}; ${until})${lastError ? `: ${lastError}` : ''}`, { member: this.memberId });
    // Not unref'd: an agent waiting to reconnect is alive, and its process must not exit.
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.openStream();
    }, step.delayMs);
  }

  /** Rounds begun on a lost connection are abandoned: the coordinator aborted or finished them without us. */
  private abandonRounds(why: string): void {
    for (const [id, r] of this.rounds) {
      if (r.generation === this.generation) this.log.warn(`${roundName(r, id)} abandoned: ${why}`, { member: this.memberId });
      else this.rounds.delete(id); // abandoned on an earlier connection and never closed
    }
    this.generation += 1;
    this.secureRounds.clear();
    for (const [id, sharers] of this.noiseSharers) { sharers.abandon(why); this.noiseSharers.delete(id); }
  }

  /** The agent stops by itself: gave up reconnecting or was refused. */
  private fail(err: ConsortError): void {
    this.log.warn(formatError(err), { member: this.memberId });
    this.shutdown();
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.finish(err);
  }

  private onEvent(event: CoordinatorEvent__Output): void {
    if (event.roundOpen) {
      const open = event.roundOpen;
      // A simulated member that vanished ignores the round before anything else.
      if (this.localWork.takesPart && !this.localWork.takesPart(this.localRound(open))) return;
      // The member's own policy first: nothing is read, generated or sent for a refused round.
      if (!this.admission.admit(open, (err) => this.tellRefused(open, err))) return;
      const seen = { ...roundSeenOf(open), generation: this.generation };
      this.rounds.set(open.roundId, seen);
      this.log.info(`${roundName(seen, open.roundId)} opened`, { member: this.memberId });
      if (open.aggregation === 'secure') {
        // The round's columns and rows are checked before any work (keys included): a member that
        // cannot serve the round declines it at once instead of failing at its input.
        this.guard(open.roundId, async () => {
          await this.declineOnError(open, () => this.checkRound(open));
          await this.startSecureRound(open);
        });
        return;
      }
      // Plain rounds are served one at a time, in order.
      this.busy = this.busy.then(() => this.servePlainRound(open)).catch((err: Error) => this.roundFailed(open.roundId, err));
      return;
    }
    const stage = event.keyCommitmentSet ?? event.keySet ?? event.routedShares ?? event.consistencyRequest ?? event.unmaskRequest;
    if (stage) {
      const round = this.secureRounds.get(stage.roundId);
      if (!round) return;
      if (event.keyCommitmentSet) {
        this.guard(stage.roundId, async () => {
          const seen = await round.onCommitments(event.keyCommitmentSet!, roundName(this.rounds.get(stage.roundId), stage.roundId));
          this.log.info(seen.info, { member: this.memberId });
          if (seen.warning) this.log.warn(seen.warning, { member: this.memberId });
        });
      } else if (event.keySet && !this.admission.admitKeySet(event.keySet)) this.forgetSecureRound(stage.roundId, 'its key set was refused');
      else if (event.keySet) this.guard(stage.roundId, () => round.onKeySet(event.keySet!));
      else if (event.routedShares) this.guard(stage.roundId, () => round.onRoutedShares(event.routedShares!));
      else if (event.consistencyRequest) this.guard(stage.roundId, () => round.onConsistencyRequest(event.consistencyRequest!));
      else this.guard(stage.roundId, () => round.onUnmaskRequest(event.unmaskRequest!));
    } else if (event.roundClosed) {
      this.forgetSecureRound(event.roundClosed.roundId, 'the round closed');
      this.log.info(roundClosedLine(this.rounds.get(event.roundClosed.roundId), event.roundClosed), { member: this.memberId });
      this.rounds.delete(event.roundClosed.roundId);
      this.archive?.roundClosed(event.roundClosed);
      this.opts.onRoundClosed?.(event.roundClosed);
    }
  }

  /** Runs one step of a round; a failure ends this member's part in it (the round goes on). */
  private guard(roundId: string, step: () => Promise<void>): void {
    step().catch((err: Error) => {
      this.forgetSecureRound(roundId, 'it failed on this member');
      this.roundFailed(roundId, err);
    });
  }

  /** Ends this member's part in a secure round: local work still waiting for its key set stops. */
  private forgetSecureRound(roundId: string, why: string): void {
    this.secureRounds.delete(roundId);
    this.noiseSharers.get(roundId)?.abandon(why);
    this.noiseSharers.delete(roundId);
  }

  /** Logs a failed round once (a declined one was logged when declined; an abandoned one when the connection was lost). */
  private roundFailed(roundId: string, err: Error): void {
    const seen = this.rounds.get(roundId);
    if (err instanceof RoundDeclined || (seen && seen.generation !== this.generation)) return;
    this.log.warn(`${roundName(seen, roundId)} failed on this member: ${formatError(err)}`, { member: this.memberId });
  }

  /**
   * Runs the part of a round before this member's input; if it fails, declines the round: the
   * coordinator gets the error's code and a reason built from its details (file, row, column),
   * never its message, which may quote a cell value. The member's own log has the full message.
   */
  /**
   * Tells the coordinator at once that a round breaking this member's policy is refused, so the
   * operator sees why instead of waiting for the deadline. The reason is about the round's terms
   * (aggregation, floors, signature), never about data; a hostile coordinator learns nothing new.
   */
  private tellRefused(open: RoundOpen__Output, err: unknown): void {
    const { code, message } = describeError(err);
    this.client.declineRound(open.roundId, code, message).catch((e: unknown) => {
      this.log.warn(`could not tell the coordinator that round ${open.roundId} is refused: ${formatError(e)}`, { member: this.memberId });
    });
  }

  private async declineOnError<T>(open: RoundOpen__Output, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const seen = this.rounds.get(open.roundId);
      if (!seen || seen.generation !== this.generation) throw err;
      this.log.warn(`${roundName(seen, open.roundId)} declined: ${formatError(err)}`, { member: this.memberId });
      const { code, reason } = declineReasonOf(err, labelOf(open));
      await this.client.declineRound(open.roundId, code, reason).then(
        (ack) => { if (!ack.accepted) this.log.warn(`the coordinator kept this member in ${roundName(seen, open.roundId)}: ${ack.detail}`, { member: this.memberId }); },
        (e: unknown) => this.log.warn(`could not tell the coordinator that ${roundName(seen, open.roundId)} is declined: ${formatError(e)}`, { member: this.memberId }),
      );
      throw new RoundDeclined(formatError(err));
    }
  }

  /** Checks a round's columns and rows against this member's data before any work (the local work's check). */
  private checkRound(open: RoundOpen__Output): Promise<void> {
    return this.localWork.check(this.localRound(open));
  }

  /** What the local work is given of a round: its RoundOpen and its decoded segmentation work order. */
  private localRound(open: RoundOpen__Output): LocalRound {
    return { open, segmentation: segmentationOrderOf(open) };
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
      tamperPacked: this.localWork.alterPacked?.bind(this.localWork),
    };
    const audit = pinSegmentationAudit(auditOrderOf(open.payloadJson), roundTaskOf(open), open.roundId);
    if (audit) {
      // Audit rounds: the audited model scores the held-out rows; the vector's layout comes from the policy.
      this.log.info(`${roundName(this.rounds.get(open.roundId), open.roundId)} is a fairness audit under policy ${audit.policyHash}`, { member: this.memberId });
      const model = async () => (await this.client.downloadModel(open.modelVersionId, open.modelSha256)).weights;
      // A DP task's noise share is sized from the verified key set, as for training (noise-sharers.ts).
      await this.startPackedRound(open, link, auditSumLayout(audit, s.invitedMembers),
        (noiseSharers) => this.localWork.auditVector({ ...this.localRound(open), noiseSharers: noiseSharers! }, audit, model, s.invitedMembers), true, { private: Boolean(ctx.privacy) });
      return;
    }
    const reweighing = await this.declineOnError(open, async () => reweighingOrderOf(open.payloadJson));
    if (reweighing) {
      // Reweighing rounds: group × label counts of the training rows, laid out from the pinned task
      // (a task that did not ask for reweighing is declined before any row is counted).
      const layout = await this.declineOnError(open, async () => reweighingSumLayout(pinnedReweighingLayout(roundTaskOf(open), reweighing.attributes), reweighing.maxRows, s.invitedMembers));
      this.log.info(`${roundName(this.rounds.get(open.roundId), open.roundId)} counts training rows by group × label (reweighing over ${reweighing.attributes.join(' × ')})`, { member: this.memberId });
      await this.startPackedRound(open, link, layout, () => this.localWork.reweighingVector(this.localRound(open), reweighing, s.invitedMembers), true);
      return;
    }
    const order = segmentationOrderOf(open);
    if (order && order.purpose !== 'statistics') {
      // Segmentation rounds: the vector's layout comes from the work order, not the model.
      // Under DP the member's noise share waits for the verified key set, as in training rounds.
      await this.startPackedRound(open, link, segmentationLayoutOf(order, s.invitedMembers),
        (noiseSharers) => this.localWork.segmentationVector({ open, segmentation: order, ...(noiseSharers ? { noiseSharers } : {}) }, s.invitedMembers), false,
        ctx.segmentationPrivacy ? { private: true } : undefined);
      return;
    }
    // Local work starts at once and runs while keys are exchanged; it is awaited at masked_input.
    // Its DP noise share waits for the verified key set (the announced count alone could be inflated).
    const sharers = this.noiseSharersFor(open);
    const contribution = this.enqueue(() => this.declineOnError(open, () => this.localContribution(open, sharers.members)));
    contribution.catch(() => undefined);
    const onKeySetVerified = (keys: number) => this.keySetVerified(open, sharers, keys, Boolean(ctx.privacy ?? ctx.segmentationPrivacy));
    let round: SecureMemberRound;
    try {
      round = this.newContributionRound(open, ctx, link, contribution, onKeySetVerified);
    } catch (err) {
      this.forgetSecureRound(open.roundId, 'its parameters were refused');
      throw err;
    }
    this.secureRounds.set(open.roundId, round);
    await round.advertise();
  }

  /** The round's noise-share count, settled once its key set is verified (or abandoned with the round). */
  private noiseSharersFor(open: RoundOpen__Output): NoiseSharers {
    const sharers = new NoiseSharers(open.secagg!.invitedMembers);
    this.noiseSharers.set(open.roundId, sharers);
    return sharers;
  }

  /** The key set is verified: noise shares are sized for min(announced, keys); a smaller count is logged under DP. */
  private keySetVerified(open: RoundOpen__Output, sharers: NoiseSharers, keys: number, private_: boolean): void {
    const n = sharers.verified(keys);
    if (private_ && n < sharers.announced) {
      this.log.warn(`${roundName(this.rounds.get(open.roundId), open.roundId)} announced ${sharers.announced} members but its verified key set holds ${keys}: `
        + `this member's noise share is sized for ${n}`, { member: this.memberId });
    }
  }

  /**
   * A secure round over a packed integer vector (audit, reweighing, segmentation): the vector is
   * computed in turn with other local work while keys are exchanged; `alter` lets an adversarial
   * simulation change it before masking. With `noise`, the vector's noise share is sized once the
   * key set is verified (noise-sharers.ts) and `compute` receives that count.
   */
  private async startPackedRound(open: RoundOpen__Output, link: Omit<ContributionRoundOptions, 'vector' | 'contribution'>, layout: VectorLayout,
    compute: (noiseSharers?: Promise<number>) => Promise<ModVector>, alter: boolean, noise?: { private: boolean }): Promise<void> {
    const sharers = noise ? this.noiseSharersFor(open) : undefined;
    const packed = this.enqueue(() => this.declineOnError(open, async () => {
      const vector = await compute(sharers?.members);
      if (alter) this.localWork.alterPacked?.(vector, layout);
      return { vector, clipped: 0 };
    }));
    packed.catch(() => undefined);
    const round = new SecureMemberRound({
      ...link, layout: { length: layout.length, modulusBits: layout.modulusBits }, packed,
      ...(sharers ? { onKeySetVerified: (keys: number) => this.keySetVerified(open, sharers, keys, noise!.private) } : {}),
    });
    this.secureRounds.set(open.roundId, round);
    await round.advertise();
  }

  private newContributionRound(open: RoundOpen__Output, ctx: RoundContext, link: Omit<ContributionRoundOptions, 'vector' | 'contribution'>,
    contribution: Promise<LocalInput>, onKeySetVerified: (keys: number) => void): SecureMemberRound {
    const s = open.secagg!;
    return new SecureMemberRound({
      ...link, onKeySetVerified,
      vector: {
        purpose: open.purpose as 'train' | 'statistics' | 'evaluate', task: ctx.task, parameterCount: Number(open.model?.parameterCount ?? 0),
        statisticsLength: featureStatsLength(ctx.schema, ctx.vocabularies, ctx.task), members: s.invitedMembers, maxExamples: s.maxExamples,
        weightClip: s.clip, weightScaleBits: s.scaleBits,
        // Member-level DP with adaptive clipping: the noisy "fitted under the bound" indicator rides in the sum.
        ...(open.purpose === 'train' && ctx.privacy?.level === 'member' && ctx.privacy.adaptiveClipping ? { dpClipCount: true } : {}),
      },
      contribution,
    });
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const result = this.busy.then(work);
    this.busy = result.then(() => undefined, () => undefined);
    return result;
  }

  /** The member's local work for a round: feature sums, or evaluation plus local training. */
  private localContribution(open: RoundOpen__Output, noiseSharers?: Promise<number>): Promise<LocalInput> {
    return this.localWork.contribution({ ...this.localRound(open), ...(noiseSharers ? { noiseSharers } : {}) }, async () => (await this.client.downloadModel(open.modelVersionId, open.modelSha256)).weights);
  }

  private async servePlainRound(open: RoundOpen__Output): Promise<void> {
    const input = await this.declineOnError(open, async () => {
      await this.checkRound(open);
      return this.localContribution(open);
    });
    const seen = this.rounds.get(open.roundId);
    // Work done for a round of a lost connection is not sent: that round is gone.
    if (!seen || seen.generation !== this.generation) return;
    // Logged before the upload: its acknowledgement may arrive after the round already closed.
    this.log.info(`${roundName(seen, open.roundId)} sending its input (${input.numExamples} rows)`, { member: this.memberId });
    const payload = new Uint8Array(input.values.buffer, input.values.byteOffset, input.values.byteLength);
    await this.client.uploadInput({
      roundId: open.roundId,
      plain: {
        numExamples: input.numExamples, trainLossSum: input.trainLossSum, evalLossSum: input.evalLossSum, evalAbsErrSum: input.evalAbsErrSum, evalExamples: input.evalExamples,
        evalHistPos: input.evalHistPos, evalHistNeg: input.evalHistNeg, dtype: input.dtype, rowsSkipped: 0,
        evalLabelSum: input.evalLabelSum ?? 0, evalLabelSquareSum: input.evalLabelSquareSum ?? 0,
      },
    }, payload);
  }

  /** Waits for the round in progress (if any) to finish. */
  idle(): Promise<void> {
    return this.busy;
  }

  /** Disconnects for good (no reconnect); `done()` resolves. */
  stop(): void {
    this.shutdown();
    for (const w of this.waiters.splice(0)) w.reject(new ConsortError('CANCELLED', 'the agent was stopped before it connected'));
    this.finish();
  }

  private shutdown(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.silenceTimer);
    this.stream?.cancel();
    this.client.close();
    for (const id of [...this.noiseSharers.keys()]) this.forgetSecureRound(id, 'the agent stopped');
  }
}

/**
 * The segmentation work order of a round of a segmentation task: its shape, runs and masks from
 * RoundOpen.payload_json; its columns from the task (pinned), never from the work order.
 */
function segmentationOrderOf(open: RoundOpen__Output): SegmentationWorkOrder | undefined {
  const task = roundTaskOf(open);
  if (task.kind !== 'segmentation') return undefined;
  const order = (open.payloadJson ? JSON.parse(open.payloadJson) : { kind: 'segmentation', purpose: 'statistics' }) as SegmentationWorkOrder;
  // The audit of a segmentation version is an audit round (auditOrderOf), not a k-means step.
  if ((order.kind as string) === 'audit') return undefined;
  if (order.kind !== 'segmentation') {
    throw new ConsortError('INVALID_ARGUMENT', `round ${open.roundId} carries a "${String(order.kind)}" work order this agent does not know; update the agent`);
  }
  return { ...order, features: task.segmentation.features, profileLabels: task.segmentation.profileLabels };
}

/** The task's label, for a decline message (none for segmentation, or when the task cannot be read). */
function labelOf(open: RoundOpen__Output): string | undefined {
  try {
    const task = roundTaskOf(open);
    return task.kind === 'model' ? task.label : undefined;
  } catch {
    return undefined;
  }
}

/** "24h", "90s", "1h30m": for messages about the give-up time. */
function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', sec || s === 0 ? `${sec}s` : ''].join('');
}
