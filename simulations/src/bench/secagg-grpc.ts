// End-to-end secure vs plain rounds over loopback gRPC (issue 3): coordinator in a child process, synthetic
// enrolled members (real signed requests, real SecureMemberRound, no TensorFlow) in P member-host child
// processes, each member on its own HTTP/2 connection.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AdminClient } from '@consort/coordinator';
import { churnTaskSchema } from '../generator/schema.ts';
import type { ChildReply, ChildRequest, RoundResult } from './grpc-coordinator-child.ts';
import type { HostReply, HostRequest } from './grpc-member-host.ts';

/** A forked benchmark process (run with tsx) and a one-request-at-a-time IPC channel to it. */
class BenchChild<Req extends { cmd: string }, Reply extends { type: string }> {
  private readonly proc: ChildProcess;
  private waiting?: { resolve: (m: Reply) => void; reject: (e: Error) => void };
  private exited = false;

  constructor(private readonly name: string, script: string, execArgv: string[] = []) {
    const path = fileURLToPath(new URL(script, import.meta.url));
    this.proc = fork(path, [], { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: Reply) => { const w = this.waiting; this.waiting = undefined; w?.resolve(m); });
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(new Error(`${this.name} exited (${code ?? signal})`));
    });
  }

  /** The next message from the child (e.g. its 'ready'). */
  next(): Promise<Reply> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    return new Promise((resolve, reject) => { this.waiting = { resolve, reject }; });
  }

  async request(r: Req): Promise<Reply> {
    const reply = this.next();
    this.proc.send(r);
    const m = await reply;
    if (m.type === 'error') throw new Error(`${this.name}: ${(m as { message?: string }).message}`);
    return m;
  }

  /** Asks the child to close; kills it if it has not exited within `graceMs` (or cannot be asked). */
  async close(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    try {
      this.proc.send({ cmd: 'close' });
    } catch {
      this.proc.kill('SIGKILL');
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

type CoordinatorChild = BenchChild<ChildRequest, ChildReply>;
type MemberHost = BenchChild<HostRequest, HostReply>;

async function startCoordinator(): Promise<{ child: CoordinatorChild; address: string; adminAddress: string; adminToken: string }> {
  // BENCH_COORDINATOR_PROFILE=<dir> writes a V8 CPU profile of the coordinator (where its time goes).
  const prof = process.env.BENCH_COORDINATOR_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_COORDINATOR_PROFILE] : [];
  const child: CoordinatorChild = new BenchChild('coordinator child', './grpc-coordinator-child.ts', ['--expose-gc', ...prof]);
  const ready = await child.next();
  if (ready.type !== 'ready') throw new Error(`coordinator child: ${JSON.stringify(ready)}`);
  return { child, address: ready.address, adminAddress: ready.adminAddress, adminToken: ready.adminToken };
}

export interface GrpcRound extends RoundResult {
  n: number;
  d: number;
  aggregation: 'plain' | 'secure';
  dropout: number;
  /** The dropout tolerance the round's task declared (undefined: the default, 0.1). */
  tolerance?: number;
  warmup: boolean;
  /** Seconds each member's "training" lasted (a wait after its download; 0: no training). */
  trainSeconds: number;
  /** Member-host processes the n members ran in. */
  memberHosts: number;
  /** CPU time of all member hosts during the round, summed: all n members' work. */
  membersCpuMs: number;
  memberErrors: string[];
}

export interface GrpcScenario {
  n: number;
  /** Target parameter count; the MLP's hidden width is chosen to come closest. */
  d: number;
  /** Rounds in order: aggregation, dropout fraction, warm-up (not reported). */
  rounds: { aggregation: 'plain' | 'secure'; dropout?: number; tolerance?: number; warmup?: boolean; trainSeconds?: number }[];
  /** Stage deadline: above the time n/P members need one after another in a host on a shared core (default 60 s). */
  stageTimeoutS?: number;
  /** Member-host processes (P); default min(n, 4). */
  hosts?: number;
}

/** Starts P member hosts and enrolls member i (token i) in host i mod P, each member connected on its own connection. */
async function startMemberHosts(p: number, address: string, tokens: string[]): Promise<MemberHost[]> {
  const hosts: MemberHost[] = [];
  // BENCH_MEMBER_PROFILE=<dir> writes a V8 CPU profile of every member host.
  const prof = process.env.BENCH_MEMBER_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_MEMBER_PROFILE] : [];
  for (let h = 0; h < p; h++) hosts.push(new BenchChild(`member host ${h}`, './grpc-member-host.ts', prof));
  try {
    // Round-robin, so that the first k members (this round's droppers) spread over the hosts.
    await Promise.all(hosts.map((host, h) => {
      const indices = tokens.map((_, i) => i).filter((i) => i % p === h);
      return host.request({ cmd: 'enroll', address, tokens: indices.map((i) => tokens[i]), indices });
    }));
  } catch (err) {
    await Promise.all(hosts.map((host) => host.close(0)));
    throw err;
  }
  return hosts;
}

