// A coordinator process killed (SIGKILL) mid-round, then stopped cleanly (SIGTERM), each time
// restarted on the same port and SQLite file: the interrupted round is aborted, nothing is
// half-stored, and every member (agents in this process and a `consort-agent run` process)
// comes back by itself so that the next round publishes; the API and the dashboard show the
// aborted round and the clean ones after it.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AdminClient, issueApiToken, openStore } from '@consort/coordinator';
import { MemberAgent, enrollMember } from '@consort/client-sdk';
import { MisbehavingWork } from './support/misbehaving-work.ts';
import { generateConsortium, writeConsortium } from '@consort/simulations';
import { churnTask } from './support/federation-fixture.ts';
import { browserAvailable, launchBrowser } from './support/browser.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const TOKEN = 'restart-token';

interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnTs(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { process: child, output: () => out, exited };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startCoordinatorProcess(dir: string, databaseUrl: string, port: number): Promise<{ child: Child; address: string; adminAddress: string; httpUrl: () => string | undefined }> {
  const child = spawnTs(['coordinator/src/cli/main.ts', 'serve', '--port', String(port), '--admin-port', '0', '--http-address', '127.0.0.1:0', '--data-dir', dir, '--database-url', databaseUrl],
    { CONSORT_ADMIN_TOKEN: TOKEN, CONSORT_LOG_LEVEL: 'silent' });
  const [address, adminAddress] = await Promise.race([
    until('the coordinator to listen', () => {
      const m = /listening on (\S+) .*operator commands on ([^\s;]+)/.exec(child.output());
      return m ? [m[1], m[2]] : undefined;
    }),
    child.exited.then((code): never => { throw new Error(`coordinator exited early (${code}): ${child.output()}`); }),
  ]);
  return { child, address, adminAddress, httpUrl: () => /HTTP API on (\S+)/.exec(child.output())?.[1] };
}

describe('coordinator restarts', () => {
  const agents: MemberAgent[] = [];
  const children: Child[] = [];
  afterAll(async () => {
    for (const a of agents) a.stop();
    for (const c of children) if (c.process.exitCode === null) c.process.kill('SIGKILL');
  });

  it('members rejoin by themselves after a SIGKILL mid-round and after a clean SIGTERM; the next rounds publish', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consort-restart-'));
    const databaseUrl = `file:${join(dir, 'consort.db')}`;
    const first = await startCoordinatorProcess(dir, databaseUrl, 0);
    children.push(first.child);
    const address = first.address;
    const port = Number(address.split(':')[1]);
    const admin = new AdminClient(first.adminAddress, TOKEN);
    const fed = await admin.createFederation('restart');
    const tokens = await admin.createEnrollmentTokens(fed.id, 3);
    const files = writeConsortium(join(dir, 'data'), generateConsortium({ members: 3, seed: 3, totalCustomers: 900 })).filter((f) => f.endsWith('.csv'));

    // Two agents in this process hold the training round open until told to answer...
    let answerTraining = false;
    for (let i = 0; i < 2; i++) {
      const identity = await enrollMember(address, tokens[i], `Shop ${i}`);
      const agent = new MemberAgent({
        coordinator: address, identity, allowPlain: true, reconnectBaseMs: 200, reconnectCapMs: 1000,
        localWork: new MisbehavingWork(files[i], { takesPart: (o) => o.purpose !== 'train' || answerTraining }),
      });
      await agent.start();
      agents.push(agent);
    }
    // ...and one is a real `consort-agent run` process, as a member would start it.
    const identityPath = join(dir, 'member-2', 'identity.json');
    await enrollMember(address, tokens[2], 'Shop 2', identityPath);
    const member = spawnTs(['client-sdk/src/cli/main.ts', 'run', '--data', files[2], '--identity', identityPath, '--give-up-after', '10m']);
    children.push(member);
    const online = async (a: AdminClient) => (await a.listMembers(fed.id)).filter((m) => m.online).length === 3 || undefined;
    await until('three members online', () => online(admin));

    const task = await admin.createTask(fed.id, churnTask({ minMembers: 3, stageTimeoutSeconds: 120, aggregation: 'secure' }));
    const running = admin.runRounds(task.id, 1, 10).catch((err: Error) => err);
    // The training round waits in its first secure stage for the two silent members: kill the coordinator there.
    const observer = await openStore(databaseUrl);
    const interrupted = await until('the training round to wait for keys', async () =>
      (await observer.listRounds(task.id)).find((r) => r.number === 2 && r.state === 'advertise_keys')?.id);
    await until('the agent process to take part in it', () => /round 2 \(train, secure\) opened/.test(member.output()) || undefined);
    first.child.process.kill('SIGKILL');
    expect(await running).toBeInstanceOf(Error);
    admin.close();

    // Same port, same file: the members come back without anyone touching them.
    const second = await startCoordinatorProcess(dir, databaseUrl, port);
    children.push(second.child);
    const round = await observer.getRound(interrupted);
    expect(round.state).toBe('aborted');
    expect(round.reason).toMatch(/coordinator restarted mid-round/);
    expect((await observer.listModelVersions(task.id)).map((v) => v.version)).toEqual([0]);
    answerTraining = true;
    const admin2 = new AdminClient(second.adminAddress, TOKEN);
    await until('three members back online', () => online(admin2));
    const reports = await admin2.runRounds(task.id, 1, 30);
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['train:published', 'evaluate:published']);
    expect(reports[0].dropped).toEqual([]);
    // The HTTP API of the restarted coordinator shows the aborted round and the clean one after it.
    const { token } = await issueApiToken(observer, { name: 'restart-auditor', role: 'auditor', issuedBy: 'test' });
    const httpUrl = await until('the HTTP API address', second.httpUrl);
    const api = async (path: string) => {
      const res = await fetch(`${httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return res;
    };
    const listed = await (await api(`/api/v1/tasks/${task.id}/rounds`)).json() as { rounds: { roundId: string; number: number; state: string; reason: string | null }[] };
    expect(listed.rounds.find((r) => r.roundId === interrupted)).toMatchObject({ state: 'aborted', reason: expect.stringMatching(/coordinator restarted mid-round/) });
    expect(listed.rounds.filter((r) => r.number > 2).map((r) => r.state)).toEqual(['published', 'published']);
    const stream = await (await api(`/api/v1/tasks/${task.id}/events?follow=false`)).text();
    expect(stream).toContain(`"roundId":"${interrupted}","number":2,"kind":"round.aborted"`);
    // The dashboard shows the same to the auditor: the aborted round with its reason, the clean rounds after it.
    if (browserAvailable()) {
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        await page.goto(`${httpUrl}/dashboard/`);
        await page.locator('#token').fill(token);
        await page.locator('#login button[type=submit]').click();
        await page.locator('h1').first().waitFor();
        await page.goto(`${httpUrl}/dashboard/#/tasks/${task.id}`);
        // The page loads its data after login: allow for a loaded machine.
        await expect.poll(() => page.locator('#rounds tbody tr').count(), { timeout: 20_000 }).toBe(listed.rounds.length);
        const rows = await Promise.all((await page.locator('#rounds tbody tr').all()).map((tr) => tr.locator('td').allTextContents()));
        const byNumber = new Map(rows.map((cells) => [Number(cells[0]), cells]));
        expect(byNumber.get(2)?.[2]).toBe('aborted');
        expect(byNumber.get(2)?.at(-1)).toMatch(/coordinator restarted mid-round/);
        expect([3, 4].map((n) => byNumber.get(n)?.[2])).toEqual(['published', 'published']);
      } finally {
        await browser.close();
      }
    }

    // A clean stop (SIGTERM) and a restart: the same again.
    second.child.process.kill('SIGTERM');
    expect(await second.child.exited).toBe(0);
    admin2.close();
    const third = await startCoordinatorProcess(dir, databaseUrl, port);
    children.push(third.child);
    const admin3 = new AdminClient(third.adminAddress, TOKEN);
    await until('three members online after a clean restart', () => online(admin3));
    const again = await admin3.runRounds(task.id, 1, 30);
    expect(again.map((r) => `${r.purpose}:${r.state}`)).toEqual(['train:published', 'evaluate:published']);
    expect((await observer.listModelVersions(task.id)).map((v) => v.version)).toEqual([0, 1, 2]);
    admin3.close();
    await observer.close();

    // The agent process never exited: it said it was reconnecting, and that it was back.
    expect(member.process.exitCode).toBeNull();
    const log = member.output();
    expect(log).toMatch(/reconnecting in \d+\.\d s \(attempt 1; giving up at \d{4}-\d\d-\d\dT/);
    expect(log).toMatch(/reconnected to 127\.0\.0\.1:\d+ after \d+\.\d s; resuming at the next round/);
    expect(log).toMatch(/round 2 \(train, secure\) abandoned: the connection was lost/);
    expect(log).toMatch(/round \d+ \(train, secure\) aggregated: new model \S+; train loss \d\.\d{4} over [\d,]+ rows of 3 members/);
    expect(log).not.toMatch(/\[object Object\]|^\{/m);
    // SIGTERM is a supervisor's ordinary stop.
    member.process.kill('SIGTERM');
    expect(await member.exited).toBe(0);
    third.child.process.kill('SIGTERM');
    expect(await third.child.exited).toBe(0);
  }, 240_000);
});
