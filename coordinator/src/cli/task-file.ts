// Reads a task definition file (YAML or JSON) for create-task and federate; core's resolver checks it.
import { readFileSync } from 'node:fs';
import { ConsortError, parseTaskText, resolveTask, type ResolvedTask, type TaskDefinitionInput } from '@consort/core';

/**
 * The file's settings as written (what create-task sends) and the task they resolve to. Refused
 * here, naming the file and the field, when unreadable, empty, malformed or invalid.
 */
export function readTaskFile(path: string): { input: TaskDefinitionInput; task: ResolvedTask } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConsortError('FILE_UNREADABLE', `cannot read task file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; check the path (see docs/task-definition.md)`, { file: path });
  }
  const source = `task file ${path}`;
  const input = parseTaskText(text, source);
  return { input: input as unknown as TaskDefinitionInput, task: resolveTask(input, source) };
}
