// The coordinator's persistence contract: domain records in, domain records out, no Prisma types.
// JSON columns are parsed inside the store; weights are Float32Array; times are Date.
import type { ModelSpec, ResolvedTask } from '@consort/core';

/** Which database a store runs on. */
export type StoreProvider = 'sqlite' | 'postgresql';

/** A JSON document as stored in a *Json column (parsed on the way out). */
export type JsonObject = Record<string, unknown>;

/** A consortium. */
export interface FederationRecord {
  id: string;
  name: string;
  createdAt: Date;
}

/** An enrolled member; identityPublicKey is its 32-byte Ed25519 key. */
export interface MemberRecord {
  id: string;
  federationId: string;
  displayName: string;
  identityPublicKey: Uint8Array;
  enrolledAt: Date;
  lastSeenAt?: Date;
  backend?: string;
  /** When the operator revoked the member; its requests are refused from then on. */
  revokedAt?: Date;
}

/** A stored enrollment token (only its SHA-256 hex hash is known to the store). */
export interface EnrollmentTokenRecord {
  id: string;
  federationId: string;
  tokenHash: string;
  expiresAt: Date;
  usedAt?: Date;
  usedByMemberId?: string;
}

/** What a task is made of: its resolved definition (core resolveTask), stored as one canonical document. */
export interface TaskInput {
  federationId: string;
  /** The task's name, aggregation and minMembers are read from it. */
  definition: ResolvedTask;
  /** The model a model task trains; null for a segmentation task. */
  modelSpec: ModelSpec | null;
  /** The fitted feature pipeline (null until the statistics round). */
  pipeline: unknown;
}

/** A stored task. */
export interface TaskRecord extends TaskInput {
  id: string;
  name: string;
  aggregation: 'secure' | 'plain';
  minMembers: number;
  createdAt: Date;
}

/** Input of createModelVersion / completeRound. */
export interface ModelVersionInput {
  taskId: string;
  version: number;
  roundId?: string;
  weights: Float32Array;
  /** SHA-256 hex of the float32 little-endian bytes (computed by the caller, stored as given). */
  sha256: string;
  metrics: JsonObject;
}

/** A model version without its weights (cheap to list). */
export interface ModelVersionMeta {
  id: string;
  taskId: string;
  version: number;
  roundId?: string;
  sha256: string;
  parameterCount: number;
  metrics: JsonObject;
  createdAt: Date;
  /** The version's audit report, once one is attached (setModelVersionAuditReport). */
  auditReportId?: string;
}

/** A model version with its weights. */
export interface ModelVersionRecord extends ModelVersionMeta {
  weights: Float32Array;
}

/** Input of createRound. */
export interface RoundInput {
  taskId: string;
  number: number;
  state: string;
  /** Deadline per stage name, epoch milliseconds. */
  deadlines: Record<string, number>;
  /** The model version the round starts from; absent for a task that trains no model (segmentation). */
  baseModelVersionId?: string;
  participants: string[];
}

/** A stored round of the state machine. */
export interface RoundRecord {
  id: string;
  taskId: string;
  number: number;
  state: string;
  reason?: string;
  deadlines: Record<string, number>;
  participants: string[];
  dropped: string[];
  secagg?: JsonObject;
  baseModelVersionId?: string;
  resultModelVersionId?: string;
  metrics?: JsonObject;
  startedAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
}

/** Fields updateRound/completeRound may change; `null` clears an optional field. */
export interface RoundPatch {
  state?: string;
  reason?: string | null;
  deadlines?: Record<string, number>;
  participants?: string[];
  dropped?: string[];
  secagg?: JsonObject | null;
  metrics?: JsonObject | null;
  resultModelVersionId?: string | null;
  finishedAt?: Date | null;
}

/** What a round keeps when it closes, written in one transaction with the round's move (closeRound). */
export interface RoundResultInput {
  /** A training (or segmentation) round's new model version; resultModelVersionId is set to it. */
  modelVersion?: ModelVersionInput;
  /** A statistics round's fitted preprocessing, stored on its task. */
  pipeline?: { taskId: string; pipeline: unknown };
  /** An evaluation's held-out quality, stored under the model version's `metrics.evaluation`. */
  evaluation?: { modelVersionId: string; evaluation: JsonObject };
  /** The server optimizer's state after producing `modelVersion` (requires it), at any size. */
  strategyState?: JsonObject;
}

/** A server optimizer's saved state, one per model version it produced. */
export interface StrategyStateRecord {
  taskId: string;
  modelVersionId: string;
  state: JsonObject;
  createdAt: Date;
}

/** Input of appendAuditEvent. */
export interface AuditEventInput {
  actor: string;
  kind: string;
  subjectType: string;
  subjectId: string;
  detail: JsonObject;
}

/**
 * A stored audit event; ids increase in append order. seq/prevHash/hash place it in the hash
 * chain (coordinator/src/ledger/chain.ts); every event appended through the store has them.
 */
