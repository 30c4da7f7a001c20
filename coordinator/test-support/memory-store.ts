// An in-memory Store for unit tests (not exported): the same contract as prisma-store, kept in maps.
import { randomUUID } from 'node:crypto';
import { ConsortError } from '@consort/core';
import { GENESIS_HASH, auditEntryHash } from '../src/ledger/chain.ts';
import type {
  ApiTokenInput, ApiTokenRecord, AuditCheckpointRecord, AuditEventFilter, AuditEventInput, AuditLogHead, AuditEventRecord, AuditReportInput, AuditReportMeta, AuditReportRecord,
  EnrollmentTokenRecord, FederationRecord, JsonObject, MemberRecord, ModelVersionInput, ModelVersionMeta,
  ModelVersionRecord, RoundInput, RoundPatch, RoundRecord, RoundResultInput, Store, StrategyStateRecord, TaskInput, TaskRecord,
} from '../src/store/store.ts';

const notFound = (what: string, id: string) => new ConsortError('NOT_FOUND', `${what} ${id} does not exist`);
const copy = <T>(x: T): T => structuredClone(x);

export class MemoryStore implements Store {
  readonly provider = 'sqlite' as const;
  private readonly federations = new Map<string, FederationRecord>();
  private readonly members = new Map<string, MemberRecord>();
  private readonly tokens = new Map<string, EnrollmentTokenRecord>();
  private readonly nonces = new Map<string, Date>();
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly versions = new Map<string, ModelVersionRecord>();
  private readonly rounds = new Map<string, RoundRecord>();
  private readonly audit: AuditEventRecord[] = [];
  private readonly auditReports = new Map<string, AuditReportRecord>();
  private readonly strategyStates: StrategyStateRecord[] = [];
  private readonly apiTokens = new Map<string, ApiTokenRecord>();
  private readonly checkpoints: AuditCheckpointRecord[] = [];
  /** Makes the next closeRound fail after its checks (a crash mid-close), to prove nothing half-stored stays. */
  failNextClose = false;

  async close(): Promise<void> {}

  async createFederation(name: string): Promise<FederationRecord> {
    const f = { id: randomUUID(), name, createdAt: new Date() };
    this.federations.set(f.id, f);
    return copy(f);
  }
  async getFederation(id: string): Promise<FederationRecord> {
    const f = this.federations.get(id);
    if (!f) throw notFound('Federation', id);
    return copy(f);
  }
  async listFederations(): Promise<FederationRecord[]> { return [...this.federations.values()].map(copy); }

  async createEnrollmentTokens(federationId: string, hashes: string[], expiresAt: Date): Promise<EnrollmentTokenRecord[]> {
    return hashes.map((tokenHash) => {
      const t = { id: randomUUID(), federationId, tokenHash, expiresAt };
      this.tokens.set(tokenHash, t);
      return copy(t);
    });
  }
  async consumeEnrollmentToken(tokenHash: string, member: { displayName: string; identityPublicKey: Uint8Array }, now: Date): Promise<MemberRecord> {
    const t = this.tokens.get(tokenHash);
    if (!t) throw new ConsortError('ENROLLMENT_TOKEN_UNKNOWN', 'unknown token');
    if (t.usedAt) throw new ConsortError('ENROLLMENT_TOKEN_USED', 'token used');
    if (t.expiresAt < now) throw new ConsortError('ENROLLMENT_TOKEN_EXPIRED', 'token expired');
    const m: MemberRecord = { id: randomUUID(), federationId: t.federationId, ...member, enrolledAt: now };
    t.usedAt = now;
    t.usedByMemberId = m.id;
    this.members.set(m.id, m);
    return copy(m);
  }
  async getMember(id: string): Promise<MemberRecord | undefined> { return copy(this.members.get(id)); }
  async listMembers(federationId: string): Promise<MemberRecord[]> { return [...this.members.values()].filter((m) => m.federationId === federationId).map(copy); }
  async touchMember(id: string, seen: { lastSeenAt: Date; backend?: string }): Promise<void> {
    const m = this.members.get(id);
    if (m) Object.assign(m, seen);
  }
  async revokeMember(id: string, at: Date): Promise<MemberRecord> {
    const m = this.members.get(id);
    if (!m) throw notFound('Member', id);
    m.revokedAt ??= at;
    return copy(m);
  }

