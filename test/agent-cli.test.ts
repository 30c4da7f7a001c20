// consort-agent as a member runs it: separate processes, the exact stderr line and exit code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AdminClient, startCoordinator, type Coordinator } from '@consort/coordinator';
import { generateConsortium, writeConsortium } from '@consort/simulations';
import { sqliteDatabase } from './support/databases.ts';
import { CLI, REPO_ROOT, runCli } from './support/cli.ts';

const folder = () => mkdtempSync(join(tmpdir(), 'consort-agent-cli-'));

/** A mapping of the generated customer table onto examples/churn-task.yaml. */
function mapping(csv: string): string {
  const same = ['tenure_days', 'recency_days', 'frequency', 'monetary', 'avg_order_value', 'inter_purchase_days', 'email_opens', 'email_clicks',
    'web_visits', 'support_tickets', 'ticket_sentiment', 'nps', 'referrals', 'plan', 'channel', 'region', 'gender', 'age_band'];
  return `source: { type: csv, path: ${csv} }\nshape: customer\nid: customer_id\ncolumns:\n${same.map((c) => `  ${c}: ${c}`).join('\n')}\nlabel: churned\n`;
}

describe('consort-agent command line', () => {
  let coordinator: Coordinator;
  let admin: AdminClient;
  let federationId: string;
  let data: string;

  beforeAll(async () => {
    coordinator = await startCoordinator({ dataDir: folder(), databaseUrl: sqliteDatabase().url, port: 0, logger: pino({ level: 'silent' }), adminToken: 'op' });
    admin = new AdminClient(coordinator.adminAddress, 'op');
    federationId = (await admin.createFederation(`agents ${Date.now()}`)).id;
    data = folder();
    writeConsortium(data, generateConsortium({ members: 1, seed: 3, totalCustomers: 300 }));
  });

  afterAll(async () => {
    admin?.close();
    await coordinator?.close();
  });

  it('enroll refuses to overwrite an identity without --force, before spending the token', async () => {
    const cwd = folder();
    const env = { CONSORT_COORDINATOR: coordinator.address };
    const [first, second] = await admin.createEnrollmentTokens(federationId, 2);
    const noAddress = await runCli(CLI.agent, ['enroll', '--token', first, '--name', 'A'], { cwd });
    expect(noAddress.stderr).toBe('INVALID_ARGUMENT: no coordinator address: pass --coordinator host:port or set CONSORT_COORDINATOR\n');
    expect(noAddress.code).toBe(2);
    const enrolled = await runCli(CLI.agent, ['enroll', '--token', first, '--name', 'A', '--json'], { cwd, env });
    expect(enrolled.code).toBe(0);
    const doc = JSON.parse(enrolled.stdout) as { memberId: string; identity: string };
    expect(doc.identity).toBe('.consort-member/identity.json');
    const key = readFileSync(join(cwd, '.consort-member', 'identity.json'), 'utf8');

    const again = await runCli(CLI.agent, ['enroll', '--token', second, '--name', 'B'], { cwd, env });
    expect(again.stderr).toBe('IDENTITY_EXISTS: a member identity already exists at .consort-member/identity.json; this machine is enrolled already. '
      + 'Pass --force to replace it (the old member loses its key) or --identity <another path> for a second member\n');
    expect(again.code).toBe(2);
    expect(readFileSync(join(cwd, '.consort-member', 'identity.json'), 'utf8')).toBe(key);
    // The refused enroll did not spend the token: it still enrolls, here with --force.
    const forced = await runCli(CLI.agent, ['enroll', '--token', second, '--name', 'B', '--force'], { cwd, env });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(cwd, '.consort-member', 'identity.json'), 'utf8')).not.toBe(key);
    expect((await admin.listMembers(federationId)).map((m) => m.displayName).sort()).toEqual(['A', 'B']);

    const used = await runCli(CLI.agent, ['enroll', '--token', second, '--name', 'C', '--identity', 'c.json', '--coordinator', coordinator.address], { cwd });
    expect(used.stderr).toBe('ENROLLMENT_TOKEN_USED: This enrollment token was already used; each token enrolls one member: ask the operator for a new one\n');
    expect(used.code).toBe(5);
  }, 120_000);

  it('names the file and the fix for broken inputs: missing identity, empty task, ragged or empty CSV, bad mapping, bad model', async () => {
    const cwd = folder();
    const csv = join(data, 'member-01.csv');
    const lines = readFileSync(csv, 'utf8').split('\n');
    writeFileSync(join(cwd, 'ragged.csv'), [...lines.slice(0, 3), 'c9,1,2', ...lines.slice(3)].join('\n'));
    writeFileSync(join(cwd, 'empty.csv'), '');
    writeFileSync(join(cwd, 'empty-task.yaml'), '');
    writeFileSync(join(cwd, 'ragged.yaml'), mapping('ragged.csv'));
    writeFileSync(join(cwd, 'empty.yaml'), mapping('empty.csv'));
    writeFileSync(join(cwd, 'broken.yaml'), 'source: [\n');
    writeFileSync(join(cwd, 'model.json'), '{"x":1}\n');
    copyFileSync(join(REPO_ROOT, 'examples', 'churn-task.yaml'), join(cwd, 'task.yaml'));
    const run = (args: string[]) => runCli(CLI.agent, args, { cwd });
    const [identity, emptyTask, ragged, empty, broken, model] = await Promise.all([
      run(['run', '--data', 'x.csv', '--identity', 'nope.json']),
      run(['validate', '--mapping', 'ragged.yaml', '--task', 'empty-task.yaml']),
      run(['validate', '--mapping', 'ragged.yaml', '--task', 'task.yaml']),
      run(['validate', '--mapping', 'empty.yaml', '--task', 'task.yaml']),
      run(['validate', '--mapping', 'broken.yaml', '--task', 'task.yaml']),
      run(['score', '--model', 'model.json', '--data', csv, '--out', 'scores.csv']),
    ]);
    expect([identity.stderr, identity.code]).toEqual(['INVALID_ARGUMENT: no member identity at nope.json; run "consort-agent enroll" first\n', 2]);
    expect([emptyTask.stderr, emptyTask.code]).toEqual(['INVALID_ARGUMENT: task file empty-task.yaml is empty; write the task\'s settings in it (see docs/task-definition.md)\n', 2]);
    expect([ragged.stderr, ragged.code]).toEqual([`DATA_INVALID: ${join(cwd, 'ragged.csv')}, line 4: the row has 3 fields but the header has ${lines[0].split(',').length}; look for a missing or extra "," (quote values that contain it)\n`, 3]);
    expect([empty.stderr, empty.code]).toEqual([`DATA_INVALID: ${join(cwd, 'empty.csv')} is empty; export the table with a header row first\n`, 3]);
    expect(broken.stderr).toMatch(/^INVALID_ARGUMENT: broken\.yaml is not valid YAML: .+\n$/);
    expect(broken.code).toBe(2);
    expect([model.stderr, model.code]).toEqual(['INVALID_ARGUMENT: model.json: field "spec" is missing; pass the model JSON the coordinator published (spec, pipeline, weights)\n', 2]);
    for (const r of [identity, emptyTask, ragged, empty, broken, model]) expect(r.stderr).not.toContain('[object Object]');
  }, 120_000);

  it('run refuses audit floors below the minimums before anything else (exit 2), naming the flag', async () => {
    const cwd = folder();
    const cell = await runCli(CLI.agent, ['run', '--data', 'x.csv', '--audit-min-cell', '5'], { cwd });
    expect(cell.stderr).toBe('INVALID_ARGUMENT: --audit-min-cell must be a whole number of at least 10 (got 5)\n');
    expect(cell.code).toBe(2);
    const members = await runCli(CLI.agent, ['run', '--data', 'x.csv', '--audit-min-members', 'two'], { cwd });
    expect(members.stderr).toBe('INVALID_ARGUMENT: --audit-min-members must be a whole number of at least 3 (got NaN)\n');
    expect(members.code).toBe(2);
  });

  it('validate fails with DATA_INVALID (exit 3) when a rule fails, and prints --version', async () => {
    const cwd = folder();
    writeFileSync(join(cwd, 'mapping.yaml'), mapping(join(data, 'member-01.csv')));
    copyFileSync(join(REPO_ROOT, 'examples', 'churn-task.yaml'), join(cwd, 'task.yaml'));
    const [strict, version] = await Promise.all([
      runCli(CLI.agent, ['validate', '--mapping', 'mapping.yaml', '--task', 'task.yaml', '--min-rows', '100000', '--json'], { cwd }),
      runCli(CLI.agent, ['--version'], { cwd }),
    ]);
    const report = JSON.parse(strict.stdout) as { errors: number };
    expect(report.errors).toBeGreaterThan(0);
    expect(strict.stderr).toBe(`DATA_INVALID: validation found ${report.errors} error(s), listed in the report; fix your export or mapping file and run validate again\n`);
    expect(strict.code).toBe(3);
    expect(version).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  }, 120_000);

  it('validate and prepare read the operator\'s task file with audit.policyFile, relative to the task file', async () => {
    const cwd = folder();
    writeFileSync(join(cwd, 'mapping.yaml'), mapping(join(data, 'member-01.csv')));
    mkdirSync(join(cwd, 'tasks'));
    const churn = readFileSync(join(REPO_ROOT, 'examples', 'churn-task.yaml'), 'utf8');
    writeFileSync(join(cwd, 'tasks', 'task-audit.yaml'), `${churn}\naudit:\n  policyFile: churn-audit-policy.yaml\n`);
    copyFileSync(join(REPO_ROOT, 'examples', 'churn-audit-policy.yaml'), join(cwd, 'tasks', 'churn-audit-policy.yaml'));
    writeFileSync(join(cwd, 'tasks', 'task-missing.yaml'), `${churn}\naudit:\n  policyFile: nowhere.yaml\n`);
    const [validated, prepared, missing] = await Promise.all([
      runCli(CLI.agent, ['validate', '--mapping', 'mapping.yaml', '--task', 'tasks/task-audit.yaml', '--json'], { cwd }),
      runCli(CLI.agent, ['prepare', '--mapping', 'mapping.yaml', '--task', 'tasks/task-audit.yaml', '--out', 'features.csv'], { cwd }),
      runCli(CLI.agent, ['validate', '--mapping', 'mapping.yaml', '--task', 'tasks/task-missing.yaml'], { cwd }),
    ]);
    expect(validated.stderr).not.toContain('INVALID_ARGUMENT');
    expect([0, 3]).toContain(validated.code);
    expect((JSON.parse(validated.stdout) as { errors: number }).errors).toBeGreaterThanOrEqual(0);
    expect(prepared.stderr).not.toContain('INVALID_ARGUMENT');
    expect(prepared.code).toBe(0);
    expect(existsSync(join(cwd, 'features.csv'))).toBe(true);
    expect(missing.stderr).toBe(`FILE_UNREADABLE: task file tasks/task-missing.yaml: audit.policyFile ${join(cwd, 'tasks', 'nowhere.yaml')} does not exist (the path is relative to the task file)\n`);
    expect(missing.code).toBe(3);
  }, 120_000);
});
