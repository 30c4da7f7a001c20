// What a person sees of any thrown value: `CODE: message` and the process exit code for it.
// Shared by every command line (coordinator, agent, federate, demo) so they read alike.
import { ConsortError, ERROR_CODES, type ErrorCode } from './consort-error.ts';

/** Exit codes of every Consort command (documented in docs/errors.md). */
export const EXIT_CODES = {
  ok: 0,
  /** An unexpected error: a bug, details in the log. */
  internal: 1,
  /** A wrong option, argument, id or task file: fix the command. */
  usage: 2,
  /** A data file is missing, unreadable or does not fit the task. */
  data: 3,
  /** The coordinator or the database could not be reached. */
  connection: 4,
  /** The other side refused: authentication, integrity or protocol checks. */
  refused: 5,
  /** Rounds were aborted or declined and no model was published. */
  noModel: 6,
  /** Interrupted by the operator (Ctrl-C or a cancelled run). */
  cancelled: 130,
} as const;

export type ExitCategory = keyof typeof EXIT_CODES;

const CATEGORY_OF: Record<ErrorCode, ExitCategory> = {
  INVALID_ARGUMENT: 'usage',
  NOT_FOUND: 'usage',
  ENROLLMENT_TOKEN_UNKNOWN: 'refused',
  ENROLLMENT_TOKEN_USED: 'refused',
  ENROLLMENT_TOKEN_EXPIRED: 'refused',
  BAD_SIGNATURE: 'refused',
  REPLAYED_REQUEST: 'refused',
  STALE_REQUEST: 'refused',
  UNKNOWN_MEMBER: 'refused',
  MEMBER_REVOKED: 'refused',
  UNAUTHORIZED: 'refused',
  ROUND_NOT_OPEN: 'refused',
  WRONG_STAGE: 'refused',
  NOT_A_PARTICIPANT: 'refused',
  DUPLICATE_SUBMISSION: 'refused',
  UPDATE_SHAPE_MISMATCH: 'refused',
  UPDATE_NOT_FINITE: 'refused',
  UPDATE_INCOMPLETE: 'refused',
  MODEL_INTEGRITY: 'refused',
  INVALID_TRANSITION: 'internal',
  TOO_FEW_MEMBERS: 'noModel',
  DATA_INVALID: 'data',
  FILE_UNREADABLE: 'data',
  SECAGG_VERIFICATION_FAILED: 'refused',
  SECAGG_OVERFLOW: 'data',
  SECAGG_PROTOCOL_VIOLATION: 'refused',
  STORE_FAILURE: 'connection',
  UNAVAILABLE: 'connection',
  NO_MODEL_PUBLISHED: 'noModel',
  ROUND_DECLINED: 'noModel',
  EVALUATION_ABORTED: 'noModel',
  IDENTITY_EXISTS: 'usage',
  CANCELLED: 'cancelled',
  TASK_MISMATCH: 'refused',
  COORDINATOR_SIGNATURE_INVALID: 'refused',
  ROUND_POLICY_REFUSED: 'refused',
  AGGREGATE_REJECTED: 'noModel',
  INSECURE_TRANSPORT: 'usage',
  RATE_LIMITED: 'refused',
  REQUEST_TOO_LARGE: 'refused',
  LOG_TAMPERED: 'refused',
  INTERNAL: 'internal',
  PRIVACY_BUDGET_EXHAUSTED: 'refused',
  API_TOKEN_INVALID: 'refused',
  NO_AUDIT_REPORT: 'usage',
  AUDIT_SIGNATURE_INVALID: 'refused',
  AUDIT_POLICY_MISMATCH: 'refused',
  AUDIT_RECOMPUTE_MISMATCH: 'refused',
  AUDIT_MISSING: 'noModel',
  MITIGATION_PLAN_MISMATCH: 'usage',
};

/** One error as a person reads it. */
export interface ErrorText {
  code: ErrorCode;
  message: string;
  exitCode: number;
}

/** Longest message printed: a 50 MB CSV line must not be echoed back whole. */
const MAX_MESSAGE_CHARS = 2000;

function shorten(s: string): string {
  return s.length <= MAX_MESSAGE_CHARS ? s : `${s.slice(0, MAX_MESSAGE_CHARS)}… (${s.length - MAX_MESSAGE_CHARS} more characters)`;
}

function isErrorCode(s: string): s is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(s);
}

// gRPC status numbers (grpc-js `status`), here to keep core free of a transport dependency.
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

