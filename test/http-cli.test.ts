// The operator CLI over the HTTP API, end to end: accounts made on the coordinator's machine, then
// create a federation, invite, define a task, run it with real member agents, export the model,
// the ONNX graph, audits and refusals, each as a person types them (--api / CONSORT_API).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startCoordinator, type Coordinator } from '@consort/coordinator';
import { MemberAgent, enrollMember, exportModelFile } from '@consort/client-sdk';
import { generateConsortium, writeConsortium } from '@consort/simulations';
import { CLI, runCli } from './support/cli.ts';
import { churnTask } from './support/federation-fixture.ts';

const MEMBERS = 3;

describe('operator CLI over the HTTP API', () => {
  let dir: string;
  let coordinator: Coordinator;
  const agents: MemberAgent[] = [];
  let env: Record<string, string>;

  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(CLI.coordinator, args, { cwd: dir, env: { ...env, ...extraEnv } });
  const ok = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const r = await cli(args, extraEnv);
    expect(r.code, `${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
    return r;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'consort-http-cli-'));
    coordinator = await startCoordinator({
      dataDir: join(dir, '.consort'), port: 0, logger: pino({ level: process.env.CONSORT_TEST_LOG ?? 'silent' }), adminToken: 'unused-grpc-token',
    });
    env = { CONSORT_API: coordinator.httpUrl! };
  });

  afterAll(async () => {
    for (const a of agents) a.stop();
    await coordinator?.close();
  });

  it('runs the operator flow over the API, with accounts and refusals', async () => {
    expect(coordinator.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Accounts are made on the coordinator's machine (its database), no token needed.
    const op = JSON.parse((await ok(['api-token', 'create', '--role', 'operator', '--name', 'olga', '--expires', '30d', '--json'])).stdout) as { token: string };
    const auditor = JSON.parse((await ok(['api-token', 'create', '--role', 'auditor', '--name', 'alice', '--json'])).stdout) as { token: string; account: { id: string } };
    const asOperator = { CONSORT_API_TOKEN: op.token };

    const noToken = await cli(['federations']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^INVALID_ARGUMENT: no API token for http:\/\/127\.0\.0\.1:\d+: pass --token or set CONSORT_API_TOKEN/);
    const badToken = await cli(['federations', '--token', 'cst_wrong']);
    expect(badToken.code).toBe(5);
    expect(badToken.stderr).toMatch(/^API_TOKEN_INVALID: the API token is not one this coordinator issued/);

    const fed = JSON.parse((await ok(['create-federation', 'west', '--json'], asOperator)).stdout) as { id: string };
    const refused = await cli(['create-federation', 'nope', '--token', auditor.token]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/^UNAUTHORIZED: the auditor role may not create a federation/);

    const { tokens } = JSON.parse((await ok(['create-tokens', '--federation', fed.id, '--count', String(MEMBERS), '--json'], asOperator)).stdout) as { tokens: string[] };
    expect(tokens).toHaveLength(MEMBERS);
    const datasets = generateConsortium({ members: MEMBERS, seed: 5, totalCustomers: 1500 });
    const files = writeConsortium(join(dir, 'data'), datasets).filter((f) => f.endsWith('.csv'));
    for (let i = 0; i < MEMBERS; i++) {
      const identity = await enrollMember(coordinator.address, tokens[i], datasets[i].name);
      const agent = new MemberAgent({ coordinator: coordinator.address, identity, dataFile: files[i], allowPlain: true });
      await agent.start();
      agents.push(agent);
    }
    writeFileSync(join(dir, 'task.json'), JSON.stringify(churnTask({ earlyStopping: false } as never)));
    const task = JSON.parse((await ok(['create-task', '--federation', fed.id, '--file', 'task.json', '--json'], asOperator)).stdout) as { id: string; parameterCount: number };
    expect(task.parameterCount).toBeGreaterThan(0);
    const members = JSON.parse((await ok(['members', '--federation', fed.id, '--json'], asOperator)).stdout) as { members: { online: boolean }[] };
    expect(members.members.filter((m) => m.online)).toHaveLength(MEMBERS);

    const run = await ok(['run', '--task', task.id, '--rounds', '2', '--wait', '30', '--json'], asOperator);
    const result = JSON.parse(run.stdout) as { modelVersionId: string | null; rounds: { state: string; purpose: string }[] };
    expect(result.modelVersionId).toBeTruthy();
    expect(result.rounds.filter((r) => r.purpose === 'train' && r.state === 'published')).toHaveLength(2);

    const text = await ok(['rounds', '--task', task.id], asOperator);
    expect(text.stdout).toMatch(/round 1 {2}published/);
    const watched = await ok(['watch', '--task', task.id, '--until-run-ends'], asOperator);
    expect(watched.stdout).toMatch(/round \d+ {2}published +survivors 3\/3/);
    expect(watched.stdout).toMatch(/run finished/);

    const exported = JSON.parse((await ok(['export-model', '--task', task.id, '--out', 'model.json', '--json'], asOperator)).stdout) as { version: number };
    expect(exported.version).toBeGreaterThan(0);
    const file = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelVersionId: string; version: number };
    expect(file.version).toBe(exported.version);
    const onnx = await fetch(`${coordinator.httpUrl}/api/v1/models/${file.modelVersionId}/onnx`, { headers: { authorization: `Bearer ${op.token}` } });
    expect(onnx.status).toBe(200);
    expect(onnx.headers.get('content-type')).toBe('application/octet-stream');
    // The same graph a member's `consort-agent export-onnx` writes from the model file, byte for byte.
    await exportModelFile(join(dir, 'model.json'), join(dir, 'member.onnx'));
    expect(Buffer.from(await onnx.arrayBuffer()).equals(readFileSync(join(dir, 'member.onnx')))).toBe(true);

    const audit = await cli(['show-audit', '--report', 'r-1', '--token', auditor.token]);
    expect(audit.code).toBe(2);
    expect(audit.stderr).toMatch(/^NO_AUDIT_REPORT: no audit report r-1/);
    // The auditor reads round metadata and the log, not members.
    const auditorRounds = await cli(['rounds', '--task', task.id, '--json', '--token', auditor.token]);
    expect(auditorRounds.code).toBe(0);
    expect((await cli(['members', '--federation', fed.id, '--token', auditor.token])).code).toBe(5);

    await ok(['api-token', 'revoke', '--id', auditor.account.id]);
    const revoked = await cli(['rounds', '--task', task.id, '--token', auditor.token]);
    expect(revoked.code).toBe(5);
    expect(revoked.stderr).toMatch(/^API_TOKEN_INVALID: the API token of alice was revoked/);
    const list = JSON.parse((await ok(['api-token', 'list', '--json'])).stdout) as { accounts: { name: string; revokedAt: string | null }[] };
    expect(list.accounts.map((a) => [a.name, a.revokedAt !== null])).toEqual([['olga', false], ['alice', true]]);
    expect(JSON.stringify(list)).not.toContain(op.token);
  }, 240_000);

  it('explains the HTTP-only commands and the api-token options in --help', async () => {
    const help = await ok(['api-token', 'create', '--help']);
    expect(help.stdout).toMatch(/--role <role>\s+one of operator, auditor, member-contact/);
    const watch = await cli(['watch', '--task', 't'], { CONSORT_API: '' });
    expect(watch.code).toBe(2);
    expect(watch.stderr).toMatch(/^INVALID_ARGUMENT: watch works over the HTTP API: pass --api <url>/);
  });
});
