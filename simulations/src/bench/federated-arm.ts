// One federated arm of models-bench in its own process, so that its peak RSS is its alone: the
// whole federation (coordinator + one agent per member over loopback gRPC) at the task's settings.
// Forked by models-bench.ts with a JSON request file; writes a JSON result file next to it.
import { readFileSync, writeFileSync } from 'node:fs';
import type { TaskDefinitionInput } from '@consort/core';
import { runLocalFederation, stopLocalFederation } from '../scenario/local-federation.ts';

export interface ArmRequest {
  workDir: string;
  task: TaskDefinitionInput;
  members: { name: string; file: string }[];
  /** Training rounds at most; absent = the task's maxRounds (early stopping usually ends sooner). */
  rounds?: number;
  /** Where the result goes. */
  out: string;
}

export interface ArmResult {
  /** Training rounds that ran (published or not). */
  trainRounds: number;
  /** Version of the final model (the closing evaluation's) and whether early stopping ended training. */
  finalVersion: number;
  earlyStopped: boolean;
  seconds: number;
  /** Peak resident set size of this process, bytes (whole run, all members in-process). */
  peakRss: number;
  /** The exported final model file (spec, pipeline, weights). */
  modelFile: string;
}

async function main(): Promise<void> {
  const req = JSON.parse(readFileSync(process.argv[2], 'utf8')) as ArmRequest;
  const t0 = performance.now();
  const fed = await runLocalFederation({ workDir: req.workDir, memberFiles: req.members, task: req.task, rounds: req.rounds });
  try {
    const seconds = (performance.now() - t0) / 1000;
    if (!fed.modelFile) throw new Error(`${req.task.name}: no model was published (${fed.reports.map((r) => r.reason).filter(Boolean).join('; ')})`);
    const model = JSON.parse(readFileSync(fed.modelFile, 'utf8')) as { version: number };
    const stopped = await fed.coordinator.store.listAuditEvents({ subjectId: fed.taskId, kind: 'training.early_stopped' });
    const result: ArmResult = {
      trainRounds: fed.reports.filter((r) => r.purpose === 'train').length, finalVersion: model.version, earlyStopped: stopped.length > 0,
      seconds, peakRss: process.resourceUsage().maxRSS * 1024, modelFile: fed.modelFile,
    };
    writeFileSync(req.out, JSON.stringify(result));
  } finally {
    await stopLocalFederation(fed);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
