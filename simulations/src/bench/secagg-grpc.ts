// End-to-end secure vs plain rounds over loopback gRPC (issue 3): coordinator in a child process,
// synthetic enrolled members here (real signed requests, real SecureMemberRound, no TensorFlow).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AdminClient } from '@consort/coordinator';
import { MemberClient, enrollMember, roundContextOf, type MemberIdentity } from '@consort/client-sdk';
import { featureStatsLength, type ModulusBits, type RoundContribution } from '@consort/core';
import type { CoordinatorEvent__Output } from '@consort/protos/types/CoordinatorEvent';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
// The member-side round wrapper is not exported by @consort/client-sdk; the benchmark drives it directly.
import { SecureMemberRound } from '../../../client-sdk/src/secagg/secure-member-round.ts';
import { PeerPins } from '../../../client-sdk/src/secagg/peer-pins.ts';
import { churnTaskSchema } from '../generator/schema.ts';
import type { ChildReply, ChildRequest, RoundResult } from './grpc-coordinator-child.ts';

/** A member that answers rounds with its downloaded model as the "trained" weights. */
class BenchMember {
  readonly client: MemberClient;
  private stream?: ReturnType<MemberClient['connect']>;
  private readonly rounds = new Map<string, SecureMemberRound>();
  private readonly pins = new PeerPins();
  /** Leaves (cancels its stream) when the masked-input stage opens, sending nothing more. */
  dropAtMaskedInput = false;
  dropped = false;

