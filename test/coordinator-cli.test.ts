// consort-coordinator as an operator runs it: separate processes, the exact stderr line and exit code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';
import { CLI, REPO_ROOT, runCli, startCli, until } from './support/cli.ts';
import { freePort } from './support/ports.ts';

const folder = () => mkdtempSync(join(tmpdir(), 'consort-cli-'));


describe('consort-coordinator command line', () => {
  let fx: Fixture;
  let silent = false;
  let env: Record<string, string>;

  beforeAll(async () => {
    // Members that stay connected but never answer while `silent`: a round then waits in its input stage.
    fx = await startFixture({ databaseUrl: sqliteDatabase().url, members: 3, customers: 600, hooks: () => ({ misbehave: { takesPart: () => !silent } }) });
    env = { CONSORT_ADMIN_ADDRESS: fx.coordinator.adminAddress, CONSORT_ADMIN_TOKEN: fx.coordinator.adminToken };
  });

  afterAll(async () => { await fx?.close(); });

  // The parsers themselves are unit-tested in core (option-values.test.ts): here, that every command uses them.
  it('refuses malformed options with the option named (exit 2), prints its version', async () => {
    const cwd = folder();
    const cases: [string[], string][] = [
      [['create-tokens', '--federation', 'f', '--count', 'abc'], 'INVALID_ARGUMENT: --count must be a whole number from 1 to 1000 (got "abc")'],
      [['serve', '--port', 'abc'], 'INVALID_ARGUMENT: --port must be a whole number from 0 to 65535 (got "abc")'],
      [['run', '--task', 't', '--wait', 'abc'], 'INVALID_ARGUMENT: --wait must be a whole number from 1 to 86400 (got "abc")'],
      [['run'], 'INVALID_ARGUMENT: required option \'--task <id>\' not specified; see --help'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(CLI.coordinator, args, { cwd })));
    for (const [i, r] of results.entries()) {
      expect({ args: cases[i][0], stderr: r.stderr, code: r.code }).toEqual({ args: cases[i][0], stderr: `${cases[i][1]}\n`, code: 2 });
    }
    expect(readdirSync(cwd)).toEqual([]);
    const version = await runCli(CLI.coordinator, ['--version'], { cwd });
    expect(version).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  }, 120_000);

  it('serve on a taken port fails before creating a database or token; report never creates a database', async () => {
    const cwd = folder();
    const port = fx.coordinator.address.split(':').pop()!;
    const serve = await runCli(CLI.coordinator, ['serve', '--port', port, '--data-dir', 'data'], { cwd });
    expect(serve.stderr).toBe(`UNAVAILABLE: port ${port} is taken on 127.0.0.1: stop the program using it or pass another --port\n`);
    expect(serve.code).toBe(4);
    const report = await runCli(CLI.coordinator, ['report', '--task', 't'], { cwd });
    expect(report.stderr).toBe(`NOT_FOUND: no coordinator database at ${join(cwd, '.consort', 'consort.db')}; run report in the folder where serve ran, or pass --data-dir / --database-url\n`);
    expect(report.code).toBe(2);
    expect(readdirSync(cwd)).toEqual([]);
  }, 120_000);

  it('says what to do when the coordinator is unreachable (exit 4), the token is missing, or the task file is empty', async () => {
    const cwd = folder();
    writeFileSync(join(cwd, 'empty.yaml'), '\n');
    writeFileSync(join(cwd, 'list.yaml'), '- churned\n');
    const port = await freePort();
    const [unreachable, noToken, empty, list, missing] = await Promise.all([
      runCli(CLI.coordinator, ['federations', '--token', 't', '--coordinator', `127.0.0.1:${port}`], { cwd }),
      runCli(CLI.coordinator, ['federations'], { cwd }),
      runCli(CLI.coordinator, ['create-task', '--federation', fx.federationId, '--file', 'empty.yaml'], { cwd, env }),
      runCli(CLI.coordinator, ['create-task', '--federation', fx.federationId, '--file', 'list.yaml'], { cwd, env }),
      runCli(CLI.coordinator, ['create-task', '--federation', fx.federationId, '--file', 'nope.yaml'], { cwd, env }),
    ]);
    expect(unreachable.stderr).toMatch(new RegExp(`^UNAVAILABLE: cannot reach the coordinator \\(.*127\\.0\\.0\\.1:${port}.*\\); check the address \\(--coordinator or CONSORT_COORDINATOR\\) and that the coordinator is running\\n$`));
    expect(unreachable.code).toBe(4);
    expect(noToken.stderr).toBe(`INVALID_ARGUMENT: no operator token: ${join(cwd, '.consort', 'admin-token')} does not exist; pass --token, set CONSORT_ADMIN_TOKEN, or --data-dir <the coordinator's data folder>\n`);
    expect(noToken.code).toBe(2);
    expect(empty.stderr).toBe('INVALID_ARGUMENT: task file empty.yaml is empty; write the task\'s settings in it (see docs/task-definition.md)\n');
    expect(empty.code).toBe(2);
    expect(list.stderr).toBe('INVALID_ARGUMENT: task file list.yaml is not a mapping of settings (it holds a list); write "name: …", "label: …" and so on (see docs/task-definition.md)\n');
    expect(list.code).toBe(2);
    expect(missing.stderr).toBe('FILE_UNREADABLE: no such file nope.yaml; check the path (relative paths are read from your current folder)\n');
    expect(missing.code).toBe(3);
  }, 120_000);

  it('lists federations, tasks, rounds and members as JSON, and answers an unknown id with a JSON error', async () => {
    const cwd = folder();
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'listed' }));
    const json = async (args: string[]) => {
      const r = await runCli(CLI.coordinator, [...args, '--json'], { cwd, env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as Record<string, Record<string, unknown>[]>;
    };
    const [federations, tasks, rounds, members] = await Promise.all([
      json(['federations']), json(['tasks', '--federation', fx.federationId]), json(['rounds', '--task', task.id]), json(['members', '--federation', fx.federationId]),
    ]);
    expect(federations.federations.find((f) => f.id === fx.federationId)).toMatchObject({ members: 3 });
    expect(tasks.tasks.find((t) => t.id === task.id)).toMatchObject({ name: 'listed', kind: 'logistic', minMembers: 3, rounds: 0 });
    expect(rounds.rounds).toEqual([]);
    expect(members.members.map((m) => m.online)).toEqual([true, true, true]);
    const unknown = await runCli(CLI.coordinator, ['rounds', '--task', 'no-such-task', '--json'], { cwd, env });
    const message = 'Task no-such-task does not exist; list the federation\'s tasks to find a valid id';
    expect(JSON.parse(unknown.stdout)).toEqual({ error: { code: 'NOT_FOUND', message } });
    expect(unknown.stderr).toBe(`NOT_FOUND: ${message}\n`);
    expect(unknown.code).toBe(2);
  }, 120_000);

  it('run shows members n/m while it waits and exits 6 when no model was published', async () => {
    const lonely = await fx.admin.createFederation(`no members ${Date.now()}`);
    const task = await fx.admin.createTask(lonely.id, churnTask({ minMembers: 2 }));
    const r = await runCli(CLI.coordinator, ['run', '--task', task.id, '--rounds', '1', '--wait', '1'], { cwd: folder(), env });
    expect(r.stderr).toBe('waiting for members: 0/2 connected (the round starts when 2 are, or after 1 s)\n'
      + `NO_MODEL_PUBLISHED: no model was published: 1 of 1 rounds were aborted (last: too few members: 0 connected, the task needs at least 2); `
      + 'check that the members\' agents are running (consort-coordinator members --federation <id>) and run again\n');
    expect(r.stdout).toBe('round 1 statistics aborted (too few members: 0 connected, the task needs at least 2): 0 members\n');
    expect(r.code).toBe(6);
  }, 120_000);

  it('Ctrl-C on run cancels: the coordinator aborts the round in progress and stops the run (exit 130)', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'cancelled', stageTimeoutSeconds: 600 }));
    silent = true;
    try {
      const run = startCli(CLI.coordinator, ['run', '--task', task.id, '--rounds', '3', '--wait', '30'], { cwd: folder(), env });
      await until(async () => (await fx.coordinator.store.listRounds(task.id)).some((r) => r.state === 'masked_input'));
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.stderr).toBe(`CANCELLED: run of task ${task.id} cancelled: the coordinator aborted the round in progress and stopped the run\n`);
      expect(r.code).toBe(130);
      await until(async () => (await fx.coordinator.store.listRounds(task.id))[0].state === 'aborted');
      const rounds = await fx.coordinator.store.listRounds(task.id);
      expect(rounds.map((x) => [x.state, x.reason])).toEqual([['aborted', 'cancelled by the operator; the run stopped']]);
    } finally {
      silent = false;
    }
  }, 120_000);

  it('npm scripts run in the repository root but read relative paths from the user\'s folder (INIT_CWD)', async () => {
    const cwd = folder();
    const r = await runCli(join(REPO_ROOT, 'scripts', 'run-ts.mjs'), ['coordinator/src/cli/main.ts', 'report', '--task', 't'], { cwd: REPO_ROOT, env: { INIT_CWD: cwd } });
    expect(r.stderr).toBe(`NOT_FOUND: no coordinator database at ${join(cwd, '.consort', 'consort.db')}; run report in the folder where serve ran, or pass --data-dir / --database-url\n`);
    expect(r.code).toBe(2);
  }, 120_000);
});