export interface AuditEventRecord extends AuditEventInput {
  id: number;
  at: Date;
  seq?: number;
  prevHash?: string;
  hash?: string;
}

/** Which audit events to list (all given conditions hold). */
export interface AuditEventFilter {
  subjectId?: string;
  kind?: string;
  /** Only entries with a greater seq (a page after the last one seen). */
  afterSeq?: number;
  /** Only entries with a greater id (the HTTP API's paging; ids follow append order). */
  afterId?: number;
  /** At most this many (the first ones in append order). */
  limit?: number;
}

/** The last entry of the audit log's chain. */
export interface AuditLogHead {
  seq: number;
  hash: string;
}

/** A signed checkpoint of the audit log (see coordinator/src/ledger/chain.ts). */
export interface AuditCheckpointRecord {
  seq: number;
  headHash: string;
  at: Date;
  /** base64 Ed25519 public key that signed it (the verifier trusts its own copy, not this one). */
  publicKey: string;
  /** base64 Ed25519 signature. */
  signature: string;
}

/** Roles of HTTP API accounts (see coordinator/src/accounts/roles.ts). */
export type ApiRole = 'operator' | 'auditor' | 'member-contact';

/** Input of createApiToken; only the SHA-256 hex of the token reaches the store. */
export interface ApiTokenInput {
  name: string;
  role: ApiRole;
  /** The member a member-contact speaks for (absent for other roles). */
  memberId?: string;
  tokenHash: string;
  expiresAt?: Date;
}

/** A stored API token (an account: a person with a role). */
export interface ApiTokenRecord extends Omit<ApiTokenInput, 'tokenHash'> {
  id: string;
  tokenHash: string;
  createdAt: Date;
  revokedAt?: Date;
}

/** Input of saveAuditReport: the signed report as canonical text plus columns for listing. */
export interface AuditReportInput {
  taskId: string;
  modelVersionId: string;
  policyHash: string;
  /** SHA-256 hex of bodyJson. */
  reportSha256: string;
  /** Overall verdict: pass | fail | inconclusive. */
  verdict: string;
  /** The report body's RFC 8785 canonical JSON, exactly the bytes signed. */
  bodyJson: string;
  /** Base64 Ed25519 signature over bodyJson. */
  signature: string;
  /** Base64 of the signing public key. */
  publicKey: string;
}

/** A stored audit report without its body (cheap to list). */
export interface AuditReportMeta {
  id: string;
  taskId: string;
  modelVersionId: string;
  policyHash: string;
  reportSha256: string;
  verdict: string;
  createdAt: Date;
}

/** A stored audit report with its signed body. */
export interface AuditReportRecord extends AuditReportMeta {
  bodyJson: string;
  signature: string;
  publicKey: string;
}

/**
 * The coordinator's persistence layer. Every method is atomic; methods that check-then-write
 * (token consumption, round transitions) do so in one transaction.
 */
export interface Store {
  readonly provider: StoreProvider;
  /** Releases the connections; the store is unusable afterwards. */
  close(): Promise<void>;

  createFederation(name: string): Promise<FederationRecord>;
  /** Throws NOT_FOUND when there is no such federation. */
  getFederation(id: string): Promise<FederationRecord>;
  /** Every federation, oldest first. */
  listFederations(): Promise<FederationRecord[]>;

  /** Stores single-use tokens by their SHA-256 hex hashes. */
  createEnrollmentTokens(federationId: string, tokenHashes: string[], expiresAt: Date): Promise<EnrollmentTokenRecord[]>;
  /**
   * Marks the token used and creates the member, in one transaction. Throws
   * ENROLLMENT_TOKEN_UNKNOWN / ENROLLMENT_TOKEN_USED / ENROLLMENT_TOKEN_EXPIRED.
   */
  consumeEnrollmentToken(
    tokenHash: string,
    member: { displayName: string; identityPublicKey: Uint8Array },
    now: Date,
  ): Promise<MemberRecord>;

  getMember(id: string): Promise<MemberRecord | undefined>;
  listMembers(federationId: string): Promise<MemberRecord[]>;
  touchMember(id: string, seen: { lastSeenAt: Date; backend?: string }): Promise<void>;
  /** Marks the member revoked at `at` (kept if already revoked); throws NOT_FOUND for an unknown id. */
  revokeMember(id: string, at: Date): Promise<MemberRecord>;

  /** Remembers a request nonce; throws REPLAYED_REQUEST if (memberId, nonce) was seen before. */
  recordNonce(memberId: string, nonce: string, expiresAt: Date): Promise<void>;
  /** Forgets nonces that expired before `now`; returns how many were removed. */
  pruneNonces(now: Date): Promise<number>;

  createTask(input: TaskInput): Promise<TaskRecord>;
  /** Throws NOT_FOUND when there is no such task. */
  getTask(id: string): Promise<TaskRecord>;
  /** A federation's tasks, oldest first (empty for an unknown federation). */
  listTasks(federationId: string): Promise<TaskRecord[]>;
  /** Stores the preprocessing fitted by the task's statistics round. Throws NOT_FOUND. */
  updateTaskPipeline(id: string, pipeline: unknown): Promise<void>;

