// Reads a task definition file (YAML or JSON) for create-task and federate; core's resolver checks it.
import { readFileSync } from 'node:fs';
import { parseTaskText, resolveTask, type ResolvedTask, type TaskDefinitionInput } from '@consort/core';

/**
 * The file's settings as written (what create-task sends) and the task they resolve to. Refused
 * here, naming the file and the field, when unreadable, empty, malformed or invalid.
 */
export function readTaskFile(path: string): { input: TaskDefinitionInput; task: ResolvedTask } {
  // A missing file surfaces as ENOENT, which the CLI prints as FILE_UNREADABLE with the path.
  const text = readFileSync(path, 'utf8');
  const source = `task file ${path}`;
  const input = parseTaskText(text, source);
  return { input: input as unknown as TaskDefinitionInput, task: resolveTask(input, source) };
}
