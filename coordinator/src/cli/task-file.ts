// Reads a task definition file (YAML or JSON) for create-task and federate; core's resolver checks it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConsortError, parseTaskText, resolveTask, type ResolvedTask, type TaskDefinitionInput } from '@consort/core';
import { parse as parseYaml } from 'yaml';

/**
 * The file's settings as written (what create-task sends) and the task they resolve to. Refused
 * here, naming the file and the field, when unreadable, empty, malformed or invalid. An
 * `audit.policyFile` is read relative to the task file and sent as `audit.policy`, so the policy
 * is fixed (and hashed) with the task when it is created.
 */
export function readTaskFile(path: string): { input: TaskDefinitionInput; task: ResolvedTask } {
  // A missing file surfaces as ENOENT, which the CLI prints as FILE_UNREADABLE with the path.
  const text = readFileSync(path, 'utf8');
  const source = `task file ${path}`;
  const input = withAuditPolicyFile(parseTaskText(text, source) as unknown as TaskDefinitionInput, path, source);
  return { input, task: resolveTask(input, source) };
}

function withAuditPolicyFile(input: TaskDefinitionInput, taskPath: string, source: string): TaskDefinitionInput {
  const audit = input.audit;
  if (typeof audit !== 'object' || audit === null || audit.policyFile === undefined) return input;
  if (typeof audit.policyFile !== 'string' || audit.policyFile.trim() === '') {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: task definition field "audit.policyFile": name the policy file (relative to the task file)`, { field: 'audit.policyFile', file: source });
  }
  if (audit.policy !== undefined) {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: task definition field "audit.policyFile": give the policy once, as audit.policy or audit.policyFile`, { field: 'audit.policyFile', file: source });
  }
  const file = resolve(dirname(taskPath), audit.policyFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') {
      throw new ConsortError('FILE_UNREADABLE', `${source}: audit.policyFile ${file} does not exist (the path is relative to the task file)`, { file });
    }
    throw err;
  }
  let policy: unknown;
  try {
    policy = parseYaml(text);
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: audit policy file ${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`, { field: 'audit.policyFile', file });
  }
  const { policyFile: _read, ...rest } = audit;
  return { ...input, audit: { ...rest, policy } };
}
