#!/usr/bin/env node
// Installs the workspace on first use so that `npm run demo` / `npm test` work on a fresh clone
// with nothing but Node 20 and npm: pnpm 12 is fetched through npx when it is not on the PATH.
// --quiet (the command-line scripts): silent when already installed, and an install's output goes
// to stderr so that a command's stdout (e.g. --json) stays its own.
import { existsSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { execSync, spawn } from 'node:child_process';
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

/**
 * pnpm marks two harmless outcomes with ✗; say what they mean so a first install does not look
 * broken: the optional native TensorFlow binding (its install downloads libtensorflow) and
 * packages that declare Node 22 for code Consort never runs on Node 20.
 */
function explainKnownWarnings(log) {
  const notes = [];
  if (/optional dependenc(y|ies) failed to build[^\n]*@tensorflow\/tfjs-node/.test(log)) {
    notes.push('@tensorflow/tfjs-node (optional native TensorFlow) was not built: its install downloads libtensorflow, which needs network access and a toolchain. Training uses the WASM backend instead (README, "Training"); nothing else is affected.');
  }
  if (/want Node\.js >=22/.test(log)) {
    notes.push('the packages pnpm lists as wanting Node 22 are prisma\'s local development server and the cookie parser of fastify\'s test injector; Consort does not use them on Node 20 (its tests run on Node 20).');
  }
  for (const n of notes) console.error(`[consort] note: ${n}`);
}

function hasPnpm() {
  try { execSync('pnpm --version', { stdio: 'ignore' }); return true; } catch { return false; }
}
// A global pnpm is used when present; otherwise npx fetches pnpm 12 (no global install, no root needed).
const pnpm = hasPnpm() ? 'pnpm' : 'npx --yes pnpm@12';
console.error(`[consort] installing workspace dependencies (${pnpm} install)`);
// Shown as it happens (a first install takes a minute) and kept, to explain known warnings after.
let installLog = '';
const status = await new Promise((resolve) => {
  const child = spawn(pnpm, ['install'], { cwd: root, shell: true, stdio: ['inherit', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => { installLog += d; (quiet ? process.stderr : process.stdout).write(d); });
  child.stderr.on('data', (d) => { installLog += d; process.stderr.write(d); });
  child.on('close', (code) => resolve(code ?? 1));
});
if (status !== 0) process.exit(status);
explainKnownWarnings(installLog);
mkdirSync(dirname(stamp), { recursive: true });
writeFileSync(stamp, digest);