const SYSTEM_ERRORS: Record<string, { code: ErrorCode; hint: string }> = {
  ENOENT: { code: 'FILE_UNREADABLE', hint: 'check the path (relative paths are read from your current folder)' },
  EISDIR: { code: 'FILE_UNREADABLE', hint: 'give a file, not a folder' },
  ENOTDIR: { code: 'FILE_UNREADABLE', hint: 'a part of the path is not a folder' },
  EACCES: { code: 'FILE_UNREADABLE', hint: 'check the file\'s permissions' },
  EPERM: { code: 'FILE_UNREADABLE', hint: 'check the file\'s permissions' },
  ECONNREFUSED: { code: 'UNAVAILABLE', hint: 'is the server running at that address?' },
  ENOTFOUND: { code: 'UNAVAILABLE', hint: 'check the host name' },
  ETIMEDOUT: { code: 'UNAVAILABLE', hint: 'check the address and the network' },
  EADDRINUSE: { code: 'UNAVAILABLE', hint: 'the port is taken: stop the other process or pass another --port' },
};

/**
 * Turns anything thrown into `{ code, message, exitCode }`: ConsortErrors keep their code,
 * gRPC errors carry theirs at the start of `details` ("CODE: message"), Node system errors
 * (missing file, refused connection) get a code and a hint, anything else is INTERNAL.
 */
export function describeError(err: unknown): ErrorText {
  const make = (code: ErrorCode, message: string): ErrorText => ({ code, message: shorten(message), exitCode: EXIT_CODES[CATEGORY_OF[code]] });
  if (err instanceof ConsortError) return make(err.code, err.message);
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; details?: unknown; message?: unknown; syscall?: unknown; path?: unknown; address?: unknown; port?: unknown };
    const message = typeof e.message === 'string' ? e.message : jsonOf(err);
    // commander's usage errors ("error: unknown option '--x'"): a wrong command line.
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      return make('INVALID_ARGUMENT', `${message.replace(/^error: /, '').trim().replace(/\.$/, '')}; see --help`);
    }
    // gRPC ServiceError: numeric status and the coordinator's "CODE: message" in details.
    if (typeof e.code === 'number' && typeof e.details === 'string') {
      const m = /^([A-Z_]+): ([\s\S]*)$/.exec(e.details);
      if (m && isErrorCode(m[1])) return make(m[1], m[2]);
      if (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED) {
        return make('UNAVAILABLE', `cannot reach the coordinator (${e.details.replace(/\.?\s*Resolution note:\s*$/, '') || 'no response'}); check the address (--coordinator or CONSORT_COORDINATOR) and that the coordinator is running`);
      }
      if (e.code === GRPC_CANCELLED) return make('CANCELLED', e.details || 'cancelled');
      return make('INTERNAL', e.details || message);
    }
    if (typeof e.code === 'string' && SYSTEM_ERRORS[e.code]) {
      const { code, hint } = SYSTEM_ERRORS[e.code];
      const where = typeof e.path === 'string' ? ` ${e.path}` : typeof e.address === 'string' ? ` ${e.address}${e.port ? `:${String(e.port)}` : ''}` : '';
      const what = e.code === 'ENOENT' ? `no such file${where}` : `${String(e.syscall ?? 'operation')}${where} failed (${e.code})`;
      return make(code, `${what}; ${hint}`);
    }
    return make('INTERNAL', message);
  }
  return make('INTERNAL', String(err));
}

/** A thrown non-Error object as JSON (never "[object Object]"). */
function jsonOf(value: object): string {
  try {
    return JSON.stringify(value) ?? 'unknown error';
  } catch {
    return 'unknown error (an object that cannot be printed)';
  }
}

/** `CODE: message` for a log line or stderr. */
export function formatError(err: unknown): string {
  const d = describeError(err);
  return `${d.code}: ${d.message}`;
}

/** What a failed command writes and its exit code; help and version (commander exit 0) write nothing. */
export interface CommandFailure {
  /** `CODE: message`, for stderr ('' when nothing failed). */
  stderr: string;
  /** With --json: `{"error":{"code","message"}}` for stdout, so stdout always holds one JSON document. */
  stdout: string;
  exitCode: number;
}

export function commandFailure(err: unknown, options: { json?: boolean } = {}): CommandFailure {
  const e = err as { code?: unknown; exitCode?: unknown } | null;
  if (typeof e?.code === 'string' && e.code.startsWith('commander.') && e.exitCode === 0) return { stderr: '', stdout: '', exitCode: 0 };
  const d = describeError(err);
  return {
    stderr: `${d.code}: ${d.message}`,
    stdout: options.json ? JSON.stringify({ error: { code: d.code, message: d.message } }) : '',
    exitCode: d.exitCode,
  };
}
