// Per-round CPU profiles for the gRPC benchmark: BENCH_ROUND_PROFILE=<dir> makes the coordinator child and
// every member host profile each round on its own (start at round start, write at round end), so that a
// profile shows one round's work rather than the whole process life (start-up, enrolment, other rounds).
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

const dir = process.env.BENCH_ROUND_PROFILE;
let session: Session | undefined;
let rounds = 0;

/** Starts profiling this process (no-op unless BENCH_ROUND_PROFILE is set). */
export async function startRoundProfile(): Promise<void> {
  if (!dir) return;
  if (!session) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  }
  await session.post('Profiler.start');
}

/** Stops profiling and writes `<dir>/<who>-round<i>.cpuprofile`. */
export async function stopRoundProfile(who: string): Promise<void> {
  if (!dir || !session) return;
  const { profile } = await session.post('Profiler.stop');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${who}-round${++rounds}.cpuprofile`), JSON.stringify(profile));
}
