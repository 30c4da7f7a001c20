// `verify-log`: recomputes the audit log's hash chain and checkpoint signatures from the database (offline).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConsortError, keyFingerprint, describeError } from '@consort/core';
import { openStore } from '../store/open-store.ts';
import { offlineDatabaseUrl } from '../cli/offline-database.ts';
import { COORDINATOR_KEY_FILE } from '../signing/coordinator-key.ts';
import { verifyAuditLog, type LogVerification } from './verify-chain.ts';

/** Where verify-log reads from. */
export interface VerifyLogSource {
  /** file:… or postgresql://… */
  databaseUrl: string;
  /** The coordinator's Ed25519 public key the verifier trusts. */
  publicKey: Uint8Array;
}

/** The coordinator's public key: --public-key (base64), else `<dataDir>/coordinator-key.json`. */
export function trustedPublicKey(o: { dataDir: string; publicKey?: string }): Uint8Array {
  let b64 = o.publicKey;
  const path = join(resolve(o.dataDir), COORDINATOR_KEY_FILE);
  if (!b64) {
    if (!existsSync(path)) {
      throw new ConsortError('INVALID_ARGUMENT', `no coordinator key: ${path} does not exist; pass --public-key <base64> (from a copy you trust) or --data-dir <the coordinator's data folder>`);
    }
    try {
      b64 = String((JSON.parse(readFileSync(path, 'utf8')) as { publicKey?: unknown }).publicKey ?? '');
    } catch (err) {
      throw new ConsortError('INVALID_ARGUMENT', `coordinator key ${path} is not valid JSON (${(err as Error).message}); pass --public-key <base64> instead`);
    }
  }
  const key = new Uint8Array(Buffer.from(b64, 'base64'));
  if (key.length !== 32) throw new ConsortError('INVALID_ARGUMENT', `the coordinator public key must be 32 bytes in base64, got ${key.length} bytes; copy "publicKey" from coordinator-key.json`);
  return key;
}

/** Reads the whole log and its checkpoints and verifies them. */
export async function verifyLogOf(src: VerifyLogSource): Promise<LogVerification> {
  const store = await openStore(src.databaseUrl);
  try {
    const [entries, checkpoints] = [await store.listAuditEvents(), await store.listAuditCheckpoints()];
    return verifyAuditLog(entries, checkpoints, src.publicKey);
  } finally {
    await store.close();
  }
}

/** The LOG_TAMPERED error of a failed verification: names the first bad seq and what was found. */
export function tamperedError(v: LogVerification): ConsortError {
  const first = v.problems[0];
  return new ConsortError(
    'LOG_TAMPERED',
    `the audit log fails verification at seq ${v.firstBadSeq}: ${first.message}${v.problems.length > 1 ? ` (and ${v.problems.length - 1} more findings)` : ''}; restore the database from a backup that verifies and investigate who had write access`,
    { firstBadSeq: v.firstBadSeq, problems: v.problems.length },
  );
}

function summary(v: LogVerification): string[] {
  const lines = [`${v.entries} entries, head seq ${v.head?.seq ?? 0}${v.head ? ` (${v.head.hash.slice(0, 16)}…)` : ''}, ${v.checkpoints} signed checkpoints`];
  if (v.lastGoodCheckpoint) lines.push(`last checkpoint: seq ${v.lastGoodCheckpoint.seq} at ${v.lastGoodCheckpoint.at}; ${v.entriesAfterLastCheckpoint} entries after it (a cut there shows at the next checkpoint)`);
  else if (v.entries > 0) lines.push(`no signed checkpoint yet: the chain is consistent, but nothing the coordinator signed vouches for it`);
  return lines;
}

/** Adds `verify-log` to the coordinator CLI. */
/**
 * Prints the coordinator's public key (base64) and its fingerprint: the copy auditors keep apart
 * from the server and pass to `verify-log --public-key` and `consort-audit verify --public-key`.
 */
export function registerPublicKeyCommand(program: Command): Command {
  return program.command('public-key')
    .description('print the coordinator\'s Ed25519 public key (base64) and fingerprint, for auditors to keep and pass as --public-key')
    .option('--data-dir <dir>', 'coordinator data folder (coordinator-key.json)', '.consort')
    .option('--json', 'print one JSON document on stdout')
    .action((o: { dataDir: string; json?: boolean }) => {
      const key = trustedPublicKey({ dataDir: o.dataDir });
      const out = { publicKey: Buffer.from(key).toString('base64'), fingerprint: keyFingerprint(key) };
      console.log(o.json ? JSON.stringify(out, null, 2) : `${out.publicKey}\nfingerprint ${out.fingerprint}`);
    });
}

export function registerVerifyLogCommand(program: Command): Command {
  return program.command('verify-log')
    .description('verify the tamper-evident audit log: every entry\'s hash and link, and the signed checkpoints (reads the database)')
    .option('--data-dir <dir>', 'coordinator data folder (SQLite default and coordinator-key.json)', '.consort')
    .option('--database-url <url>', 'file:… or postgresql://… (default: DATABASE_URL, else SQLite in --data-dir)')
    .option('--public-key <base64>', 'the coordinator\'s Ed25519 public key (default: from <data-dir>/coordinator-key.json); pass a copy kept apart from the server')
    .option('--json', 'print one JSON document on stdout')
    .action(async (o: { dataDir: string; databaseUrl?: string; publicKey?: string; json?: boolean }) => {
      const publicKey = trustedPublicKey(o);
      const v = await verifyLogOf({ databaseUrl: offlineDatabaseUrl(o, 'verify-log'), publicKey });
      if (v.ok) {
        if (o.json) console.log(JSON.stringify(v, null, 2));
        else for (const line of ['audit log verifies', ...summary(v)]) console.log(line);
        return;
      }
      const err = tamperedError(v);
      if (!o.json) throw err;
      // One JSON document with every finding; the code and exit status as for any failure.
      const d = describeError(err);
      console.log(JSON.stringify({ ...v, error: { code: d.code, message: d.message } }, null, 2));
      console.error(`${d.code}: ${d.message}`);
      process.exit(d.exitCode);
    });
}