/** Fresh coordinator child, n enrolled members in P hosts, a plain and a secure task of ≈ d parameters, then the rounds. */
export async function runScenario(sc: GrpcScenario, log: (line: string) => void = console.error): Promise<GrpcRound[]> {
  const { child, address, adminAddress, adminToken } = await startCoordinator();
  const admin = new AdminClient(adminAddress, adminToken);
  const p = Math.max(1, Math.min(sc.n, sc.hosts ?? 4));
  let hosts: MemberHost[] = [];
  let failed = false;
  try {
    const fed = await admin.createFederation(`bench n=${sc.n} d=${sc.d}`);
    const s = churnTaskSchema();
    const taskInput = (aggregation: 'plain' | 'secure', hidden: number, dropoutTolerance?: number) => ({
      name: `bench-${aggregation}${dropoutTolerance === undefined ? '' : `-tolerates-${dropoutTolerance}`}`, dropoutTolerance, label: s.label, positiveLabel: s.positiveLabel, numeric: s.numeric, categorical: s.vocabularies,
      protected: s.protected, model: { kind: 'mlp' as const, task: 'binary' as const, hidden: [hidden] },
      train: { localEpochs: 1, batchSize: 32, learningRate: 0.1 }, minMembers: 5, stageTimeoutSeconds: sc.stageTimeoutS ?? 60, aggregation,
    });
    // params = (inputDim + 2)·h + 1 for one hidden layer; a probe task with h = 1 gives inputDim.
    const probe = await admin.createTask(fed.id, taskInput('plain', 1));
    const inputDim = probe.parameterCount - 3;
    const hidden = Math.max(1, Math.round((sc.d - 1) / (inputDim + 2)));
    const tasks = { plain: await admin.createTask(fed.id, taskInput('plain', hidden)), secure: await admin.createTask(fed.id, taskInput('secure', hidden)) };
    // Rounds that declare a dropout tolerance run on a secure task of their own with that tolerance (a larger k).
    const tolerant = new Map<number, Awaited<ReturnType<typeof admin.createTask>>>();
    for (const tol of new Set(sc.rounds.flatMap((r) => (r.tolerance === undefined ? [] : [r.tolerance])))) {
      tolerant.set(tol, await admin.createTask(fed.id, taskInput('secure', hidden, tol)));
    }
    for (const t of [...Object.values(tasks), ...tolerant.values()]) await child.request({ cmd: 'fit', taskId: t.id });
    const params = tasks.secure.parameterCount;
    const tokens = await admin.createEnrollmentTokens(fed.id, sc.n);
    hosts = await startMemberHosts(p, address, tokens);
    log(`grpc n=${sc.n} d≈${sc.d}: ${params} parameters (hidden ${hidden}), ${sc.n} members enrolled and connected in ${p} hosts (coordinator at ${address})`);
    const out: GrpcRound[] = [];
    for (const r of sc.rounds) {
      const dropout = r.dropout ?? 0;
      const dropCount = Math.floor(sc.n * dropout);
      // Members 0 … dropCount−1 leave at the masked-input stage; each host gets its own of them.
      await Promise.all(hosts.map((host, h) => host.request({
        cmd: 'roundStart', droppers: Array.from({ length: dropCount }, (_, i) => i).filter((i) => i % p === h), trainMs: (r.trainSeconds ?? 0) * 1000,
      })));
      const task = r.tolerance === undefined ? tasks[r.aggregation] : tolerant.get(r.tolerance)!;
      const reply = await child.request({ cmd: 'round', taskId: task.id });
      if (reply.type !== 'round') throw new Error(`unexpected reply ${reply.type}`);
      // Each host stops its CPU clock, then reconnects its droppers.
      const ends = await Promise.all(hosts.map((host) => host.request({ cmd: 'roundEnd' })));
      let membersCpuMs = 0;
      const errors = new Set<string>();
      for (const e of ends) {
        if (e.type !== 'ended') throw new Error(`unexpected reply ${e.type}`);
        membersCpuMs += e.cpuMs;
        for (const msg of e.errors) errors.add(msg);
      }
      const row: GrpcRound = {
        ...reply.result, n: sc.n, d: params, aggregation: r.aggregation, dropout, tolerance: r.tolerance, warmup: r.warmup ?? false, trainSeconds: r.trainSeconds ?? 0,
        memberHosts: p, membersCpuMs, memberErrors: [...errors].slice(0, 5),
      };
      out.push(row);
      log(`grpc n=${sc.n} d=${params} ${r.aggregation} drop=${dropout}${row.trainSeconds ? ` train=${row.trainSeconds}s` : ''}${row.warmup ? ' (warm-up)' : ''}: ${row.state} in ${(row.wallMs / 1000).toFixed(2)} s, coordinator CPU ${(row.cpuMs / 1000).toFixed(2)} s, peak RSS ${(row.peakRss / 2 ** 20).toFixed(0)} MiB (before ${(row.rssBefore / 2 ** 20).toFixed(0)}), members CPU ${(row.membersCpuMs / 1000).toFixed(2)} s in ${p} hosts${row.reason ? `, ${row.reason}` : ''}${row.memberErrors.length ? `, member errors: ${row.memberErrors.join('; ')}` : ''}`);
      // Let the coordinator see every reconnected member online before the next round.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return out;
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // After a failure the hosts' state is unknown: kill them rather than wait for them.
    await Promise.all(hosts.map((host) => host.close(failed ? 0 : 10_000)));
    admin.close();
    await child.close();
  }
}

/**
 * Local training time of the training-time rows: about one epoch over 5,000 rows of the d ≈ 10^5 MLP
 * with TF.js on this CPU (0.31-0.46 s per 2,000 rows measured), i.e. a small member's round.
 */
export const TRAIN_SECONDS = 1;

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
    { n: 100, d: 1e5, rounds: [...pair(true), ...pair(false), { aggregation: 'secure', dropout: 0.1 }, { aggregation: 'secure', dropout: 0.3 },
      { aggregation: 'secure', dropout: 0.3, tolerance: 0.3 },
      // Members that train for TRAIN_SECONDS on their own machines (a wait here): what of the secure stages hides behind it.
      { aggregation: 'plain', trainSeconds: TRAIN_SECONDS }, { aggregation: 'secure', trainSeconds: TRAIN_SECONDS },
      { aggregation: 'plain', trainSeconds: TRAIN_SECONDS }, { aggregation: 'secure', trainSeconds: TRAIN_SECONDS }] },
    { n: 500, d: 1e5, rounds: pair(false), stageTimeoutS: 600 },
    { n: 500, d: 1e6, rounds: [{ aggregation: 'secure' }, { aggregation: 'plain' }], stageTimeoutS: 600 },
  ];
}