  async recordNonce(memberId: string, nonce: string, expiresAt: Date): Promise<void> {
    const key = `${memberId}|${nonce}`;
    if (this.nonces.has(key)) throw new ConsortError('REPLAYED_REQUEST', 'nonce seen before');
    this.nonces.set(key, expiresAt);
  }
  async pruneNonces(now: Date): Promise<number> {
    let n = 0;
    for (const [k, exp] of this.nonces) if (exp < now && this.nonces.delete(k)) n++;
    return n;
  }

  async createTask(input: TaskInput): Promise<TaskRecord> {
    const t: TaskRecord = {
      ...copy(input), id: randomUUID(), createdAt: new Date(),
      name: input.definition.name, aggregation: input.definition.aggregation, minMembers: input.definition.minMembers,
    };
    this.tasks.set(t.id, t);
    return copy(t);
  }
  async getTask(id: string): Promise<TaskRecord> {
    const t = this.tasks.get(id);
    if (!t) throw notFound('Task', id);
    return copy(t);
  }
  async listTasks(federationId: string): Promise<TaskRecord[]> { return [...this.tasks.values()].filter((t) => t.federationId === federationId).map(copy); }
  async updateTaskPipeline(id: string, pipeline: unknown): Promise<void> {
    const t = this.tasks.get(id);
    if (!t) throw notFound('Task', id);
    t.pipeline = copy(pipeline);
  }

  async createModelVersion(input: ModelVersionInput): Promise<ModelVersionRecord> {
    if ([...this.versions.values()].some((v) => v.taskId === input.taskId && v.version === input.version)) {
      throw new ConsortError('INVALID_ARGUMENT', `task ${input.taskId} already has model version ${input.version}`);
    }
    const v: ModelVersionRecord = {
      id: randomUUID(), taskId: input.taskId, version: input.version, roundId: input.roundId, sha256: input.sha256,
      parameterCount: input.weights.length, metrics: copy(input.metrics), createdAt: new Date(), weights: input.weights.slice(),
    };
    this.versions.set(v.id, v);
    return { ...copy(v), weights: v.weights.slice() };
  }
  async recordModelEvaluation(id: string, evaluation: JsonObject): Promise<void> {
    const v = this.versions.get(id);
    if (!v) throw notFound('Model version', id);
    v.metrics = { ...v.metrics, evaluation: copy(evaluation) };
  }
  async getModelVersion(id: string): Promise<ModelVersionRecord> {
    const v = this.versions.get(id);
    if (!v) throw notFound('Model version', id);
    return { ...meta(v), weights: v.weights.slice() };
  }
  async getModelVersionMeta(id: string): Promise<ModelVersionMeta> {
    const v = this.versions.get(id);
    if (!v) throw notFound('Model version', id);
    return meta(v);
  }
  async latestModelVersion(taskId: string): Promise<ModelVersionMeta | undefined> { return (await this.listModelVersions(taskId)).at(-1); }
  async listModelVersions(taskId: string): Promise<ModelVersionMeta[]> {
    return [...this.versions.values()].filter((v) => v.taskId === taskId).sort((a, b) => a.version - b.version).map(meta);
  }

