// No package imports itself in a circle (STYLE.md: one-way dependencies), checked with madge over each package's source.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsConfig = join(root, 'tsconfig.json');

/** madge's dependency graph of one folder's TypeScript (type-only imports count: they couple modules too). */
function graphOf(dir: string) {
  return madge(dir, { fileExtensions: ['ts'], tsConfig, excludeRegExp: [/node_modules/, /[\\/]generated[\\/]/] });
}

const PACKAGES: { dir: string; knownFile: string }[] = [
  { dir: 'core/src', knownFile: 'round/round-machine.ts' },
  { dir: 'coordinator/src', knownFile: 'round/lifecycle.ts' },
  { dir: 'client-sdk/src', knownFile: 'index.ts' },
  { dir: 'simulations/src', knownFile: 'cli/federate.ts' },
  { dir: 'protos', knownFile: 'index.ts' },
];

describe('import circles', () => {
  for (const { dir, knownFile } of PACKAGES) {
    it(`${dir} has none`, async () => {
      const graph = await graphOf(join(root, dir));
      // The graph really was read (a wrong path or parser would find no circle in nothing).
      expect(Object.keys(graph.obj())).toContain(knownFile);
      expect(graph.circular()).toEqual([]);
    }, 120_000);
  }

  const scratch = mkdtempSync(join(tmpdir(), 'consort-circle-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds a circle made of type-only imports (the check can fail)', async () => {
    writeFileSync(join(scratch, 'a.ts'), "import type { B } from './b.ts';\nexport interface A { b?: B }\n");
    writeFileSync(join(scratch, 'b.ts'), "import type { A } from './a.ts';\nexport interface B { a?: A }\n");
    const graph = await graphOf(scratch);
    expect(graph.circular()).toEqual([['a.ts', 'b.ts']]);
  });
});
