// Runs a Consort command line as a user would (its own process, its own folder) and collects its output.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The TypeScript entry of each command line, from the repository root. */
export const CLI = {
  coordinator: join(REPO_ROOT, 'coordinator/src/cli/main.ts'),
  agent: join(REPO_ROOT, 'client-sdk/src/cli/main.ts'),
  federate: join(REPO_ROOT, 'simulations/src/cli/federate.ts'),
  demo: join(REPO_ROOT, 'simulations/src/cli/demo.ts'),
  generate: join(REPO_ROOT, 'simulations/src/cli/generate.ts'),
  audit: join(REPO_ROOT, 'coordinator/src/cli/audit-main.ts'),
} as const;

// tsx's loader in this process (node --import), so signals reach the command itself.
const TSX_LOADER = pathToFileURL(join(dirname(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** Everything written so far (grows while the command runs). */
  output: { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

/** Starts `node script args…` (a .ts entry through tsx, or an .mjs) in `cwd` with a clean environment. */
export function startCli(script: string, args: string[], o: { cwd: string; env?: Record<string, string | undefined> }): CliRun {
  const env: Record<string, string | undefined> = { ...process.env, INIT_CWD: undefined, CONSORT_COORDINATOR: undefined, CONSORT_ADMIN_TOKEN: undefined, DATABASE_URL: undefined, ...o.env };
  const loader = script.endsWith('.ts') ? ['--import', TSX_LOADER] : [];
  const child = spawn(process.execPath, [...loader, script, ...args], { cwd: o.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => { output.stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output.stderr += d.toString(); });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...output }));
  });
  return { child, output, done };
}

export function runCli(script: string, args: string[], o: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return startCli(script, args, o).done;
}

/** Resolves once `test` holds, checking every 50 ms (no deadline of its own: the test's timeout bounds it). */
export async function until(test: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await test())) await new Promise((r) => setTimeout(r, 50));
}
