// Translation of Consort error codes to gRPC and HTTP statuses: used only at the edges.
import { status } from '@grpc/grpc-js';
import { ConsortError, type ErrorCode } from '@consort/core';

export interface CatalogEntry {
  grpc: status;
  http: number;
  /** The public meaning, as documented in docs/errors.md. */
  summary: string;
}

export const ERROR_CATALOG: Record<ErrorCode, CatalogEntry> = {
  INVALID_ARGUMENT: { grpc: status.INVALID_ARGUMENT, http: 400, summary: 'A request field is missing or malformed.' },
  ENROLLMENT_TOKEN_UNKNOWN: { grpc: status.UNAUTHENTICATED, http: 401, summary: 'The enrollment token is not one the coordinator issued.' },
  ENROLLMENT_TOKEN_USED: { grpc: status.UNAUTHENTICATED, http: 401, summary: 'The enrollment token was already used; ask the operator for a new one.' },
  ENROLLMENT_TOKEN_EXPIRED: { grpc: status.UNAUTHENTICATED, http: 401, summary: 'The enrollment token has expired; ask the operator for a new one.' },
  BAD_SIGNATURE: { grpc: status.UNAUTHENTICATED, http: 401, summary: "The request's signature does not verify against the member's enrolled key." },
  REPLAYED_REQUEST: { grpc: status.UNAUTHENTICATED, http: 401, summary: 'The request nonce was already used: a replayed request.' },
  STALE_REQUEST: { grpc: status.UNAUTHENTICATED, http: 401, summary: "The request timestamp is outside the coordinator's clock-skew window." },
  UNKNOWN_MEMBER: { grpc: status.UNAUTHENTICATED, http: 401, summary: 'No enrolled member has this id.' },
  MEMBER_REVOKED: { grpc: status.PERMISSION_DENIED, http: 403, summary: 'The operator revoked this member; it can no longer take part (enroll a new identity with a new token).' },
  UNAUTHORIZED: { grpc: status.PERMISSION_DENIED, http: 403, summary: 'The caller lacks the role for this operation (e.g. a wrong operator token).' },
  NOT_FOUND: { grpc: status.NOT_FOUND, http: 404, summary: 'The federation, task, round or model version does not exist.' },
  ROUND_NOT_OPEN: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'The round is closed or aborted.' },
  WRONG_STAGE: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'The submission does not belong to the round\'s current stage.' },
  NOT_A_PARTICIPANT: { grpc: status.PERMISSION_DENIED, http: 403, summary: 'The member was not selected for this round.' },
  DUPLICATE_SUBMISSION: { grpc: status.ALREADY_EXISTS, http: 409, summary: 'The member already submitted for this stage.' },
  UPDATE_SHAPE_MISMATCH: { grpc: status.INVALID_ARGUMENT, http: 400, summary: "The update's length differs from the model's parameter count." },
  UPDATE_NOT_FINITE: { grpc: status.INVALID_ARGUMENT, http: 400, summary: 'The update contains NaN or Infinity.' },
  UPDATE_INCOMPLETE: { grpc: status.INVALID_ARGUMENT, http: 400, summary: 'The upload ended before all announced bytes arrived, or its header is missing.' },
  MODEL_INTEGRITY: { grpc: status.DATA_LOSS, http: 500, summary: 'A model download, model file or .onnx graph does not match its recorded SHA-256 (altered or damaged): export or pull it again.' },
  INVALID_TRANSITION: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'The round state machine does not allow this event in the current state.' },
  TOO_FEW_MEMBERS: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'Fewer members than the minimum took part; the round was aborted.' },
  DATA_INVALID: { grpc: status.INVALID_ARGUMENT, http: 400, summary: "A member's data does not fit the federation's schema." },
  SECAGG_VERIFICATION_FAILED: { grpc: status.PERMISSION_DENIED, http: 403, summary: 'A secure-aggregation key, share or signature failed verification.' },
  SECAGG_OVERFLOW: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'The masked sum would overflow the modulus; use 64-bit or a smaller clip.' },
  SECAGG_PROTOCOL_VIOLATION: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'A secure-aggregation message broke the protocol (e.g. asked for both secrets of a peer).' },
  STORE_FAILURE: { grpc: status.UNAVAILABLE, http: 503, summary: 'The database failed; the operation changed nothing and can be retried.' },
  FILE_UNREADABLE: { grpc: status.INVALID_ARGUMENT, http: 400, summary: 'A file named on the command line is missing or cannot be read.' },
  UNAVAILABLE: { grpc: status.UNAVAILABLE, http: 503, summary: 'The coordinator (or another server) could not be reached; check the address and that it runs.' },
  NO_MODEL_PUBLISHED: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'The run ended without publishing a model: every round was aborted or declined.' },
  ROUND_DECLINED: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'A member declined a round it cannot serve (its data does not fit the task); it says why.' },
  EVALUATION_ABORTED: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'The evaluation round of a published model was aborted (too few members, declines); nothing was stored.' },
  IDENTITY_EXISTS: { grpc: status.ALREADY_EXISTS, http: 409, summary: 'A member identity already exists at that path; pass --force to replace it or choose another --identity.' },
  CANCELLED: { grpc: status.CANCELLED, http: 499, summary: 'The operator cancelled the run.' },
  TASK_MISMATCH: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'A round differs from the task the member pinned at its first round (aggregation, columns, model, minimum members…); the member refused it.' },
  COORDINATOR_SIGNATURE_INVALID: { grpc: status.UNAUTHENTICATED, http: 401, summary: 'A round was not signed by the coordinator key the member pinned at enrollment; the member refused it.' },
  ROUND_POLICY_REFUSED: { grpc: status.FAILED_PRECONDITION, http: 409, summary: "A round breaks the member's own policy (plain aggregation without its opt-in, minimum members, neighbours or threshold below its floors); the member refused it." },
  AGGREGATE_REJECTED: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'A round\'s summed inputs failed a range check (a forged update); nothing was published.' },
  INSECURE_TRANSPORT: { grpc: status.FAILED_PRECONDITION, http: 400, summary: 'Plain TCP beyond loopback was refused: give TLS (--tls-cert/--tls-key on the coordinator, --tls-ca or CONSORT_TLS_CA on the agent) or pass --insecure.' },
  RATE_LIMITED: { grpc: status.RESOURCE_EXHAUSTED, http: 429, summary: 'Too many requests (or failed operator logins) from this address in the last minute; wait a minute and try again.' },
  LOG_TAMPERED: { grpc: status.DATA_LOSS, http: 500, summary: 'The audit log fails verification (an entry edited, removed or reordered, a checkpoint forged, or the tail cut off after a signed checkpoint): restore from a backup that verifies and investigate.' },
  REQUEST_TOO_LARGE: { grpc: status.RESOURCE_EXHAUSTED, http: 413, summary: 'The request is larger than this method ever needs; it was refused before it was decoded.' },
  API_TOKEN_INVALID: { grpc: status.UNAUTHENTICATED, http: 401, summary: 'No API token was given, or it is unknown, expired or revoked; ask the operator for one (consort-coordinator api-token create).' },
  NO_AUDIT_REPORT: { grpc: status.NOT_FOUND, http: 404, summary: 'No audit report is stored for this model version (or audit reports are not stored by this coordinator).' },
  INTERNAL: { grpc: status.INTERNAL, http: 500, summary: 'An unexpected error; details are in the coordinator log.' },
  PRIVACY_BUDGET_EXHAUSTED: { grpc: status.FAILED_PRECONDITION, http: 409, summary: "The task's differential-privacy budget (ε, δ) would be exceeded: the task does not start, or training stops at the last model within budget (see docs/privacy.md)." },
  AUDIT_SIGNATURE_INVALID: { grpc: status.UNAUTHENTICATED, http: 401, summary: "An audit report's Ed25519 signature does not verify over its canonical bytes, or it was signed by another key than the coordinator's: the report was altered or is not the coordinator's." },
  AUDIT_POLICY_MISMATCH: { grpc: status.FAILED_PRECONDITION, http: 409, summary: "An audit report's policy does not hash to its recorded policy hash, or differs from the policy the auditor expects: the report is refused." },
  AUDIT_RECOMPUTE_MISMATCH: { grpc: status.DATA_LOSS, http: 500, summary: "A metric recomputed from an audit report's released aggregates differs from the reported one (bit for bit); the report names the first field that differs." },
  MITIGATION_PLAN_MISMATCH: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'The mitigation plan was computed for another model version than the one given: plan again from this version\'s audit report.' },
  AUDIT_MISSING: { grpc: status.FAILED_PRECONDITION, http: 409, summary: 'The model version has no stored audit report: a released model without its audit is not released (run the audit round first).' },
};

/** A gRPC error object: status code plus the ConsortError code in metadata-free `details`. */
export interface GrpcErrorLike {
  code: status;
  details: string;
}

/**
 * Translates any thrown value into a gRPC error. Unknown errors become INTERNAL with a public
 * message that hides internals; the caller logs the original.
 */
export function toGrpcError(err: unknown): GrpcErrorLike {
  if (err instanceof ConsortError) {
    return { code: ERROR_CATALOG[err.code].grpc, details: `${err.code}: ${err.message}` };
  }
  return { code: status.INTERNAL, details: 'INTERNAL: unexpected coordinator error (see the coordinator log)' };
}
