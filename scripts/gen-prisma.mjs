#!/usr/bin/env node
// Generates the coordinator's two Prisma clients (SQLite and PostgreSQL); run as the root postinstall.
//
// `prisma generate` needs no schema engine, but the Prisma 7 CLI refuses to start until the native
// engine binary exists, and downloading it fails offline. It only checks that the file exists, so
// unless PRISMA_SCHEMA_ENGINE_BINARY is already set we point it at a stub that exits 1.
// Up-to-date clients are skipped (a stamp file holds a hash of schema + Prisma version): pass
// --force to regenerate anyway.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import console from 'node:console';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const coordinator = join(root, 'coordinator');
const providers = ['sqlite', 'postgresql'];
const force = process.argv.includes('--force');

function fail(message) {
  console.error(`gen-prisma: ${message}`);
  process.exit(1);
}

// Resolve the CLI from coordinator's own dependencies, the version the client must match.
let cliPath;
let prismaVersion;
try {
  const require = createRequire(join(coordinator, 'package.json'));
  const pkgPath = require.resolve('prisma/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  cliPath = join(dirname(pkgPath), typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.prisma);
  prismaVersion = pkg.version;
} catch {
  // A filtered install (`pnpm install --filter client-sdk`) has no coordinator deps: nothing to do.
  console.warn('gen-prisma: skipped, the prisma CLI is not installed in coordinator/ (run `pnpm install` at the root to get it)');
  process.exit(0);
}

function stampOf(provider) {
  const schema = readFileSync(join(coordinator, 'prisma', provider, 'schema.prisma'));
  return createHash('sha256').update(prismaVersion).update('\0').update(schema).digest('hex');
}

const stampFile = (provider) => join(coordinator, 'src', 'store', 'generated', provider, '.consort-stamp');
const todo = providers.filter((p) => {
  if (force) return true;
  const file = stampFile(p);
  return !existsSync(file) || readFileSync(file, 'utf8').trim() !== stampOf(p);
});
if (todo.length === 0) {
  console.log('gen-prisma: Prisma clients are up to date');
  process.exit(0);
}

let stubDir;
const env = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  if (process.platform === 'win32') {
    // Any existing executable passes the check; generate never runs it.
    env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
  } else {
    stubDir = mkdtempSync(join(tmpdir(), 'consort-prisma-'));
    const stub = join(stubDir, 'schema-engine-stub');
    writeFileSync(stub, '#!/bin/sh\necho "schema-engine stub (scripts/gen-prisma.mjs): install the real engine for prisma migrate" >&2\nexit 1\n');
    chmodSync(stub, 0o755);
    env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
  }
}

function generate(provider) {
  return new Promise((done) => {
    const args = [cliPath, 'generate', '--schema', join('prisma', provider, 'schema.prisma')];
    const child = spawn(process.execPath, args, { cwd: coordinator, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => done({ provider, ok: false, output: String(err) }));
    child.on('close', (code) => done({ provider, ok: code === 0, output }));
  });
}

const started = Date.now();
const results = await Promise.all(todo.map(generate));
if (stubDir) rmSync(stubDir, { recursive: true, force: true });
const failed = results.filter((r) => !r.ok);
for (const r of results.filter((x) => x.ok)) writeFileSync(stampFile(r.provider), `${stampOf(r.provider)}\n`);
if (failed.length > 0) {
  for (const r of failed) console.error(r.output.trim());
  fail(`prisma generate failed for ${failed.map((r) => r.provider).join(', ')} (output above); fix what it reports (often coordinator/prisma/<provider>/schema.prisma) and run \`pnpm gen:prisma\``);
}
console.log(`gen-prisma: generated Prisma ${prismaVersion} clients (${todo.join(', ')}) in ${Date.now() - started} ms`);
