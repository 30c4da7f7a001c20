// The one error type of Consort: a stable code plus a message that says what to do.
// Codes are translated to gRPC/HTTP statuses only at the edge (coordinator/src/errors).

/** Every error code Consort raises. Each is in the catalog and in docs/errors.md (tested). */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'ENROLLMENT_TOKEN_UNKNOWN',
  'ENROLLMENT_TOKEN_USED',
  'ENROLLMENT_TOKEN_EXPIRED',
  'BAD_SIGNATURE',
  'REPLAYED_REQUEST',
  'STALE_REQUEST',
  'UNKNOWN_MEMBER',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'ROUND_NOT_OPEN',
  'WRONG_STAGE',
  'NOT_A_PARTICIPANT',
  'DUPLICATE_SUBMISSION',
  'UPDATE_SHAPE_MISMATCH',
  'UPDATE_NOT_FINITE',
  'UPDATE_INCOMPLETE',
  'MODEL_INTEGRITY',
  'INVALID_TRANSITION',
  'TOO_FEW_MEMBERS',
  'DATA_INVALID',
  'SECAGG_VERIFICATION_FAILED',
  'SECAGG_OVERFLOW',
  'SECAGG_PROTOCOL_VIOLATION',
  'STORE_FAILURE',
  'FILE_UNREADABLE',
  'UNAVAILABLE',
  'NO_MODEL_PUBLISHED',
  'ROUND_DECLINED',
  'EVALUATION_ABORTED',
  'IDENTITY_EXISTS',
  'CANCELLED',
  'TASK_MISMATCH',
  'COORDINATOR_SIGNATURE_INVALID',
  'ROUND_POLICY_REFUSED',
  'AGGREGATE_REJECTED',
  'INSECURE_TRANSPORT',
  'RATE_LIMITED',
  'REQUEST_TOO_LARGE',
  'INTERNAL',
  'MEMBER_REVOKED',
  'PRIVACY_BUDGET_EXHAUSTED',
  'API_TOKEN_INVALID',
  'NO_AUDIT_REPORT',
  'LOG_TAMPERED',
  'AUDIT_SIGNATURE_INVALID',
  'AUDIT_POLICY_MISMATCH',
  'AUDIT_RECOMPUTE_MISMATCH',
  'AUDIT_MISSING',
  'MITIGATION_PLAN_MISMATCH',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error with a stable code; `details` names the member/file/field it is about. */
export class ConsortError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ConsortError';
    this.code = code;
    this.details = details;
  }
}

/** True for a ConsortError with the given code (or any code when omitted). */
export function isConsortError(err: unknown, code?: ErrorCode): err is ConsortError {
  return err instanceof ConsortError && (code === undefined || err.code === code);
}
