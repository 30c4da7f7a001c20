// A member host of the gRPC benchmark: a child process running a share of the synthetic members, each
// on its own HTTP/2 connection, so that members' work spreads over cores and connections as it would
// over members' machines. Driven over IPC by secagg-grpc.ts: enroll, mark droppers, measure a round, close.
import { MemberClient, enrollMember, roundContextOf, type MemberIdentity } from '@consort/client-sdk';
import { featureStatsLength, type ModulusBits, type RoundContribution } from '@consort/core';
import type { CoordinatorEvent__Output } from '@consort/protos/types/CoordinatorEvent';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
// Many members per process, each on its own connection: the benchmark drives the member-side round itself.
import { PeerPins, SecureMemberRound } from '@consort/client-sdk/secagg';
import { startRoundProfile, stopRoundProfile } from './round-profiler.ts';

export type HostRequest =
  /** Enroll one member per token (`indices[i]` is the member's index in the whole scenario) and connect it. */
  | { cmd: 'enroll'; address: string; tokens: string[]; indices: number[] }
  /**
   * A round is about to run: these members (scenario indices) leave at the masked-input stage; each
   * member's local work ends `trainMs` after it has the model (a wait: training on its own machine); start the CPU clock.
   */
  | { cmd: 'roundStart'; droppers: number[]; trainMs?: number }
  /** The round is over: stop the CPU clock, report, then reconnect this round's droppers. */
  | { cmd: 'roundEnd' }
  | { cmd: 'close' };

export type HostReply =
  | { type: 'enrolled'; members: number }
  | { type: 'started' }
  | { type: 'ended'; cpuMs: number; errors: string[] }
  | { type: 'error'; message: string };

/**
 * Own subchannel pool per client: grpc-js otherwise shares one subchannel (one TCP connection) among all
 * channels to the same target with the same options, i.e. all of a host's members would multiplex one connection.
 */
const OWN_CONNECTION = {
  'grpc.use_local_subchannel_pool': 1,
  // One host runs n/P members, whose synchronous masking (~0.2-0.5 s each at d = 1e6) can keep
  // its event loop busy for tens of seconds when a stage opens for all of them at once; a real
  // agent runs one member. A keepalive ping answered during that time is only read afterwards,
  // so the default 20 s keepalive timeout would drop healthy connections ("Connection dropped").
  'grpc.keepalive_timeout_ms': 10 * 60_000,
};

/** A member that answers rounds with its downloaded model as the "trained" weights. */
class BenchMember {
  readonly client: MemberClient;
  private stream?: ReturnType<MemberClient['connect']>;
  private readonly rounds = new Map<string, SecureMemberRound>();
  private readonly pins = new PeerPins();
  /** Leaves (cancels its stream) when the masked-input stage opens, sending nothing more. */
  dropAtMaskedInput = false;
  dropped = false;
  /** Milliseconds the "training" lasts after the download (0: none). */
  trainMs = 0;

  constructor(address: string, readonly identity: MemberIdentity, private readonly errors: string[]) {
    this.client = new MemberClient(address, identity, undefined, OWN_CONNECTION);
  }

  connect(): Promise<void> {
    this.dropped = false;
    return new Promise((resolve, reject) => {
      const stream = this.client.connect('none', 'bench');
      this.stream = stream;
      let first = true;
      stream.on('data', (e: CoordinatorEvent__Output) => {
        if (first) { first = false; resolve(); }
        this.onEvent(e);
      });
      stream.on('error', (err: Error & { code?: number }) => {
        if (first) { first = false; reject(err); } else if (!this.dropped) this.errors.push(`stream: ${err.message}`);
      });
    });
  }

  private guard(step: Promise<void>): void {
    step.catch((err: Error & { details?: string }) => {
      const msg = err.details ?? err.message;
      if (!this.errors.includes(msg)) console.error(`member ${this.identity.memberId}: ${msg}`);
      this.errors.push(msg);
    });
  }

  private onEvent(e: CoordinatorEvent__Output): void {
    if (e.roundOpen) {
      const open = e.roundOpen;
      if (open.aggregation === 'secure') this.guard(this.startSecure(open));
      else this.guard(this.servePlain(open));
      return;
    }
    const stage = e.keyCommitmentSet ?? e.keySet ?? e.routedShares ?? e.consistencyRequest ?? e.unmaskRequest;
    if (stage) {
      const round = this.rounds.get(stage.roundId);
      if (!round) return;
      if (e.keyCommitmentSet) this.guard(round.onCommitments(e.keyCommitmentSet, `round ${stage.roundId}`).then(() => undefined));
      else if (e.keySet) this.guard(round.onKeySet(e.keySet));
      else if (e.routedShares) {
        if (this.dropAtMaskedInput) {
          this.dropped = true;
          this.rounds.delete(stage.roundId);
          this.stream?.cancel();
        } else this.guard(round.onRoutedShares(e.routedShares));
      } else if (e.consistencyRequest) this.guard(round.onConsistencyRequest(e.consistencyRequest));
      else this.guard(round.onUnmaskRequest(e.unmaskRequest!));
    } else if (e.roundClosed) {
      this.rounds.delete(e.roundClosed.roundId);
    }
  }

