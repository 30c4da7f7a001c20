// The benchmark's coordinator in its own process, so that its peak RSS and CPU time are its alone.
// Driven over IPC by secagg-grpc.ts: fit a task's preprocessing directly, run one training round, report.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startCoordinator } from '@consort/coordinator';
import { localFeatureStats, pipelineFromStats } from '@consort/core';
import { churnTaskSchema } from '../generator/schema.ts';
import { startRoundProfile, stopRoundProfile } from './round-profiler.ts';

export type ChildRequest =
  | { cmd: 'fit'; taskId: string }
  | { cmd: 'round'; taskId: string }
  | { cmd: 'close' };

export interface RoundResult {
  state: string;
  reason?: string;
  participants: number;
  dropped: number;
  wallMs: number;
  /** CPU time (user + system) the coordinator process spent during the round. */
  cpuMs: number;
  /** Peak RSS during the round (VmHWM after resetting it just before the round), bytes. */
  peakRss: number;
  /** RSS before the round, bytes. */
  rssBefore: number;
  /** Secure rounds: seconds each stage waited for its members (the round's own metrics). */
  stageSeconds?: Record<string, number>;
}

export type ChildReply =
  | { type: 'ready'; address: string; adminAddress: string; adminToken: string; rss: number }
  | { type: 'fitted' }
  | { type: 'round'; result: RoundResult }
  | { type: 'error'; message: string };

function statusKb(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Writing 5 to clear_refs resets VmHWM (Linux), so each round's peak is measured on its own. */
function resetPeak(): void {
  try { writeFileSync('/proc/self/clear_refs', '5'); } catch { /* peak then covers the whole process life */ }
}

const reply = (m: ChildReply) => process.send!(m);

const dataDir = mkdtempSync(join(tmpdir(), 'consort-bench-'));
const coordinator = await startCoordinator({
  dataDir, databaseUrl: `file:${join(dataDir, 'consort.db')}`, port: 0, adminToken: 'bench-operator', logger: pino({ level: 'silent' }),
});
reply({ type: 'ready', address: coordinator.address, adminAddress: coordinator.adminAddress, adminToken: coordinator.adminToken, rss: statusKb('VmRSS') });

// The parent died without a 'close' (e.g. killed): do not outlive it.
process.on('disconnect', () => {
  void coordinator.close().finally(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(1);
  });
});

process.on('message', (msg: ChildRequest) => {
  void (async () => {
    try {
      if (msg.cmd === 'fit') {
        // Stands in for the statistics round (not what is measured): preprocessing fitted from
        // two synthetic rows, stored the way a statistics round stores it.
        const s = churnTaskSchema();
        const schema = { numeric: s.numeric, categorical: s.categorical, label: s.label, positiveLabel: s.positiveLabel, protected: s.protected };
        const rows = [1, 2].map((v) => Object.fromEntries([...s.numeric.map((c) => [c, String(v)]), ...Object.entries(s.vocabularies).map(([c, voc]) => [c, voc[v % voc.length]]), [s.label, String(v % 2)]]));
        const stats = localFeatureStats(schema, s.vocabularies, rows);
        await coordinator.store.updateTaskPipeline(msg.taskId, pipelineFromStats(schema, s.vocabularies, stats, 'binary'));
        reply({ type: 'fitted' });
      } else if (msg.cmd === 'round') {
        const task = await coordinator.store.getTask(msg.taskId);
        global.gc?.();
        const rssBefore = statusKb('VmRSS');
        resetPeak();
        await startRoundProfile();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const report = await coordinator.rounds.runRound(task, 'train', { waitForMembersMs: 5_000 });
        const wallMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        await stopRoundProfile('coordinator');
        reply({
          type: 'round',
          result: {
            state: report.state, reason: report.reason, participants: report.metrics?.participants ?? 0, dropped: report.dropped.length,
            wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRss: statusKb('VmHWM'), rssBefore, stageSeconds: report.metrics?.stageSeconds,
          },
        });
      } else {
        await coordinator.close();
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      }
    } catch (err) {
      reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
