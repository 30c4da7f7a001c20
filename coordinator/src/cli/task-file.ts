// Reads a task definition file (YAML or JSON) for create-task and federate; core's resolver checks it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { embedAuditPolicyFile, parseTaskText, resolveTask, type ResolvedTask, type TaskDefinitionInput } from '@consort/core';

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
  const input = embedAuditPolicyFile(parseTaskText(text, source), source, { locate: (f) => resolve(dirname(path), f), read: (f) => readFileSync(f, 'utf8') }) as unknown as TaskDefinitionInput;
  return { input, task: resolveTask(input, source) };
}