  createModelVersion(input: ModelVersionInput): Promise<ModelVersionRecord>;
  /**
   * Records the federated held-out evaluation of a model version under `metrics.evaluation`
   * (measured by the round after the one that produced it). Throws NOT_FOUND.
   */
  recordModelEvaluation(id: string, evaluation: JsonObject): Promise<void>;
  /** Throws NOT_FOUND when there is no such model version. */
  getModelVersion(id: string): Promise<ModelVersionRecord>;
  /** Throws NOT_FOUND when there is no such model version. */
  getModelVersionMeta(id: string): Promise<ModelVersionMeta>;
  latestModelVersion(taskId: string): Promise<ModelVersionMeta | undefined>;
  /** Ordered by version. */
  listModelVersions(taskId: string): Promise<ModelVersionMeta[]>;
  /** Attaches (or with null detaches) an audit report to a model version. Throws NOT_FOUND. */
  setModelVersionAuditReport(id: string, auditReportId: string | null): Promise<ModelVersionMeta>;

  createRound(input: RoundInput): Promise<RoundRecord>;
  /** Throws NOT_FOUND when there is no such round. */
  getRound(id: string): Promise<RoundRecord>;
  /** Ordered by round number. */
  listRounds(taskId: string): Promise<RoundRecord[]>;
  /** Rounds currently in any of `states` (crash recovery), oldest first. */
  listRoundsInStates(states: string[]): Promise<RoundRecord[]>;
  /**
   * Compare-and-set on `state`: applies `patch` only if the stored state is `expectedState`,
   * else throws INVALID_TRANSITION and changes nothing (NOT_FOUND for an unknown round).
   */
  updateRound(id: string, expectedState: string, patch: RoundPatch): Promise<RoundRecord>;
  /**
   * Creates the model version and moves the round (CAS as in updateRound; resultModelVersionId
   * is set to the new version) in one transaction: on any failure nothing is stored.
   */
  completeRound(
    id: string,
    expectedState: string,
    modelVersion: ModelVersionInput,
    patch: RoundPatch,
  ): Promise<{ round: RoundRecord; modelVersion: ModelVersionMeta }>;

  /**
   * Stores the signed audit report of a model version (one per version: INVALID_ARGUMENT for a
   * second; NOT_FOUND for an unknown version).
   */
  saveAuditReport(input: AuditReportInput): Promise<AuditReportRecord>;
  /** The audit report of a model version, or undefined when it has none. */
  getAuditReportForModelVersion(modelVersionId: string): Promise<AuditReportRecord | undefined>;
  /** Throws NOT_FOUND when there is no such report. */
  getAuditReport(id: string): Promise<AuditReportRecord>;
  /** A task's audit reports without bodies, oldest first. */
  listAuditReports(taskId: string): Promise<AuditReportMeta[]>;

  /**
   * Moves the round (CAS as in updateRound) and stores everything in `result` in one
   * transaction: a crash never leaves a closed round without its result, or a result without
   * its closed round. NOT_FOUND when the task or model version named in `result` is unknown.
   */
  closeRound(
    id: string,
    expectedState: string,
    patch: RoundPatch,
    result: RoundResultInput,
  ): Promise<{ round: RoundRecord; modelVersion?: ModelVersionMeta }>;

  /** The optimizer state saved with the task's newest model version that has one (undefined: none yet). */
  latestStrategyState(taskId: string): Promise<StrategyStateRecord | undefined>;

  /**
   * Appends an event to the hash-chained audit log: the next seq, the head's hash as prevHash, and
   * its own hash, under a lock (in-process queue; PostgreSQL advisory lock; unique seq), so
   * concurrent appends, even from several processes, never fork the chain.
   */
  appendAuditEvent(event: AuditEventInput): Promise<AuditEventRecord>;
  /** Events in append order, optionally filtered; `afterSeq`/`limit` page through the chain. */
  listAuditEvents(filter?: AuditEventFilter): Promise<AuditEventRecord[]>;
  /** The chain's last entry, or undefined while the log is empty. */
  auditLogHead(): Promise<AuditLogHead | undefined>;
  /** Stores a signed checkpoint (at most one per seq: a second one for the same seq is ignored). */
  appendAuditCheckpoint(checkpoint: AuditCheckpointRecord): Promise<void>;
  /** Every checkpoint, by seq. */
  listAuditCheckpoints(): Promise<AuditCheckpointRecord[]>;

  createApiToken(input: ApiTokenInput): Promise<ApiTokenRecord>;
  /** The token with this SHA-256 hex hash, revoked or expired ones included. */
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  /** Every API token, oldest first. */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** Marks the token revoked at `at` (kept if already revoked); throws NOT_FOUND for an unknown id. */
  revokeApiToken(id: string, at: Date): Promise<ApiTokenRecord>;
}