/** `hosts` overrides every scenario's member-host count. */
export async function runGrpcBench(quick: boolean, log: (line: string) => void = console.error, only?: (sc: GrpcScenario) => boolean, hosts?: number): Promise<GrpcRound[]> {
  const rows: GrpcRound[] = [];
  for (const sc of grpcScenarios(quick).filter(only ?? (() => true))) rows.push(...await runScenario({ ...sc, hosts: hosts ?? sc.hosts }, log));
  return rows;
}

// CLI: `npx tsx src/bench/secagg-grpc.ts [--quick] [--n 100] [--d 100000] [--hosts 4] [--json path]` writes the rounds as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const args = process.argv.slice(2);
  const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const onlyN = flag('--n');
  const onlyD = flag('--d');
  const hosts = flag('--hosts');
  const only = onlyN || onlyD ? (sc: GrpcScenario) => (!onlyN || sc.n === Number(onlyN)) && (!onlyD || sc.d === Number(onlyD)) : undefined;
  const rows = await runGrpcBench(args.includes('--quick'), console.error, only, hosts ? Number(hosts) : undefined);
  const jsonAt = flag('--json');
  if (jsonAt) {
    mkdirSync(dirname(jsonAt), { recursive: true });
    writeFileSync(jsonAt, JSON.stringify(rows, null, 2));
  } else console.log(JSON.stringify(rows, null, 2));
}