  constructor(address: string, readonly identity: MemberIdentity, private readonly errors: string[]) {
    this.client = new MemberClient(address, identity);
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
    const stage = e.keySet ?? e.routedShares ?? e.consistencyRequest ?? e.unmaskRequest;
    if (stage) {
      const round = this.rounds.get(stage.roundId);
      if (!round) return;
      if (e.keySet) this.guard(round.onKeySet(e.keySet));
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

  /** The "local work": download the model and send it back as the trained weights (100 rows). */
  private async contribution(open: RoundOpen__Output): Promise<RoundContribution> {
    const model = await this.client.downloadModel(open.modelVersionId, open.modelSha256);
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

/** The coordinator child process and a request/reply channel to it. */
class CoordinatorChild {
  private waiting?: { resolve: (m: ChildReply) => void; reject: (e: Error) => void };
  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (m: ChildReply) => { const w = this.waiting; this.waiting = undefined; w?.resolve(m); });
    proc.on('exit', (code) => { const w = this.waiting; this.waiting = undefined; w?.reject(new Error(`coordinator child exited (${code})`)); });
  }

  static async start(): Promise<{ child: CoordinatorChild; address: string; adminToken: string }> {
    const script = fileURLToPath(new URL('./grpc-coordinator-child.ts', import.meta.url));
    // BENCH_COORDINATOR_PROFILE=<dir> writes a V8 CPU profile of the coordinator (where its time goes).
    const prof = process.env.BENCH_COORDINATOR_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_COORDINATOR_PROFILE] : [];
    const proc = fork(script, [], { execArgv: ['--import', 'tsx', '--expose-gc', ...prof], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const child = new CoordinatorChild(proc);
    const ready = await child.next();
    if (ready.type !== 'ready') throw new Error(`coordinator child: ${JSON.stringify(ready)}`);
    return { child, address: ready.address, adminToken: ready.adminToken };
  }

  private next(): Promise<ChildReply> {
    return new Promise((resolve, reject) => { this.waiting = { resolve, reject }; });
  }

  async request(r: ChildRequest): Promise<ChildReply> {
    const reply = this.next();
    this.proc.send(r);
    const m = await reply;
    if (m.type === 'error') throw new Error(`coordinator child: ${m.message}`);
    return m;
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.send({ cmd: 'close' } satisfies ChildRequest);
    await exited;
  }
}

export interface GrpcRound extends RoundResult {
  n: number;
  d: number;
  aggregation: 'plain' | 'secure';
  dropout: number;
  warmup: boolean;
  /** CPU time of this (member) process during the round: all n members' work, serialized on one core. */
  membersCpuMs: number;
  memberErrors: string[];
}

export interface GrpcScenario {
  n: number;
  /** Target parameter count; the MLP's hidden width is chosen to come closest. */
  d: number;
  /** Rounds in order: aggregation, dropout fraction, warm-up (not reported). */
  rounds: { aggregation: 'plain' | 'secure'; dropout?: number; warmup?: boolean }[];
  /** Stage deadline: above the time all n members need one after another in this one process (default 60 s). */
  stageTimeoutS?: number;
}

/** Fresh coordinator child, n enrolled members, a plain and a secure task of ≈ d parameters, then the rounds. */
export async function runScenario(sc: GrpcScenario, log: (line: string) => void = console.error): Promise<GrpcRound[]> {
  const { child, address, adminToken } = await CoordinatorChild.start();
  const admin = new AdminClient(address, adminToken);
  const errors: string[] = [];
  const members: BenchMember[] = [];
  try {
    const fed = await admin.createFederation(`bench n=${sc.n} d=${sc.d}`);
    const s = churnTaskSchema();
    const taskInput = (aggregation: 'plain' | 'secure', hidden: number) => ({
      name: `bench-${aggregation}`, label: s.label, positiveLabel: s.positiveLabel, numeric: s.numeric, categorical: s.vocabularies,
      protected: s.protected, model: { kind: 'mlp' as const, task: 'binary' as const, hidden: [hidden] },
      train: { localEpochs: 1, batchSize: 32, learningRate: 0.1 }, minMembers: 5, stageTimeoutSeconds: sc.stageTimeoutS ?? 60, aggregation,
    });
    // params = (inputDim + 2)·h + 1 for one hidden layer; a probe task with h = 1 gives inputDim.
    const probe = await admin.createTask(fed.id, taskInput('plain', 1));
    const inputDim = probe.parameterCount - 3;
    const hidden = Math.max(1, Math.round((sc.d - 1) / (inputDim + 2)));
    const tasks = { plain: await admin.createTask(fed.id, taskInput('plain', hidden)), secure: await admin.createTask(fed.id, taskInput('secure', hidden)) };
    for (const t of Object.values(tasks)) await child.request({ cmd: 'fit', taskId: t.id });
    const params = tasks.secure.parameterCount;
    const tokens = await admin.createEnrollmentTokens(fed.id, sc.n);
    for (let i = 0; i < sc.n; i++) {
      const identity = await enrollMember(address, tokens[i], `Bench member ${i}`);
      const m = new BenchMember(address, identity, errors);
      await m.connect();
      members.push(m);
    }
    log(`grpc n=${sc.n} d≈${sc.d}: ${params} parameters (hidden ${hidden}), ${sc.n} members enrolled and connected`);
    const out: GrpcRound[] = [];
    for (const r of sc.rounds) {
      const dropout = r.dropout ?? 0;
      const droppers = members.slice(0, Math.floor(sc.n * dropout));
      for (const m of droppers) m.dropAtMaskedInput = true;
      errors.length = 0;
      const cpu0 = process.cpuUsage();
      const reply = await child.request({ cmd: 'round', taskId: tasks[r.aggregation].id });
      const cpu = process.cpuUsage(cpu0);
      if (reply.type !== 'round') throw new Error(`unexpected reply ${reply.type}`);
      const row: GrpcRound = {
        ...reply.result, n: sc.n, d: params, aggregation: r.aggregation, dropout, warmup: r.warmup ?? false,
        membersCpuMs: (cpu.user + cpu.system) / 1000, memberErrors: [...new Set(errors)].slice(0, 5),
      };
      out.push(row);
      log(`grpc n=${sc.n} d=${params} ${r.aggregation} drop=${dropout}${row.warmup ? ' (warm-up)' : ''}: ${row.state} in ${(row.wallMs / 1000).toFixed(2)} s, coordinator CPU ${(row.cpuMs / 1000).toFixed(2)} s, peak RSS ${(row.peakRss / 2 ** 20).toFixed(0)} MiB (before ${(row.rssBefore / 2 ** 20).toFixed(0)}), members CPU ${(row.membersCpuMs / 1000).toFixed(2)} s${row.reason ? `, ${row.reason}` : ''}${row.memberErrors.length ? `, member errors: ${row.memberErrors.join('; ')}` : ''}`);
      for (const m of droppers) {
        m.dropAtMaskedInput = false;
        await m.connect();
      }
      // Let the coordinator see every reconnected member online before the next round.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return out;
  } finally {
    for (const m of members) m.close();
    admin.close();
    await child.close();
  }
}

/** The measured scenarios: n sweep at d = 1e5 (ratio, RSS), dropouts at n = 100, and n = 500 at d = 1e6. */
export function grpcScenarios(quick: boolean): GrpcScenario[] {
  const pair = (warm: boolean) => [
    ...(warm ? [{ aggregation: 'plain' as const, warmup: true }, { aggregation: 'secure' as const, warmup: true }] : []),
    { aggregation: 'plain' as const }, { aggregation: 'secure' as const },
  ];
  if (quick) {
    return [
      { n: 10, d: 1e4, rounds: pair(true) },
      { n: 20, d: 1e4, rounds: [...pair(true), { aggregation: 'secure', dropout: 0.1 }] },
    ];
  }
  return [
    { n: 10, d: 1e5, rounds: pair(true) },
    { n: 50, d: 1e5, rounds: pair(true) },
    { n: 100, d: 1e5, rounds: [...pair(true), ...pair(false), { aggregation: 'secure', dropout: 0.1 }, { aggregation: 'secure', dropout: 0.3 }] },
    { n: 500, d: 1e5, rounds: pair(false), stageTimeoutS: 600 },
    { n: 500, d: 1e6, rounds: [{ aggregation: 'secure' }, { aggregation: 'plain' }], stageTimeoutS: 600 },
  ];
}

export async function runGrpcBench(quick: boolean, log: (line: string) => void = console.error, only?: (sc: GrpcScenario) => boolean): Promise<GrpcRound[]> {
  const rows: GrpcRound[] = [];
  for (const sc of grpcScenarios(quick).filter(only ?? (() => true))) rows.push(...await runScenario(sc, log));
  return rows;
}

// CLI: `npx tsx src/bench/secagg-grpc.ts [--quick] [--n 100] [--json path]` writes the rounds as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const args = process.argv.slice(2);
  const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const onlyN = flag('--n');
  const rows = await runGrpcBench(args.includes('--quick'), console.error, onlyN ? (sc) => sc.n === Number(onlyN) : undefined);
  const jsonAt = flag('--json');
  if (jsonAt) {
    mkdirSync(dirname(jsonAt), { recursive: true });
    writeFileSync(jsonAt, JSON.stringify(rows, null, 2));
  } else console.log(JSON.stringify(rows, null, 2));
}
