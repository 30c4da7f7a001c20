// Reads a task definition file (YAML, or JSON by its .json extension) for create-task and federate.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConsortError, type TaskDefinitionInput } from '@consort/core';

const SEE = 'see docs/task-definition.md';

/** The file's settings; INVALID_ARGUMENT naming the file when it is empty, malformed or not a mapping. */
export function readTaskFile(path: string): TaskDefinitionInput {
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') throw new ConsortError('INVALID_ARGUMENT', `task file ${path} is empty; write the task's settings in it (${SEE})`, { file: path });
  let doc: unknown;
  try {
    doc = path.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    throw new ConsortError('INVALID_ARGUMENT', `task file ${path} is not valid ${path.toLowerCase().endsWith('.json') ? 'JSON' : 'YAML'}: ${first}`, { file: path });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    const held = doc === null ? 'nothing' : Array.isArray(doc) ? 'a list' : `a single ${typeof doc}`;
    throw new ConsortError('INVALID_ARGUMENT', `task file ${path} is not a mapping of settings (it holds ${held}); write "name: …", "label: …" and so on (${SEE})`, { file: path });
  }
  return doc as TaskDefinitionInput;
}