  /**
   * The "local work": download the model and send it back as the trained weights (100 rows), after
   * `trainMs` of waiting when the scenario stands in for training done on the member's own machine.
   */
  private async contribution(open: RoundOpen__Output): Promise<RoundContribution> {
    const model = await this.client.downloadModel(open.modelVersionId, open.modelSha256);
    if (this.trainMs > 0) await new Promise((resolve) => setTimeout(resolve, this.trainMs));
    return { values: model.weights, numExamples: 100, trainLossSum: 50, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [] };
  }

  private async servePlain(open: RoundOpen__Output): Promise<void> {
    const c = await this.contribution(open);
    const w = c.values as Float32Array;
    await this.client.uploadInput({
      roundId: open.roundId,
      plain: { numExamples: c.numExamples, trainLossSum: c.trainLossSum, evalLossSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [], dtype: 'float32', rowsSkipped: 0 },
    }, new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  }

  /** As the agent's startSecureRound: local work runs while keys are exchanged. */
  private async startSecure(open: RoundOpen__Output): Promise<void> {
    const ctx = roundContextOf(open);
    const s = open.secagg!;
    const contribution = this.contribution(open);
    contribution.catch(() => undefined);
    const round = new SecureMemberRound({
      roundId: open.roundId, memberId: this.identity.memberId!, identity: this.identity, pins: this.pins,
      params: {
        roundId: open.roundId, vectorLength: Number(s.vectorLength), modulusBits: s.modulusBits as ModulusBits,
        neighbours: s.neighbours, threshold: s.threshold, minMembers: s.minMembers,
      },
      vector: {
        purpose: 'train', task: ctx.task, parameterCount: Number(open.model!.parameterCount),
        statisticsLength: featureStatsLength(ctx.schema, ctx.vocabularies), members: s.invitedMembers, maxExamples: s.maxExamples,
        weightClip: s.clip, weightScaleBits: s.scaleBits,
      },
      submit: (sub) => this.client.submitStage(sub),
      upload: (header, payload) => this.client.uploadInput(header, payload),
      contribution,
    });
    this.rounds.set(open.roundId, round);
    await round.advertise();
  }

  close(): void {
    this.dropped = true;
    this.stream?.cancel();
    this.client.close();
  }
}

const reply = (m: HostReply) => process.send!(m);

/** This host's members by scenario index. */
const members = new Map<number, BenchMember>();
/** Errors of this host's members since the round started. */
const errors: string[] = [];
let droppers: BenchMember[] = [];
let cpuAtStart = process.cpuUsage();

function close(code: number): never {
  for (const m of members.values()) m.close();
  process.exit(code);
}

// The parent died or closed the channel without a 'close': do not outlive it.
process.on('disconnect', () => close(1));

process.on('message', (msg: HostRequest) => {
  void (async () => {
    try {
      if (msg.cmd === 'enroll') {
        for (const [i, token] of msg.tokens.entries()) {
          const identity = await enrollMember(msg.address, token, `Bench member ${msg.indices[i]}`);
          const m = new BenchMember(msg.address, identity, errors);
          await m.connect();
          members.set(msg.indices[i], m);
        }
        reply({ type: 'enrolled', members: members.size });
      } else if (msg.cmd === 'roundStart') {
        droppers = msg.droppers.map((i) => members.get(i)!);
        for (const m of droppers) m.dropAtMaskedInput = true;
        for (const m of members.values()) m.trainMs = msg.trainMs ?? 0;
        errors.length = 0;
        await startRoundProfile();
        cpuAtStart = process.cpuUsage();
        reply({ type: 'started' });
      } else if (msg.cmd === 'roundEnd') {
        const cpu = process.cpuUsage(cpuAtStart);
        await stopRoundProfile(`member-host-${process.pid}`);
        const roundErrors = [...new Set(errors)];
        for (const m of droppers) {
          m.dropAtMaskedInput = false;
          await m.connect();
        }
        droppers = [];
        reply({ type: 'ended', cpuMs: (cpu.user + cpu.system) / 1000, errors: roundErrors });
      } else close(0);
    } catch (err) {
      reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