  async createRound(input: RoundInput): Promise<RoundRecord> {
    const now = new Date();
    const r: RoundRecord = { ...copy(input), id: randomUUID(), dropped: [], startedAt: now, updatedAt: now };
    this.rounds.set(r.id, r);
    return copy(r);
  }
  async getRound(id: string): Promise<RoundRecord> {
    const r = this.rounds.get(id);
    if (!r) throw notFound('Round', id);
    return copy(r);
  }
  async listRounds(taskId: string): Promise<RoundRecord[]> {
    return [...this.rounds.values()].filter((r) => r.taskId === taskId).sort((a, b) => a.number - b.number).map(copy);
  }
  async listRoundsInStates(states: string[]): Promise<RoundRecord[]> { return [...this.rounds.values()].filter((r) => states.includes(r.state)).map(copy); }
  async updateRound(id: string, expectedState: string, patch: RoundPatch): Promise<RoundRecord> {
    const r = this.casTarget(id, expectedState);
    applyPatch(r, patch);
    return copy(r);
  }
  async completeRound(id: string, expectedState: string, modelVersion: ModelVersionInput, patch: RoundPatch): Promise<{ round: RoundRecord; modelVersion: ModelVersionMeta }> {
    const { round, modelVersion: mv } = await this.closeRound(id, expectedState, patch, { modelVersion });
    return { round, modelVersion: mv! };
  }
  async closeRound(id: string, expectedState: string, patch: RoundPatch, result: RoundResultInput): Promise<{ round: RoundRecord; modelVersion?: ModelVersionMeta }> {
    // Every check first, then every write: all or nothing, as the database transaction.
    const r = this.casTarget(id, expectedState);
    if (result.pipeline && !this.tasks.has(result.pipeline.taskId)) throw notFound('Task', result.pipeline.taskId);
    if (result.evaluation && !this.versions.has(result.evaluation.modelVersionId)) throw notFound('Model version', result.evaluation.modelVersionId);
    if (result.strategyState && !result.modelVersion) throw new ConsortError('INVALID_ARGUMENT', 'optimizer state without a model version');
    if (this.failNextClose) {
      this.failNextClose = false;
      throw new ConsortError('STORE_FAILURE', 'simulated failure while closing the round');
    }
    const mv = result.modelVersion ? meta(await this.createModelVersion({ ...result.modelVersion, roundId: id })) : undefined;
    if (mv && result.strategyState) this.strategyStates.push({ taskId: mv.taskId, modelVersionId: mv.id, state: copy(result.strategyState), createdAt: new Date() });
    if (result.pipeline) await this.updateTaskPipeline(result.pipeline.taskId, result.pipeline.pipeline);
    if (result.evaluation) await this.recordModelEvaluation(result.evaluation.modelVersionId, result.evaluation.evaluation);
    applyPatch(r, { ...patch, ...(mv ? { resultModelVersionId: mv.id } : {}) });
    return { round: copy(r), modelVersion: mv };
  }

  async saveAuditReport(input: AuditReportInput): Promise<AuditReportRecord> {
    if (!this.versions.has(input.modelVersionId)) throw new ConsortError('NOT_FOUND', `Model version ${input.modelVersionId} does not exist`);
    if ([...this.auditReports.values()].some((r) => r.modelVersionId === input.modelVersionId)) {
      throw new ConsortError('INVALID_ARGUMENT', `model version ${input.modelVersionId} already has an audit report`);
    }
    const record: AuditReportRecord = { ...input, id: randomUUID(), createdAt: new Date() };
    this.auditReports.set(record.id, record);
    return { ...record };
  }

  async getAuditReportForModelVersion(modelVersionId: string): Promise<AuditReportRecord | undefined> {
    const r = [...this.auditReports.values()].find((x) => x.modelVersionId === modelVersionId);
    return r ? { ...r } : undefined;
  }

  async getAuditReport(id: string): Promise<AuditReportRecord> {
    const r = this.auditReports.get(id);
    if (!r) throw new ConsortError('NOT_FOUND', `Audit report ${id} does not exist`);
    return { ...r };
  }

  async listAuditReports(taskId: string): Promise<AuditReportMeta[]> {
    return [...this.auditReports.values()].filter((r) => r.taskId === taskId)
      .map(({ bodyJson: _b, signature: _s, publicKey: _k, ...meta }) => meta);
  }

