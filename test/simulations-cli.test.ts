// federate, demo and generate as a user runs them: the exact stderr line and exit code of failing commands.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from './support/cli.ts';

describe('federate, demo and generate command lines', () => {
  it('refuse bad options and files with the option or file named, before starting anything', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'consort-sim-cli-'));
    writeFileSync(join(cwd, 'empty.yaml'), '');
    writeFileSync(join(cwd, 'task.yaml'), 'name: t\nlabel: churned\nnumeric: [a]\n');
    const [emptyTask, missingMember, rounds, members, model, generate] = await Promise.all([
      runCli(CLI.federate, ['--task', 'empty.yaml', '--member', 'a.csv'], { cwd }),
      runCli(CLI.federate, ['--task', 'task.yaml', '--member', 'a.csv', '--member', 'b.csv'], { cwd }),
      runCli(CLI.federate, ['--task', 'task.yaml', '--member', 'a.csv', '--rounds', 'ten'], { cwd }),
      runCli(CLI.demo, ['--members', 'abc'], { cwd }),
      runCli(CLI.demo, ['--model', 'xgboost'], { cwd }),
      runCli(CLI.generate, ['--members', '-1'], { cwd }),
    ]);
    expect([emptyTask.stderr, emptyTask.code]).toEqual(['INVALID_ARGUMENT: task file empty.yaml is empty; write the task\'s settings in it (see docs/task-definition.md)\n', 2]);
    expect([missingMember.stderr, missingMember.code]).toEqual(['FILE_UNREADABLE: member file a.csv does not exist; check the path (relative paths are read from your current folder)\n', 3]);
    expect([rounds.stderr, rounds.code]).toEqual(['INVALID_ARGUMENT: --rounds must be a whole number from 1 to 10000 (got "ten")\n', 2]);
    expect([members.stderr, members.code]).toEqual(['INVALID_ARGUMENT: --members must be a whole number from 2 to 200 (got "abc")\n', 2]);
    expect([model.stderr, model.code]).toEqual(['INVALID_ARGUMENT: option \'--model <kind>\' argument \'xgboost\' is invalid. Allowed choices are logistic, mlp; see --help\n', 2]);
    expect([generate.stderr, generate.code]).toEqual(['INVALID_ARGUMENT: --members must be a whole number from 1 to 1000 (got "-1")\n', 2]);
    expect(readdirSync(cwd).sort()).toEqual(['empty.yaml', 'task.yaml']);
  }, 120_000);
});
