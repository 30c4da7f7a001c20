// The README's "Running a real federation" as a person follows it: every command its own process in
// its own folder (an operator, five member businesses), the example task file as shipped, and the
// member's steps from enroll to score. If the README's commands stop working, this test fails.
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT, runCli, startCli, until, type CliResult, type CliRun } from './support/cli.ts';
import { freePort } from './support/ports.ts';

const MEMBERS = 5; // examples/churn-task.yaml asks for at least 5 members per round


/** A command that must succeed: its stderr is in the failure message when it does not. */
function ok(r: CliResult, what: string): CliResult {
  expect(r.code, `${what} failed:\n${r.stderr}${r.stdout}`).toBe(0);
  expect(`${r.stdout}${r.stderr}`).not.toContain('[object Object]');
  return r;
}

describe('the README\'s real federation, followed step by step', () => {
  const running: CliRun[] = [];
  afterAll(async () => {
    for (const p of running) p.child.kill('SIGTERM');
    await Promise.all(running.map((p) => p.done.catch(() => undefined)));
  });

  it('operator and members go from serve to scored customers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'consort-readme-'));
    const operator = join(root, 'operator');
    mkdirSync(operator);
    const port = await freePort();
    const adminPort = await freePort();
    const address = `127.0.0.1:${port}`;
    // Operator commands reach the operator listener (loopback), never the member port.
    const opEnv = { CONSORT_ADMIN_ADDRESS: `127.0.0.1:${adminPort}` };

    // Operator: serve (SQLite in ./.consort), then the federation, its tokens and the task.
    const serve = startCli(CLI.coordinator, ['serve', '--port', String(port), '--admin-port', String(adminPort)], { cwd: operator });
    running.push(serve);
    await until(() => serve.output.stdout.includes('coordinator listening') || serve.child.exitCode !== null);
    expect(serve.output.stdout, serve.output.stderr).toContain(`coordinator listening on ${address}`);
    const created = await runCli(CLI.coordinator, ['create-federation', 'Northside franchise', '--json'], { cwd: operator, env: opEnv });
    const fed = JSON.parse(ok(created, 'create-federation').stdout) as { id: string };
    const tokens = JSON.parse(ok(await runCli(CLI.coordinator, ['create-tokens', '--federation', fed.id, '--count', String(MEMBERS), '--json'], { cwd: operator, env: opEnv }), 'create-tokens').stdout) as { tokens: string[] };
    expect(tokens.tokens).toHaveLength(MEMBERS);
    copyFileSync(join(REPO_ROOT, 'examples/churn-task.yaml'), join(operator, 'churn-task.yaml'));
    const task = JSON.parse(ok(await runCli(CLI.coordinator, ['create-task', '--federation', fed.id, '--file', 'churn-task.yaml', '--json'], { cwd: operator, env: opEnv }), 'create-task').stdout) as { id: string };

    // Five businesses' own exports (generated), each in its own folder.
    ok(await runCli(CLI.generate, ['--members', String(MEMBERS), '--customers', '10000', '--out', 'exports'], { cwd: root }), 'generate');
    const members = Array.from({ length: MEMBERS }, (_, i) => {
      const dir = join(root, `member-${i + 1}`);
      mkdirSync(dir);
      copyFileSync(join(root, 'exports', `member-0${i + 1}.csv`), join(dir, 'crm-export.csv'));
      copyFileSync(join(REPO_ROOT, 'examples/churn-task.yaml'), join(dir, 'churn-task.yaml'));
      writeFileSync(join(dir, 'my-mapping.yaml'), 'source: { path: crm-export.csv }\nid: customer_id\n');
      return dir;
    });
    // Each member: enroll, validate, prepare (in parallel, as separate businesses would).
    await Promise.all(members.map(async (dir, i) => {
      const enroll = ok(await runCli(CLI.agent, ['enroll', '--coordinator', address, '--token', tokens.tokens[i], '--name', `Shop ${i + 1}`], { cwd: dir }), 'enroll');
      expect(enroll.stdout).toMatch(/^enrolled as member \S+ of federation \S+; identity saved to \.consort-member\/identity\.json/);
      const validate = ok(await runCli(CLI.agent, ['validate', '--mapping', 'my-mapping.yaml', '--task', 'churn-task.yaml', '--html', 'validation.html'], { cwd: dir }), 'validate');
      expect(validate.stdout).toMatch(/OK: no errors/);
      ok(await runCli(CLI.agent, ['prepare', '--mapping', 'my-mapping.yaml', '--task', 'churn-task.yaml', '--out', 'my-customers.csv'], { cwd: dir }), 'prepare');
      expect(existsSync(join(dir, 'validation.html')) && existsSync(join(dir, 'my-customers.csv'))).toBe(true);
    }));
    // Each member runs its agent; it stays up until stopped.
    const agents = members.map((dir) => startCli(CLI.agent, ['run', '--data', './my-customers.csv'], { cwd: dir }));
    running.push(...agents);

    // Operator: run the rounds (it waits for the members), then export the published model.
    const run = ok(await runCli(CLI.coordinator, ['run', '--task', task.id, '--rounds', '2'], { cwd: operator, env: opEnv }), 'run');
    expect(run.stdout).toMatch(/round 1 statistics published/);
    expect(run.stdout).toMatch(/round \d+ train published: 5 members, train loss \d/);
    ok(await runCli(CLI.coordinator, ['export-model', '--task', task.id, '--out', 'model.json'], { cwd: operator, env: opEnv }), 'export-model');

    // Member 1: pull the model, score its own customers with it.
    const m1 = members[0];
    ok(await runCli(CLI.agent, ['pull-model', '--task', task.id, '--out', 'model.json'], { cwd: m1 }), 'pull-model');
    expect(readFileSync(join(m1, 'model.json'))).toEqual(readFileSync(join(operator, 'model.json')));
    const score = ok(await runCli(CLI.agent, ['score', '--model', 'model.json', '--data', './my-customers.csv', '--out', 'scored.csv'], { cwd: m1 }), 'score');
    expect(score.stdout).toMatch(/^scored \d+ rows/);
    const scored = readFileSync(join(m1, 'scored.csv'), 'utf8').trim().split('\n');
    expect(scored[0]).toMatch(/^customer_id,/);
    expect(scored.length).toBe(readFileSync(join(m1, 'my-customers.csv'), 'utf8').trim().split('\n').length);
    // The running agent kept the version it helped train, identical to the export.
    await until(() => existsSync(join(m1, '.consort-member', 'models', task.id, 'latest.json')));
    expect(JSON.parse(readFileSync(join(m1, '.consort-member', 'models', task.id, 'latest.json'), 'utf8')).sha256)
      .toBe(JSON.parse(readFileSync(join(operator, 'model.json'), 'utf8')).sha256);
    // Drift check: the operator measures version 1 on the members' current data; no new version.
    const evaluated = ok(await runCli(CLI.coordinator, ['evaluate', '--task', task.id, '--version', '1'], { cwd: operator, env: opEnv }), 'evaluate');
    expect(evaluated.stdout).toMatch(/round \d+ evaluate published: 5 members, .*held-out loss \d/);
    expect(evaluated.stdout).toMatch(/evaluated model \S+ on \d+ held-out rows of 5 members; stored with that version \(no new model\)/);
    const missing = await runCli(CLI.coordinator, ['evaluate', '--task', task.id, '--version', '99'], { cwd: operator, env: opEnv });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/NOT_FOUND: task \S+ has no model version 99/);
    // Agents are still up (they serve until stopped) and log one text line per event.
    for (const a of agents) expect(a.child.exitCode).toBeNull();
    expect(agents[0].output.stdout).toMatch(/round \d+ \(train, secure\) aggregated: new model/);
  }, 420_000);
});
