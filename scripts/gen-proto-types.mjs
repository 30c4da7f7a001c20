#!/usr/bin/env node
// Regenerates the TypeScript types of protos/consort/v1/*.proto with proto-loader-gen-types.
// With --check it generates into a temporary folder and fails when the committed types differ,
// so the wire contract and its types cannot drift apart.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protosDir = join(root, 'protos');
const require = createRequire(join(protosDir, 'package.json'));
const genBin = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build/bin/proto-loader-gen-types.js');
const check = process.argv.includes('--check');
const outDir = check ? mkdtempSync(join(tmpdir(), 'consort-proto-')) : join(protosDir, 'generated');
const files = readdirSync(join(protosDir, 'consort/v1')).filter((f) => f.endsWith('.proto')).map((f) => `consort/v1/${f}`);

if (!check) rmSync(outDir, { recursive: true, force: true });
execFileSync(process.execPath, [genBin, '--longs=String', '--enums=String', '--defaults', '--oneofs', '--bytes=Buffer',
  '--grpcLib=@grpc/grpc-js', '-I', protosDir, '-O', outDir, ...files], { stdio: 'inherit' });

// proto-loader-gen-types writes the absolute path of each .proto into a comment: make it
// relative so the generated files do not depend on where the repository is cloned.
for (const f of readdirSync(outDir, { recursive: true }).map(String)) {
  const path = join(outDir, f);
  if (!statSync(path).isFile()) continue;
  const text = readFileSync(path, 'utf8');
  const normalised = text.split(`${protosDir}/`).join('protos/');
  if (normalised !== text) writeFileSync(path, normalised);
}

if (check) {
  const list = (dir) => readdirSync(dir, { recursive: true }).map(String).filter((f) => statSync(join(dir, f)).isFile()).sort();
  const committed = join(protosDir, 'generated');
  const want = list(outDir);
  let have = [];
  try { have = list(committed); } catch { /* missing folder reported below */ }
  const diff = want.filter((f) => !have.includes(f) || readFileSync(join(outDir, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'))
    .concat(have.filter((f) => !want.includes(f)));
  rmSync(outDir, { recursive: true, force: true });
  if (diff.length) {
    console.error(`protos/generated is stale (${diff.slice(0, 5).join(', ')}): run \`npm run gen:protos\` and commit the result.`);
    process.exit(1);
  }
  console.log(`proto types up to date (${want.length} files, ${relative(root, committed)})`);
}
