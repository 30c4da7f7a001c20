#!/usr/bin/env node
// Runs one of Consort's TypeScript command lines in this process through tsx, from the user's folder.
// Used by the root npm scripts (`node scripts/run-ts.mjs --install <entry.ts> args…`: installs the
// workspace first on a fresh clone) and by the bin launchers. One process from npm to the command, so
// a signal npm forwards (SIGTERM from a supervisor, SIGINT) reaches the command itself: the npm
// scripts `exec` this script, so no shell stands between npm and the command (a shell would not pass SIGTERM on).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `npm run` starts scripts in the repository root and keeps the user's folder in INIT_CWD: go
 * back there so relative paths (--data, --out, .consort) mean what the user typed.
 */
function enterUsersFolder() {
  const folder = process.env.INIT_CWD;
  if (folder && isAbsolute(folder) && existsSync(folder)) process.chdir(folder);
}

/**
 * A reader that closed the pipe (`verify-log | head`) ends the command quietly with status 0, as
 * Unix tools do, instead of an EPIPE stack trace.
 */
function endQuietlyWhenTheReaderLeaves() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err && err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

/** Loads `entry` (a path from the repository root) as if node had started it. */
export async function runTs(entry) {
  enterUsersFolder();
  endQuietlyWhenTheReaderLeaves();
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, entry)).href);
}

/** Installs the workspace when its manifests changed (quiet otherwise; install output on stderr). */
function ensureInstalled() {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-installed.mjs'), '--quiet'], { cwd: root, stdio: ['inherit', 2, 2] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const install = process.argv[2] === '--install';
  const [entry] = process.argv.splice(2, install ? 2 : 1).slice(install ? 1 : 0);
  if (!entry) {
    console.error('INVALID_ARGUMENT: usage: node scripts/run-ts.mjs [--install] <entry.ts> [args…]');
    process.exit(2);
  }
  if (install) ensureInstalled();
  await runTs(entry);
}