  async latestStrategyState(taskId: string): Promise<StrategyStateRecord | undefined> {
    return copy(this.strategyStates.filter((s) => s.taskId === taskId).at(-1));
  }

  /** Chained like the real store's log (same hash), so code that verifies the chain works on it. */
  async appendAuditEvent(event: AuditEventInput): Promise<AuditEventRecord> {
    const head = this.audit.at(-1);
    const at = new Date();
    const seq = this.audit.length + 1;
    const prevHash = head?.hash ?? GENESIS_HASH;
    const detail = JSON.parse(JSON.stringify(event.detail)) as unknown;
    const hash = auditEntryHash({ seq, prevHash, at, kind: event.kind, subjectType: event.subjectType, subjectId: event.subjectId, actor: event.actor, detail });
    const e = { ...copy(event), id: seq, at, seq, prevHash, hash };
    this.audit.push(e);
    return copy(e);
  }
  async listAuditEvents(filter: AuditEventFilter = {}): Promise<AuditEventRecord[]> {
    const hits = this.audit.filter((e) => (filter.subjectId === undefined || e.subjectId === filter.subjectId) && (filter.kind === undefined || e.kind === filter.kind)
      && (filter.afterId === undefined || e.id > filter.afterId) && (filter.afterSeq === undefined || (e.seq ?? 0) > filter.afterSeq));
    return hits.slice(0, filter.limit ?? hits.length).map(copy);
  }

  async auditLogHead(): Promise<AuditLogHead | undefined> {
    const last = this.audit.at(-1);
    return last ? { seq: last.seq!, hash: last.hash! } : undefined;
  }
  async appendAuditCheckpoint(checkpoint: AuditCheckpointRecord): Promise<void> {
    if (!this.checkpoints.some((c) => c.seq === checkpoint.seq)) this.checkpoints.push(copy(checkpoint));
  }
  async listAuditCheckpoints(): Promise<AuditCheckpointRecord[]> { return [...this.checkpoints].sort((a, b) => a.seq - b.seq).map(copy); }

  async setModelVersionAuditReport(id: string, auditReportId: string | null): Promise<ModelVersionMeta> {
    const v = this.versions.get(id);
    if (!v) throw notFound('Model version', id);
    v.auditReportId = auditReportId ?? undefined;
    return meta(v);
  }

  async createApiToken(input: ApiTokenInput): Promise<ApiTokenRecord> {
    if ([...this.apiTokens.values()].some((t) => t.tokenHash === input.tokenHash)) throw new ConsortError('INVALID_ARGUMENT', 'an API token with this hash exists');
    const t: ApiTokenRecord = { ...copy(input), id: randomUUID(), createdAt: new Date() };
    this.apiTokens.set(t.id, t);
    return copy(t);
  }
  async findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    const t = [...this.apiTokens.values()].find((x) => x.tokenHash === tokenHash);
    return t && copy(t);
  }
  async listApiTokens(): Promise<ApiTokenRecord[]> { return [...this.apiTokens.values()].map(copy); }
  async revokeApiToken(id: string, at: Date): Promise<ApiTokenRecord> {
    const t = this.apiTokens.get(id);
    if (!t) throw notFound('API token', id);
    t.revokedAt ??= at;
    return copy(t);
  }

  private casTarget(id: string, expectedState: string): RoundRecord {
    const r = this.rounds.get(id);
    if (!r) throw notFound('Round', id);
    if (r.state !== expectedState) throw new ConsortError('INVALID_TRANSITION', `round ${id} is ${r.state}, not ${expectedState}`);
    return r;
  }
}

function meta(v: ModelVersionRecord): ModelVersionMeta {
  const { weights: _weights, ...rest } = v;
  return copy(rest);
}

function applyPatch(r: RoundRecord, patch: RoundPatch): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    (r as unknown as Record<string, unknown>)[k] = v === null ? undefined : copy(v);
  }
  r.updatedAt = new Date();
}
