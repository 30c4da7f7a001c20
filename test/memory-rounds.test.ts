// Memory across rounds (issue 12): 100 small secure rounds leave the heap (after a full GC) and
// the number of open SQLite connections where they were after the first rounds.
import { readdirSync, readlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Open file descriptors of this process on `file` (Linux /proc); undefined elsewhere. */
function openHandles(file: string): number | undefined {
  try {
    return readdirSync('/proc/self/fd').filter((fd) => {
      try { return readlinkSync(`/proc/self/fd/${fd}`) === file; } catch { return false; }
    }).length;
  } catch {
    return undefined;
  }
}

describe('memory across rounds', () => {
  let fx: Fixture;
  const db = sqliteDatabase();
  beforeAll(async () => {
    fx = await startFixture({ databaseUrl: db.url, members: 3, customers: 600, seed: 5 });
  });
  afterAll(async () => { await fx?.close(); });

  it('does not grow with the number of rounds (heap after GC, SQLite connections)', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'memory', aggregation: 'secure', earlyStopping: false, train: { localEpochs: 1, batchSize: 64, learningRate: 0.05 },
    }));
    const file = db.url.slice('file:'.length);
    const samples: { round: number; heap: number; handles?: number }[] = [];
    let trained = 0;
    const reports = await fx.admin.runRounds(task.id, 100, 20, (r) => {
      if (r.purpose !== 'train' || ![20, 100].includes(++trained)) return;
      gc();
      samples.push({ round: trained, heap: process.memoryUsage().heapUsed, handles: openHandles(file) });
    });
    expect(reports.filter((r) => r.purpose === 'train' && r.state === 'published')).toHaveLength(100);
    const [early, late] = samples;
    // Bounded, not a timing: 80 more rounds may not keep more than 8 MB of live heap.
    expect(late.heap - early.heap).toBeLessThan(8 * 2 ** 20);
    // Each transaction used to keep its own SQLite connection open (two per round, the last 100
    // kept): +60 or more here. A transaction in flight when sampled may hold one or two.
    if (early.handles !== undefined) expect(late.handles).toBeLessThanOrEqual(early.handles + 4);
  }, 900_000);
});
