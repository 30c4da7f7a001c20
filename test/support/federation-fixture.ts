// A coordinator plus enrolled member agents on generated data, for end-to-end tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AdminClient, startCoordinator, type Coordinator } from '@consort/coordinator';
import { MemberAgent, enrollMember, type MemberAgentOptions } from '@consort/client-sdk';
import { churnTaskSchema, generateConsortium, writeConsortium } from '@consort/simulations';
import type { TaskDefinitionInput } from '@consort/core';
import { MisbehavingWork, type Misbehaviour } from './misbehaving-work.ts';

export interface Fixture {
  coordinator: Coordinator;
  admin: AdminClient;
  federationId: string;
  agents: MemberAgent[];
  files: string[];
  workDir: string;
  close(): Promise<void>;
}

export interface FixtureOptions {
  databaseUrl: string;
  members: number;
  customers?: number;
  seed?: number;
  /** Receives every coordinator log line (debug level) when given. */
  logSink?: (line: string) => void;
  /**
   * Extra agent options per member index, and how that member misbehaves (its local work, see
   * misbehaving-work.ts). Agents serve plain rounds (allowPlain) unless a hook says otherwise.
   */
  hooks?: (index: number, dataFile: string) => Partial<MemberAgentOptions> & { misbehave?: Misbehaviour };
}

export async function startFixture(o: FixtureOptions): Promise<Fixture> {
  const workDir = mkdtempSync(join(tmpdir(), 'consort-fixture-'));
  const datasets = generateConsortium({ members: o.members, seed: o.seed ?? 11, totalCustomers: o.customers ?? 2500 });
  const files = writeConsortium(join(workDir, 'data'), datasets).filter((f) => f.endsWith('.csv'));
  const logger = o.logSink
    ? pino({ level: 'debug' }, { write: (line: string) => o.logSink!(line) })
    : pino({ level: process.env.CONSORT_TEST_LOG ?? 'silent' });
  const coordinator = await startCoordinator({ dataDir: workDir, databaseUrl: o.databaseUrl, port: 0, logger, adminToken: 'test-operator-token' });
  const admin = new AdminClient(coordinator.adminAddress, coordinator.adminToken);
  const federation = await admin.createFederation(`fixture ${workDir}`);
  const tokens = await admin.createEnrollmentTokens(federation.id, o.members);
  const agents: MemberAgent[] = [];
  for (let i = 0; i < o.members; i++) {
    const identity = await enrollMember(coordinator.address, tokens[i], datasets[i].name);
    const { misbehave, ...options } = o.hooks?.(i, files[i]) ?? {};
    const localWork = misbehave ? new MisbehavingWork(files[i], misbehave) : undefined;
    // Test consortia have 3 to 5 members: audits there release cells of 3 members (the agent's floor is 5 unless its operator lowers it).
    const agent = new MemberAgent({ coordinator: coordinator.address, identity, dataFile: files[i], localWork, allowPlain: true, auditFloors: { minMembers: 3 }, ...options });
    await agent.start();
    agents.push(agent);
  }
  return {
    coordinator, admin, federationId: federation.id, agents, files, workDir,
    async close() {
      for (const a of agents) a.stop();
      admin.close();
      await coordinator.close();
    },
  };
}

/** The synthetic churn task, small and quick, with overrides. */
export function churnTask(overrides: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput {
  const s = churnTaskSchema();
  return {
    name: 'churn-e2e', label: s.label, positiveLabel: s.positiveLabel, numeric: s.numeric, categorical: s.vocabularies,
    protected: s.protected, model: { kind: 'logistic', task: 'binary' },
    train: { localEpochs: 3, batchSize: 32, learningRate: 0.1 }, minMembers: 3, stageTimeoutSeconds: 20, aggregation: 'plain',
    ...overrides,
  };
}
