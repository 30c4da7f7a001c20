// Verifies the audit log: recomputes every entry's hash and link, and checks signed checkpoints against the trusted key (pure).
import type { AuditCheckpointRecord, AuditEventRecord } from '../store/store.ts';
import { auditEntryHash, checkpointKey, checkpointSignatureValid, GENESIS_HASH } from './chain.ts';

/** What is wrong at one place of the log. */
export type LogProblemKind =
  /** An entry's content no longer matches its hash. */
  | 'edited'
  /** A seq is missing: an entry was removed. */
  | 'missing'
  /** An entry's prevHash is not its predecessor's hash (removed, inserted or moved entries). */
  | 'broken_link'
  /** Entries are stored out of append order (ids do not increase with seq). */
  | 'reordered'
  /** An entry has no place in the chain. */
  | 'unchained'
  /** A checkpoint's signature is not the trusted coordinator key's. */
  | 'bad_checkpoint_signature'
  /** A signed checkpoint names a head hash the log does not have at that seq. */
  | 'checkpoint_mismatch'
  /** The log ends before a signed checkpoint: its tail was cut off. */
  | 'truncated';

/** One finding; `seq` is the first entry affected. */
export interface LogProblem {
  kind: LogProblemKind;
  seq: number;
  message: string;
}

/** The outcome of a verification. */
export interface LogVerification {
  ok: boolean;
  entries: number;
  head?: { seq: number; hash: string };
  checkpoints: number;
  /** The newest checkpoint whose signature and head both check out. */
  lastGoodCheckpoint?: { seq: number; at: string };
  /** Entries after the last checkpoint: a cut there cannot be told from a log that just ended. */
  entriesAfterLastCheckpoint: number;
  /** The first bad seq, when anything is wrong. */
  firstBadSeq?: number;
  problems: LogProblem[];
}

/**
 * Checks the whole chain and every checkpoint. `entries` in any order (each needs seq, prevHash,
 * hash); `publicKey` is the coordinator key the verifier trusts (its own copy, never the one stored
 * beside the checkpoints).
 */
export function verifyAuditLog(entries: AuditEventRecord[], checkpoints: AuditCheckpointRecord[], publicKey: Uint8Array): LogVerification {
  const problems: LogProblem[] = [];
  const chained = entries.filter((e) => e.seq !== undefined).sort((a, b) => a.seq! - b.seq!);
  for (const e of entries.filter((x) => x.seq === undefined)) {
    problems.push({ kind: 'unchained', seq: 0, message: `entry id ${e.id} (${e.kind}) has no seq or hash: it was inserted outside the store` });
  }

  const hashAt = new Map<number, string>();
  let expected = 1;
  let prevHash = GENESIS_HASH;
  let prevId = -Infinity;
  for (const e of chained) {
    const seq = e.seq!;
    if (seq !== expected) {
      const gap = seq - expected === 1 ? `seq ${expected} is missing` : `seqs ${expected}–${seq - 1} are missing`;
      problems.push({ kind: 'missing', seq: expected, message: `${gap} (the log jumps to ${seq}): entries were removed` });
    }
    const recomputed = auditEntryHash({ seq, prevHash: e.prevHash ?? '', at: e.at, kind: e.kind, subjectType: e.subjectType, subjectId: e.subjectId, actor: e.actor, detail: e.detail });
    if (recomputed !== e.hash) {
      problems.push({ kind: 'edited', seq, message: `entry ${seq} (${e.kind}) does not match its hash: its content, time or position was changed` });
    } else if (e.prevHash !== prevHash && seq === expected) {
      problems.push({ kind: 'broken_link', seq, message: `entry ${seq} does not follow entry ${seq - 1} (prevHash ${short(e.prevHash)} ≠ ${short(prevHash)}): entries were removed, inserted or moved` });
    }
    if (e.id < prevId) problems.push({ kind: 'reordered', seq, message: `entry ${seq} is stored before entry ${seq - 1} (id ${e.id} < ${prevId}): rows were swapped` });
    hashAt.set(seq, e.hash ?? '');
    prevHash = e.hash ?? '';
    prevId = e.id;
    expected = seq + 1;
  }
  const last = chained.at(-1);

  let lastGood: AuditCheckpointRecord | undefined;
  const key = publicKey.length === 32 ? checkpointKey(publicKey) : undefined;
  for (const cp of [...checkpoints].sort((a, b) => a.seq - b.seq)) {
    if (!key || !checkpointSignatureValid(cp, key)) {
      problems.push({ kind: 'bad_checkpoint_signature', seq: cp.seq, message: `checkpoint at seq ${cp.seq} is not signed by the coordinator key: it was forged or altered` });
      continue;
    }
    if (!last || cp.seq > last.seq!) {
      problems.push({ kind: 'truncated', seq: (last?.seq ?? 0) + 1, message: `the log ends at seq ${last?.seq ?? 0} but the coordinator signed a checkpoint at seq ${cp.seq} (${cp.at.toISOString()}): its tail was removed` });
      continue;
    }
    const have = hashAt.get(cp.seq);
    if (have !== cp.headHash) {
      problems.push({ kind: 'checkpoint_mismatch', seq: cp.seq, message: `checkpoint at seq ${cp.seq} signed head ${short(cp.headHash)} but the log has ${have ? short(have) : 'no entry'} there: the log was rewritten` });
      continue;
    }
    lastGood = cp;
  }

  const bad = problems.filter((p) => p.seq > 0).map((p) => p.seq);
  const firstBadSeq = bad.length > 0 ? Math.min(...bad) : problems.length > 0 ? 0 : undefined;
  return {
    ok: problems.length === 0,
    entries: entries.length,
    head: last ? { seq: last.seq!, hash: last.hash ?? '' } : undefined,
    checkpoints: checkpoints.length,
    lastGoodCheckpoint: lastGood ? { seq: lastGood.seq, at: lastGood.at.toISOString() } : undefined,
    entriesAfterLastCheckpoint: (last?.seq ?? 0) - (lastGood?.seq ?? 0),
    firstBadSeq,
    problems: problems.sort((a, b) => a.seq - b.seq),
  };
}

const short = (h: string | undefined): string => (h ? `${h.slice(0, 12)}…` : '(none)');
