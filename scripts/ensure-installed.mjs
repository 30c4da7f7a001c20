#!/usr/bin/env node
// Installs the workspace on first use so that `npm run demo` / `npm test` work on a fresh clone
// with nothing but Node 20 and npm: pnpm 12 is fetched through npx when it is not on the PATH.
// --quiet (the command-line scripts): silent when already installed, and an install's output goes
// to stderr so that a command's stdout (e.g. --json) stays its own.
import { existsSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'node_modules', '.consort-install-stamp');
const manifests = ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml',
  'protos/package.json', 'core/package.json', 'coordinator/package.json',
  'client-sdk/package.json', 'simulations/package.json', 'test/package.json'];
const hash = createHash('sha256');
for (const f of manifests) if (existsSync(join(root, f))) hash.update(f).update(readFileSync(join(root, f)));
const digest = hash.digest('hex');
const quiet = process.argv.includes('--quiet');

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
  // The Prisma clients are generated, not committed: regenerate if missing (a no-op otherwise).
  try {
    execSync('node scripts/gen-prisma.mjs', { cwd: root, stdio: quiet ? 'pipe' : 'inherit' });
  } catch (err) {
    if (quiet) process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    process.exit(1);
  }
  process.exit(0);
}

function hasPnpm() {
  try { execSync('pnpm --version', { stdio: 'ignore' }); return true; } catch { return false; }
}
// A global pnpm is used when present; otherwise npx fetches pnpm 12 (no global install, no root needed).
const pnpm = hasPnpm() ? 'pnpm' : 'npx --yes pnpm@12';
console.error(`[consort] installing workspace dependencies (${pnpm} install)`);
execSync(`${pnpm} install`, { cwd: root, stdio: quiet ? ['inherit', 2, 2] : 'inherit' });
mkdirSync(dirname(stamp), { recursive: true });
writeFileSync(stamp, digest);
