#!/usr/bin/env node
// Runs one of Consort's TypeScript command lines in this process through tsx, from the user's folder.
// Used by the root npm scripts (`node scripts/run-ts.mjs <entry.ts> args…`) and by the bin launchers.
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

/** Loads `entry` (a path from the repository root) as if node had started it. */
export async function runTs(entry) {
  enterUsersFolder();
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, entry)).href);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [entry] = process.argv.splice(2, 1);
  if (!entry) {
    console.error('INVALID_ARGUMENT: usage: node scripts/run-ts.mjs <entry.ts> [args…]');
    process.exit(2);
  }
  await runTs(entry);
}
