// docs/task-definition.md documents every key the task validator accepts, and every round warning code.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ROUND_WARNING_CODES, taskKeyPaths } from '@consort/core';

const doc = readFileSync(new URL('../../../docs/task-definition.md', import.meta.url), 'utf8');

describe('docs/task-definition.md', () => {
  it('names every accepted key: by its full path, as ".key" in a grouped row, or (an object) through its documented keys', () => {
    const paths = taskKeyPaths();
    const named = (path: string) => doc.includes(`\`${path}\``) || doc.includes(`\`.${path.split('.').pop()}\``);
    const missing = paths.filter((path) => !named(path) && !paths.some((p) => p.startsWith(`${path}.`) && named(p)));
    expect(missing).toEqual([]);
  });

  it('explains every round warning code', () => {
    for (const code of ROUND_WARNING_CODES) expect(doc, code).toContain(`| \`${code}\` |`);
  });
});
