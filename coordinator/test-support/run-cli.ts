// Test helper: runs a coordinator TypeScript entry (the CLI, or a fixture script) in its own process, as a user runs it.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The coordinator's command line. */
export const COORDINATOR_CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.ts');
const TSX_LOADER = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;

/** Runs `node --import tsx script args…` in `cwd` (without DATABASE_URL) and collects its output. */
export function runCli(script: string, args: string[], o: { cwd: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, DATABASE_URL: undefined, INIT_CWD: undefined };
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
