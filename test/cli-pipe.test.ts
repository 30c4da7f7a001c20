// A command piped into a reader that stops early (`consort-coordinator verify-log | head`) ends with
// status 0 and no EPIPE stack, through the same launcher the bin commands and npm scripts use.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('command output into a closed pipe', () => {
  it('ends quietly with status 0 when the reader leaves after the first chunk', async () => {
    const launcher = pathToFileURL(join(root, 'scripts', 'run-ts.mjs')).href;
    const child = spawn(process.execPath, ['--input-type=module', '-e', `const { runTs } = await import(${JSON.stringify(launcher)}); await runTs('test/fixtures/cli/flood-stdout.ts');`], {
      cwd: root, env: { ...process.env, INIT_CWD: undefined }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // Like `head -1`: read one chunk, then close the read end.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  }, 60_000);
});
