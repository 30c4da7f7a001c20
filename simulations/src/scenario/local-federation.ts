// A whole federation on one machine: a coordinator plus member agents over loopback gRPC,
// each member with its own identity and its own CSV. Used by the demo and end-to-end tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { AdminClient, memberModelFile, renderRoundsReport, startCoordinator, type Coordinator } from '@consort/coordinator';
import { MemberAgent, enrollMember, type AgentLogger } from '@consort/client-sdk';
import type { TaskDefinitionInput } from '@consort/core';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';

export interface LocalFederationOptions {
  /** Working folder: database, identities, exported models. */
  workDir: string;
  /** One CSV per member (its own rows only). */
  memberFiles: { name: string; file: string }[];
  task: TaskDefinitionInput;
  /** Training rounds at most; default the task's maxRounds (early stopping usually ends sooner). */
  rounds?: number;
  databaseUrl?: string;
  /** Log level of the coordinator (default "warn": the demo prints its own table). */
  logLevel?: string;
  agentLogger?: AgentLogger;
  onReport?: (r: RoundReport__Output) => void;
}

export interface LocalFederationResult {
  coordinator: Coordinator;
  agents: MemberAgent[];
  federationId: string;
  taskId: string;
  reports: RoundReport__Output[];
  /** Member model file of the last published version (docs/model-file.md). */
  modelFile?: string;
  /** HTML page of the rounds and model versions. */
  reportFile: string;
  databaseUrl: string;
}

/** Starts everything, runs the rounds, exports the final model; the caller stops it with `stopLocalFederation`. */
export async function runLocalFederation(opts: LocalFederationOptions): Promise<LocalFederationResult> {
  const workDir = resolve(opts.workDir);
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const databaseUrl = opts.databaseUrl ?? `file:${join(workDir, 'consort.db')}`;
  const logger = pino({ level: opts.logLevel ?? 'warn', base: { svc: 'coordinator' } }, pino.destination(2));
  const coordinator = await startCoordinator({ dataDir: workDir, databaseUrl, port: 0, logger });
  const admin = new AdminClient(coordinator.adminAddress, coordinator.adminToken);
  const agents: MemberAgent[] = [];
  try {
    const federation = await admin.createFederation(`${opts.task.name} consortium ${new Date().toISOString()}`);
    const tokens = await admin.createEnrollmentTokens(federation.id, opts.memberFiles.length);
    for (const [i, m] of opts.memberFiles.entries()) {
      const memberDir = join(workDir, 'members', `member-${i + 1}`);
      const identity = await enrollMember(coordinator.address, tokens[i], m.name, join(memberDir, 'identity.json'));
      // A plain task is this run's own explicit choice: its members opt in to serving it.
      const agent = new MemberAgent({
        coordinator: coordinator.address, identity, dataFile: m.file, logger: opts.agentLogger, dataDir: memberDir, allowPlain: opts.task.aggregation === 'plain',
      });
      await agent.start();
      agents.push(agent);
    }
    const task = await admin.createTask(federation.id, opts.task);
    const reports = await admin.runRounds(task.id, opts.rounds ?? 0, 30, opts.onReport);
    // The final model: the one the closing evaluation measured (after an early stop, the best
    // one), else the newest released one (a training round's, or a segmentation profile's).
    const last = [...reports].reverse().find((r) => r.state === 'published' && r.modelVersionId);
    let modelFile: string | undefined;
    if (last) {
      // The same member model file the operator's export-model writes (docs/model-file.md).
      const built = await memberModelFile(coordinator.store, { modelVersionId: last.modelVersionId });
      modelFile = join(workDir, 'models', `${task.id}-v${built.file.version}.json`);
      mkdirSync(join(workDir, 'models'), { recursive: true });
      writeFileSync(modelFile, built.bytes);
    }
    const reportFile = join(workDir, 'report.html');
    writeFileSync(reportFile, await renderRoundsReport(coordinator.store, task.id), { mode: 0o600 });
    return { coordinator, agents, federationId: federation.id, taskId: task.id, reports, modelFile, reportFile, databaseUrl };
  } catch (err) {
    await stopLocalFederation({ coordinator, agents });
    throw err;
  } finally {
    admin.close();
  }
}

export async function stopLocalFederation(f: { coordinator: Coordinator; agents: MemberAgent[] }): Promise<void> {
  for (const a of f.agents) a.stop();
  await f.coordinator.close();
}
