// A coordinator killed (SIGKILL) mid-round: on restart the round is aborted, nothing half-stored,
// and a fresh round completes with the same members.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { AdminClient, openStore, startCoordinator, type Coordinator } from '@consort/coordinator';
import { MemberAgent, enrollMember } from '@consort/client-sdk';
import { generateConsortium, writeConsortium } from '@consort/simulations';
import { churnTask } from './support/federation-fixture.ts';

const repoRoot = resolve(import.meta.dirname, '..');

function startChildCoordinator(dataDir: string, databaseUrl: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'coordinator/src/cli/main.ts', 'serve', '--port', '0', '--data-dir', dataDir, '--database-url', databaseUrl], {
    cwd: repoRoot, env: { ...process.env, CONSORT_ADMIN_TOKEN: 'restart-token', CONSORT_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolvePromise({ child, address: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`coordinator exited early (${code}): ${out}`)));
  });
}

describe('coordinator killed mid-round', () => {
  const agents: MemberAgent[] = [];
  let restarted: Coordinator | undefined;
  afterAll(async () => {
    for (const a of agents) a.stop();
    await restarted?.close();
  });

  it('aborts the interrupted round on restart and runs a fresh one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consort-restart-'));
    const databaseUrl = `file:${join(dir, 'consort.db')}`;
    const { child, address } = await startChildCoordinator(dir, databaseUrl);
    const admin = new AdminClient(address, 'restart-token');
    const fed = await admin.createFederation('restart');
    const tokens = await admin.createEnrollmentTokens(fed.id, 2);
    const files = writeConsortium(join(dir, 'data'), generateConsortium({ members: 2, seed: 3, totalCustomers: 800 })).filter((f) => f.endsWith('.csv'));
    let answerTraining = false;
    for (let i = 0; i < 2; i++) {
      const identity = await enrollMember(address, tokens[i], `Shop ${i}`);
      const agent = new MemberAgent({ coordinator: address, identity, dataFile: files[i], allowPlain: true, onRoundOpen: (o) => o.purpose !== 'train' || answerTraining });
      await agent.start();
      agents.push(agent);
    }
    const task = await admin.createTask(fed.id, churnTask({ minMembers: 2, stageTimeoutSeconds: 120 }));
    const running = admin.runRounds(task.id, 1, 10).catch((err: Error) => err);

    // Wait until the training round sits in its input stage, then kill the process outright.
    const observer = await openStore(databaseUrl);
    let interrupted: string | undefined;
    for (let i = 0; i < 200 && !interrupted; i++) {
      const rounds = await observer.listRounds(task.id);
      interrupted = rounds.find((r) => r.number === 2 && r.state === 'masked_input')?.id;
      if (!interrupted) await new Promise((r) => setTimeout(r, 100));
    }
    expect(interrupted).toBeDefined();
    child.kill('SIGKILL');
    expect(await running).toBeInstanceOf(Error);
    admin.close();

    // Restart on the same database and the same port: members reconnect by themselves.
    restarted = await startCoordinator({ dataDir: dir, databaseUrl, host: '127.0.0.1', port: Number(address.split(':')[1]), adminToken: 'restart-token', logger: pino({ level: 'silent' }) });
    const round = await restarted.store.getRound(interrupted!);
    expect(round.state).toBe('aborted');
    expect(round.reason).toMatch(/coordinator restarted mid-round/);
    expect((await restarted.store.listModelVersions(task.id)).map((v) => v.version)).toEqual([0]);

    answerTraining = true;
    for (let i = 0; i < 100 && restarted.connections.online(fed.id).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const admin2 = new AdminClient(restarted.address, 'restart-token');
    const reports = await admin2.runRounds(task.id, 1, 20);
    admin2.close();
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['train:published', 'evaluate:published']);
    expect((await restarted.store.listModelVersions(task.id)).map((v) => v.version)).toEqual([0, 1]);
    await observer.close();
  });
});
