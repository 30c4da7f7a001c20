// The Store over a generated Prisma client (SQLite or PostgreSQL); maps rows to domain records.
import { ConsortError, decodeTask, encodeTask, type ModelSpec } from '@consort/core';
import type { PrismaClient } from './generated/sqlite/client.ts';
import { auditEntryHash, GENESIS_HASH } from '../ledger/chain.ts';
import { NonceGroupCommit, type NonceGroupCommitOptions, type NonceRow } from './nonce-group-commit.ts';
import type {
  ApiRole,
  ApiTokenInput,
  ApiTokenRecord,
  AuditCheckpointRecord,
  AuditEventFilter,
  AuditReportInput,
  AuditReportMeta,
  AuditReportRecord,
  AuditEventInput,
  AuditEventRecord,
  AuditLogHead,
  EnrollmentTokenRecord,
  FederationRecord,
  JsonObject,
  MemberRecord,
  ModelVersionInput,
  ModelVersionMeta,
  ModelVersionRecord,
  RoundInput,
  RoundPatch,
  RoundResultInput,
  StrategyStateRecord,
  RoundRecord,
  Store,
  StoreProvider,
  TaskInput,
  TaskRecord,
} from './store.ts';

/**
 * The two generated clients have the same model API (same models, only provider-specific filter
 * options differ, which we do not use), so the store is written once against the SQLite client's
 * type and the PostgreSQL client is passed in under that type.
 */
export type Db = PrismaClient;
type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

// Generous limits: a completeRound writes tens of MB of weights, and the SQLite adapter queues
// transactions behind one mutex, so waiting for a turn can take a while under load.
const TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Float32Array -> float32 little-endian bytes (a view when the platform is little-endian). */
export function weightsToBytes(weights: Float32Array): Uint8Array<ArrayBuffer> {
  if (LITTLE_ENDIAN) return new Uint8Array(weights.buffer as ArrayBuffer, weights.byteOffset, weights.byteLength);
  const out = new Uint8Array(weights.length * 4);
  const view = new DataView(out.buffer);
  weights.forEach((w, i) => view.setFloat32(i * 4, w, true));
  return out;
}

/** float32 little-endian bytes -> a fresh, aligned Float32Array. */
export function bytesToWeights(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) {
    throw new ConsortError('MODEL_INTEGRITY', `Stored weights are ${bytes.byteLength} bytes, not a whole number of float32 values: the model version is corrupt; re-publish it`);
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (LITTLE_ENDIAN) return new Float32Array(copy.buffer);
  const view = new DataView(copy.buffer);
  return Float32Array.from({ length: copy.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

function prismaCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Translates a driver/Prisma failure into a ConsortError that says what to do. */
function storeError(err: unknown, action: string, unique?: string): ConsortError {
  if (err instanceof ConsortError) return err;
  const code = prismaCode(err);
  const detail = (err as Error)?.message?.split('\n').filter(Boolean).pop() ?? String(err);
  if (code === 'P2002' && unique) return new ConsortError('INVALID_ARGUMENT', `Cannot ${action}: ${unique}`, { cause: detail });
  if (code === 'P2003') {
    return new ConsortError('NOT_FOUND', `Cannot ${action}: a referenced record does not exist; check the ids you passed`, { cause: detail });
  }
  return new ConsortError('STORE_FAILURE', `Cannot ${action}: ${detail}. Check the database is reachable and writable, then retry`, { cause: detail, prismaCode: code });
}

const json = (value: unknown): string => JSON.stringify(value ?? null);
const parse = <T>(text: string): T => JSON.parse(text) as T;
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

type FederationRow = { id: string; name: string; createdAt: Date };
type MemberRow = { id: string; federationId: string; displayName: string; identityPublicKey: Uint8Array; enrolledAt: Date; lastSeenAt: Date | null; backend: string | null; revokedAt: Date | null };
type TokenRow = { id: string; federationId: string; tokenHash: string; expiresAt: Date; usedAt: Date | null; usedByMemberId: string | null };
type TaskRow = { id: string; federationId: string; name: string; definitionJson: string; modelSpecJson: string; pipelineJson: string; aggregation: string; minMembers: number; createdAt: Date };
type MetaRow = { id: string; taskId: string; version: number; roundId: string | null; sha256: string; parameterCount: number; metricsJson: string; createdAt: Date; auditReportId: string | null };
type RoundRow = {
  id: string; taskId: string; number: number; state: string; reason: string | null; deadlinesJson: string; participantsJson: string; droppedJson: string;
  secaggJson: string | null; baseModelVersionId: string; resultModelVersionId: string | null; metricsJson: string | null; startedAt: Date; updatedAt: Date; finishedAt: Date | null;
};
type AuditRow = { id: number; at: Date; actor: string; kind: string; subjectType: string; subjectId: string; detailJson: string; seq: number | null; prevHash: string | null; hash: string | null };

type ApiTokenRow = { id: string; name: string; role: string; memberId: string | null; tokenHash: string; createdAt: Date; expiresAt: Date | null; revokedAt: Date | null };

const toApiToken = (r: ApiTokenRow): ApiTokenRecord => ({
  id: r.id, name: r.name, role: r.role as ApiRole, memberId: opt(r.memberId), tokenHash: r.tokenHash, createdAt: r.createdAt, expiresAt: opt(r.expiresAt), revokedAt: opt(r.revokedAt),
});
const toFederation = (r: FederationRow): FederationRecord => ({ id: r.id, name: r.name, createdAt: r.createdAt });
const toMember = (r: MemberRow): MemberRecord => ({
  id: r.id,
  federationId: r.federationId,
  displayName: r.displayName,
  identityPublicKey: new Uint8Array(r.identityPublicKey),
  enrolledAt: r.enrolledAt,
  lastSeenAt: opt(r.lastSeenAt),
  backend: opt(r.backend),
  revokedAt: opt(r.revokedAt),
});
const toToken = (r: TokenRow): EnrollmentTokenRecord => ({
  id: r.id, federationId: r.federationId, tokenHash: r.tokenHash, expiresAt: r.expiresAt, usedAt: opt(r.usedAt), usedByMemberId: opt(r.usedByMemberId),
});
// The definition is decoded (and checked) by core on every read: rows stored before schema versions are upgraded there.
const toTask = (r: TaskRow): TaskRecord => ({
  id: r.id,
  federationId: r.federationId,
  name: r.name,
  definition: decodeTask(r.definitionJson),
  modelSpec: parse<ModelSpec | null>(r.modelSpecJson),
  pipeline: parse(r.pipelineJson),
  aggregation: r.aggregation as TaskRecord['aggregation'],
  minMembers: r.minMembers,
  createdAt: r.createdAt,
});
const toMeta = (r: MetaRow): ModelVersionMeta => ({
  id: r.id, taskId: r.taskId, version: r.version, roundId: opt(r.roundId), sha256: r.sha256, parameterCount: r.parameterCount, metrics: parse(r.metricsJson), createdAt: r.createdAt,
  auditReportId: opt(r.auditReportId),
});
const toRound = (r: RoundRow): RoundRecord => ({
  id: r.id,
  taskId: r.taskId,
  number: r.number,
  state: r.state,
  reason: opt(r.reason),
  deadlines: parse(r.deadlinesJson),
  participants: parse(r.participantsJson),
  dropped: parse(r.droppedJson),
  secagg: r.secaggJson === null ? undefined : parse<JsonObject>(r.secaggJson),
  // Stored as "" for rounds of a task that trains no model (the column predates such tasks).
  baseModelVersionId: r.baseModelVersionId || undefined,
  resultModelVersionId: opt(r.resultModelVersionId),
  metrics: r.metricsJson === null ? undefined : parse<JsonObject>(r.metricsJson),
  startedAt: r.startedAt,
  updatedAt: r.updatedAt,
  finishedAt: opt(r.finishedAt),
});
const toAudit = (r: AuditRow): AuditEventRecord => ({
  id: r.id, at: r.at, actor: r.actor, kind: r.kind, subjectType: r.subjectType, subjectId: r.subjectId, detail: parse(r.detailJson),
  seq: opt(r.seq), prevHash: opt(r.prevHash), hash: opt(r.hash),
});

const META_SELECT = { id: true, taskId: true, version: true, roundId: true, sha256: true, parameterCount: true, metricsJson: true, createdAt: true, auditReportId: true } as const;

// Any fixed 64-bit key (not the migrator's): appends to the audit log take turns across processes.
const PG_AUDIT_LOCK_KEY = 7_243_051_178;
// A concurrent append from another process that took the same seq first: re-read the head and retry.
const AUDIT_APPEND_ATTEMPTS = 8;

/** Row fields of a RoundPatch (undefined = leave alone, null = clear). */
function roundData(patch: RoundPatch) {
  const data: Record<string, unknown> = {};
  if (patch.state !== undefined) data.state = patch.state;
  if (patch.reason !== undefined) data.reason = patch.reason;
  if (patch.deadlines !== undefined) data.deadlinesJson = json(patch.deadlines);
  if (patch.participants !== undefined) data.participantsJson = json(patch.participants);
  if (patch.dropped !== undefined) data.droppedJson = json(patch.dropped);
  if (patch.secagg !== undefined) data.secaggJson = patch.secagg === null ? null : json(patch.secagg);
  if (patch.metrics !== undefined) data.metricsJson = patch.metrics === null ? null : json(patch.metrics);
  if (patch.resultModelVersionId !== undefined) data.resultModelVersionId = patch.resultModelVersionId;
  if (patch.finishedAt !== undefined) data.finishedAt = patch.finishedAt;
  return data;
}

function modelVersionData(input: ModelVersionInput, roundId?: string) {
  return {
    taskId: input.taskId,
    version: input.version,
    roundId: input.roundId ?? roundId ?? null,
    weights: weightsToBytes(input.weights),
    sha256: input.sha256,
    parameterCount: input.weights.length,
    metricsJson: json(input.metrics),
  };
}

/**
 * Compare-and-set of a round's state (on `db` or inside `tx`); throws and changes nothing on a
 * mismatch. One UPDATE … WHERE state = expected RETURNING statement: atomic without a transaction.
 */
async function casRound(tx: Tx | Db, id: string, expectedState: string, data: Record<string, unknown>): Promise<RoundRecord> {
  const [moved] = await tx.round.updateManyAndReturn({ where: { id, state: expectedState }, data });
  if (!moved) {
    const current = await tx.round.findUnique({ where: { id }, select: { state: true } });
    if (!current) throw new ConsortError('NOT_FOUND', `Round ${id} does not exist; list the task's rounds to find a valid id`, { roundId: id });
    throw new ConsortError(
      'INVALID_TRANSITION',
      `Round ${id} is in state "${current.state}", not "${expectedState}": another step moved it first; re-read the round and decide again`,
      { roundId: id, expectedState, actualState: current.state },
    );
  }
  return toRound(moved);
}

const AUDIT_REPORT_META = { id: true, taskId: true, modelVersionId: true, policyHash: true, reportSha256: true, verdict: true, createdAt: true } as const;

/** Store implementation shared by both providers. */
export class PrismaStore implements Store {
  /** Request nonces are written in group commits (one INSERT per few-ms batch). */
  private readonly nonces: NonceGroupCommit;

  constructor(
    readonly provider: StoreProvider,
    private readonly db: Db,
    nonceOptions: NonceGroupCommitOptions = {},
  ) {
    this.nonces = new NonceGroupCommit({ insertNew: (rows) => this.insertNewNonces(rows) }, (err) => storeError(err, 'record request nonce'), nonceOptions);
  }

  async close(): Promise<void> {
    await this.nonces.drain();
    await this.db.$disconnect();
  }

  private async run<T>(action: string, fn: () => Promise<T>, unique?: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storeError(err, action, unique);
    }
  }

  private tx<T>(action: string, fn: (tx: Tx) => Promise<T>, unique?: string): Promise<T> {
    return this.run(action, () => this.db.$transaction(fn, TX_OPTIONS), unique);
  }

  createFederation(name: string): Promise<FederationRecord> {
    return this.run(`create federation "${name}"`, async () => toFederation(await this.db.federation.create({ data: { name } })), 'a federation with that name exists; choose another name');
  }

  async getFederation(id: string): Promise<FederationRecord> {
    const row = await this.run('read federation', () => this.db.federation.findUnique({ where: { id } }));
    if (!row) throw new ConsortError('NOT_FOUND', `Federation ${id} does not exist; create it first or check the id`, { federationId: id });
    return toFederation(row);
  }

  async listFederations(): Promise<FederationRecord[]> {
    const rows = await this.run('list federations', () => this.db.federation.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }));
    return rows.map(toFederation);
  }

  createEnrollmentTokens(federationId: string, tokenHashes: string[], expiresAt: Date): Promise<EnrollmentTokenRecord[]> {
    return this.tx(
      'create enrollment tokens',
      async (tx) => {
        const out: EnrollmentTokenRecord[] = [];
        for (const tokenHash of tokenHashes) out.push(toToken(await tx.enrollmentToken.create({ data: { federationId, tokenHash, expiresAt } })));
        return out;
      },
      'a token with the same hash exists; generate fresh random tokens',
    );
  }

  consumeEnrollmentToken(tokenHash: string, member: { displayName: string; identityPublicKey: Uint8Array }, now: Date): Promise<MemberRecord> {
    return this.tx(
      'enroll member',
      async (tx) => {
        // One conditional UPDATE claims the token: of two concurrent consumers only one matches.
        const claimed = await tx.enrollmentToken.updateMany({ where: { tokenHash, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
        const token = await tx.enrollmentToken.findUnique({ where: { tokenHash } });
        if (!token) throw new ConsortError('ENROLLMENT_TOKEN_UNKNOWN', 'This enrollment token is not known to the coordinator; ask the operator for a new invitation');
        if (claimed.count === 0) {
          // Not claimable: either used (checked first: a used token stays "used" after expiry) or expired.
          if (token.usedAt !== null) {
            throw new ConsortError('ENROLLMENT_TOKEN_USED', 'This enrollment token was already used; each token enrolls one member: ask the operator for a new one');
          }
          throw new ConsortError('ENROLLMENT_TOKEN_EXPIRED', `This enrollment token expired at ${token.expiresAt.toISOString()}; ask the operator for a new one`);
        }
        const created = await tx.member.create({
          data: {
            federationId: token.federationId,
            displayName: member.displayName,
            identityPublicKey: new Uint8Array(member.identityPublicKey),
            enrolledAt: now,
          },
        });
        await tx.enrollmentToken.update({ where: { tokenHash }, data: { usedByMemberId: created.id } });
        return toMember(created);
      },
      'this identity key is already enrolled; generate a new identity key for a new member',
    );
  }

  async getMember(id: string): Promise<MemberRecord | undefined> {
    const row = await this.run('read member', () => this.db.member.findUnique({ where: { id } }));
    return row ? toMember(row) : undefined;
  }

  async listMembers(federationId: string): Promise<MemberRecord[]> {
    const rows = await this.run('list members', () => this.db.member.findMany({ where: { federationId }, orderBy: [{ enrolledAt: 'asc' }, { id: 'asc' }] }));
    return rows.map(toMember);
  }

  async touchMember(id: string, seen: { lastSeenAt: Date; backend?: string }): Promise<void> {
    const data = seen.backend === undefined ? { lastSeenAt: seen.lastSeenAt } : { lastSeenAt: seen.lastSeenAt, backend: seen.backend };
    const res = await this.run('update member', () => this.db.member.updateMany({ where: { id }, data }));
    if (res.count === 0) throw new ConsortError('NOT_FOUND', `Member ${id} does not exist; enroll it first`, { memberId: id });
  }

  async revokeMember(id: string, at: Date): Promise<MemberRecord> {
    // Only a member not yet revoked is updated: the first revocation time is the one kept.
    await this.run('revoke member', () => this.db.member.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } }));
    const member = await this.getMember(id);
    if (!member) throw new ConsortError('NOT_FOUND', `Member ${id} does not exist; list the federation's members with \`consort-coordinator members --federation <id>\``, { memberId: id });
    return member;
  }

  /**
   * One multi-row INSERT … ON CONFLICT DO NOTHING RETURNING (SQLite ≥ 3.35 and PostgreSQL): atomic
   * by itself, and it tells which nonces were new. Raw SQL because Prisma's createMany compiles a
   * new query plan for every row count and cannot skip duplicates on SQLite, and because an
   * explicit transaction costs a fresh SQLite connection with the libsql adapter. Dates are passed
   * as Date, which both adapters store exactly as Prisma does (checked by the contract suite).
   */
  private async insertNewNonces(rows: NonceRow[]): Promise<{ memberId: string; nonce: string }[]> {
    const params: unknown[] = [];
    const tuples = rows.map((r) => {
      params.push(r.memberId, r.nonce, r.expiresAt);
      const n = params.length;
      return this.provider === 'postgresql' ? `($${n - 2}, $${n - 1}, $${n})` : '(?, ?, ?)';
    });
    return this.db.$queryRawUnsafe<{ memberId: string; nonce: string }[]>(
      `INSERT INTO "UsedNonce" ("memberId", "nonce", "expiresAt") VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING RETURNING "memberId", "nonce"`,
      ...params,
    );
  }

  recordNonce(memberId: string, nonce: string, expiresAt: Date): Promise<void> {
    return this.nonces.record(memberId, nonce, expiresAt);
  }

  async pruneNonces(now: Date): Promise<number> {
    const res = await this.run('prune nonces', () => this.db.usedNonce.deleteMany({ where: { expiresAt: { lt: now } } }));
    this.nonces.forgetExpired(now);
    return res.count;
  }

  createTask(input: TaskInput): Promise<TaskRecord> {
    return this.run(`create task "${input.definition.name}"`, async () =>
      toTask(
        await this.db.task.create({
          data: {
            federationId: input.federationId,
            name: input.definition.name,
            definitionJson: encodeTask(input.definition),
            modelSpecJson: json(input.modelSpec),
            pipelineJson: json(input.pipeline),
            aggregation: input.definition.aggregation,
            minMembers: input.definition.minMembers,
          },
        }),
      ),
    );
  }

  async getTask(id: string): Promise<TaskRecord> {
    const row = await this.run('read task', () => this.db.task.findUnique({ where: { id } }));
    if (!row) throw new ConsortError('NOT_FOUND', `Task ${id} does not exist; list the federation's tasks to find a valid id`, { taskId: id });
    return toTask(row);
  }

  async listTasks(federationId: string): Promise<TaskRecord[]> {
    const rows = await this.run('list tasks', () => this.db.task.findMany({ where: { federationId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }));
    return rows.map(toTask);
  }

  async updateTaskPipeline(id: string, pipeline: unknown): Promise<void> {
    const res = await this.run('store task pipeline', () => this.db.task.updateMany({ where: { id }, data: { pipelineJson: json(pipeline) } }));
    if (res.count === 0) throw new ConsortError('NOT_FOUND', `Task ${id} does not exist; list the federation's tasks to find a valid id`, { taskId: id });
  }

  recordModelEvaluation(id: string, evaluation: JsonObject): Promise<void> {
    return this.tx('record model evaluation', async (tx) => {
      const row = await tx.modelVersion.findUnique({ where: { id }, select: { metricsJson: true } });
      if (!row) throw new ConsortError('NOT_FOUND', `Model version ${id} does not exist; list the task's model versions to find a valid id`, { modelVersionId: id });
      const metrics = { ...parse<JsonObject>(row.metricsJson), evaluation };
      await tx.modelVersion.update({ where: { id }, data: { metricsJson: json(metrics) } });
    });
  }

  createModelVersion(input: ModelVersionInput): Promise<ModelVersionRecord> {
    return this.run(
      `store model version ${input.version}`,
      async () => {
        const row = await this.db.modelVersion.create({ data: modelVersionData(input), select: META_SELECT });
        return { ...toMeta(row), weights: input.weights.slice() };
      },
      `task ${input.taskId} already has model version ${input.version}; use the next version number`,
    );
  }

  async getModelVersion(id: string): Promise<ModelVersionRecord> {
    const row = await this.run('read model version', () => this.db.modelVersion.findUnique({ where: { id } }));
    if (!row) throw new ConsortError('NOT_FOUND', `Model version ${id} does not exist; list the task's model versions to find a valid id`, { modelVersionId: id });
    return { ...toMeta(row), weights: bytesToWeights(row.weights) };
  }

  async getModelVersionMeta(id: string): Promise<ModelVersionMeta> {
    const row = await this.run('read model version', () => this.db.modelVersion.findUnique({ where: { id }, select: META_SELECT }));
    if (!row) throw new ConsortError('NOT_FOUND', `Model version ${id} does not exist; list the task's model versions to find a valid id`, { modelVersionId: id });
    return toMeta(row);
  }

  async latestModelVersion(taskId: string): Promise<ModelVersionMeta | undefined> {
    const row = await this.run('read model version', () => this.db.modelVersion.findFirst({ where: { taskId }, orderBy: { version: 'desc' }, select: META_SELECT }));
    return row ? toMeta(row) : undefined;
  }

  async listModelVersions(taskId: string): Promise<ModelVersionMeta[]> {
    const rows = await this.run('list model versions', () => this.db.modelVersion.findMany({ where: { taskId }, orderBy: { version: 'asc' }, select: META_SELECT }));
    return rows.map(toMeta);
  }

  async setModelVersionAuditReport(id: string, auditReportId: string | null): Promise<ModelVersionMeta> {
    const res = await this.run('attach audit report', () => this.db.modelVersion.updateMany({ where: { id }, data: { auditReportId } }));
    if (res.count === 0) throw new ConsortError('NOT_FOUND', `Model version ${id} does not exist; list the task's model versions to find a valid id`, { modelVersionId: id });
    return this.getModelVersionMeta(id);
  }

  createRound(input: RoundInput): Promise<RoundRecord> {
    return this.run(
      `create round ${input.number}`,
      async () =>
        toRound(
          await this.db.round.create({
            data: {
              taskId: input.taskId,
              number: input.number,
              state: input.state,
              deadlinesJson: json(input.deadlines),
              participantsJson: json(input.participants),
              droppedJson: json([]),
              baseModelVersionId: input.baseModelVersionId ?? '',
            },
          }),
        ),
      `task ${input.taskId} already has a round ${input.number}; use the next round number`,
    );
  }

  async getRound(id: string): Promise<RoundRecord> {
    const row = await this.run('read round', () => this.db.round.findUnique({ where: { id } }));
    if (!row) throw new ConsortError('NOT_FOUND', `Round ${id} does not exist; list the task's rounds to find a valid id`, { roundId: id });
    return toRound(row);
  }

  async listRounds(taskId: string): Promise<RoundRecord[]> {
    const rows = await this.run('list rounds', () => this.db.round.findMany({ where: { taskId }, orderBy: { number: 'asc' } }));
    return rows.map(toRound);
  }

  async listRoundsInStates(states: string[]): Promise<RoundRecord[]> {
    if (states.length === 0) return [];
    const rows = await this.run('list rounds', () => this.db.round.findMany({ where: { state: { in: states } }, orderBy: [{ startedAt: 'asc' }, { number: 'asc' }] }));
    return rows.map(toRound);
  }

  updateRound(id: string, expectedState: string, patch: RoundPatch): Promise<RoundRecord> {
    // No transaction: the compare-and-set is one statement, and with the libsql adapter every
    // transaction costs a fresh SQLite connection (a secure round moves through ~7 states).
    return this.run(`update round ${id}`, () => casRound(this.db, id, expectedState, roundData(patch)));
  }

  completeRound(id: string, expectedState: string, modelVersion: ModelVersionInput, patch: RoundPatch): Promise<{ round: RoundRecord; modelVersion: ModelVersionMeta }> {
    return this.tx(
      `complete round ${id}`,
      async (tx) => {
        // The version is written first and the round moved second: a CAS failure throws, and
        // the transaction rolls the version back with it.
        const mv = toMeta(await tx.modelVersion.create({ data: modelVersionData(modelVersion, id), select: META_SELECT }));
        const round = await casRound(tx, id, expectedState, { ...roundData(patch), resultModelVersionId: mv.id });
        return { round, modelVersion: mv };
      },
      `task ${modelVersion.taskId} already has model version ${modelVersion.version}; use the next version number`,
    );
  }

  saveAuditReport(input: AuditReportInput): Promise<AuditReportRecord> {
    return this.run(
      `store the audit report of model version ${input.modelVersionId}`,
      () => this.db.auditReport.create({ data: { ...input } }),
      `model version ${input.modelVersionId} already has an audit report (one per version: audit a new version instead)`,
    );
  }

  async getAuditReportForModelVersion(modelVersionId: string): Promise<AuditReportRecord | undefined> {
    const row = await this.run('read audit report', () => this.db.auditReport.findUnique({ where: { modelVersionId } }));
    return row ?? undefined;
  }

  async getAuditReport(id: string): Promise<AuditReportRecord> {
    const row = await this.run('read audit report', () => this.db.auditReport.findUnique({ where: { id } }));
    if (!row) throw new ConsortError('NOT_FOUND', `Audit report ${id} does not exist; list the task's audit reports to find a valid id`, { auditReportId: id });
    return row;
  }

  listAuditReports(taskId: string): Promise<AuditReportMeta[]> {
    return this.run('list audit reports', () => this.db.auditReport.findMany({ where: { taskId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: AUDIT_REPORT_META }));
  }

  closeRound(id: string, expectedState: string, patch: RoundPatch, result: RoundResultInput): Promise<{ round: RoundRecord; modelVersion?: ModelVersionMeta }> {
    const version = result.modelVersion;
    return this.tx(
      `close round ${id}`,
      async (tx) => {
        // Results first, the round's move last: a CAS failure rolls every result back with it.
        const mv = version ? toMeta(await tx.modelVersion.create({ data: modelVersionData(version, id), select: META_SELECT })) : undefined;
        if (result.strategyState) {
          if (!mv) throw new ConsortError('INVALID_ARGUMENT', `round ${id} stores optimizer state without a model version; the state belongs to the version it produced`);
          await tx.strategyState.create({ data: { taskId: mv.taskId, modelVersionId: mv.id, stateJson: json(result.strategyState) } });
        }
        if (result.pipeline) {
          const res = await tx.task.updateMany({ where: { id: result.pipeline.taskId }, data: { pipelineJson: json(result.pipeline.pipeline) } });
          if (res.count === 0) throw new ConsortError('NOT_FOUND', `Task ${result.pipeline.taskId} does not exist; list the federation's tasks to find a valid id`, { taskId: result.pipeline.taskId });
        }
        if (result.evaluation) {
          const { modelVersionId, evaluation } = result.evaluation;
          const row = await tx.modelVersion.findUnique({ where: { id: modelVersionId }, select: { metricsJson: true } });
          if (!row) throw new ConsortError('NOT_FOUND', `Model version ${modelVersionId} does not exist; list the task's model versions to find a valid id`, { modelVersionId });
          await tx.modelVersion.update({ where: { id: modelVersionId }, data: { metricsJson: json({ ...parse<JsonObject>(row.metricsJson), evaluation }) } });
        }
        const round = await casRound(tx, id, expectedState, { ...roundData(patch), ...(mv ? { resultModelVersionId: mv.id } : {}) });
        return { round, modelVersion: mv };
      },
      version ? `task ${version.taskId} already has model version ${version.version}; use the next version number` : undefined,
    );
  }

  async latestStrategyState(taskId: string): Promise<StrategyStateRecord | undefined> {
    const row = await this.run('read optimizer state', () => this.db.strategyState.findFirst({ where: { taskId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }));
    return row ? { taskId: row.taskId, modelVersionId: row.modelVersionId, state: parse<JsonObject>(row.stateJson), createdAt: row.createdAt } : undefined;
  }
  /** The last append of this store: the next one starts after it (one chain writer per process). */
  private auditTail: Promise<unknown> = Promise.resolve();

  appendAuditEvent(event: AuditEventInput): Promise<AuditEventRecord> {
    const appended = this.auditTail.then(() => this.appendChained(event));
    this.auditTail = appended.catch(() => undefined);
    return appended;
  }

  /** This process's view of the chain's head (SQLite path); re-read whenever an insert races. */
  private auditHead: AuditLogHead | undefined | null = null;

  /**
   * One append: the next seq after the head, its hash, one insert. The unique seq is what keeps
   * the chain from forking: an insert that lost a race to another process fails and is retried on
   * the new head. PostgreSQL also takes an advisory lock in a transaction, so that concurrent
   * coordinators wait their turn instead of retrying. SQLite skips the transaction (each costs a
   * fresh connection here, 25 ms per append instead of 11 ms) and caches the head between appends.
   */
  private async appendChained(event: AuditEventInput): Promise<AuditEventRecord> {
    const detailJson = json(event.detail);
    const row = (head: AuditLogHead | undefined) => {
      const at = new Date();
      const seq = (head?.seq ?? 0) + 1;
      const prevHash = head?.hash ?? GENESIS_HASH;
      const hash = auditEntryHash({ seq, prevHash, at, kind: event.kind, subjectType: event.subjectType, subjectId: event.subjectId, actor: event.actor, detail: parse(detailJson) });
      return { at, actor: event.actor, kind: event.kind, subjectType: event.subjectType, subjectId: event.subjectId, detailJson, seq, prevHash, hash };
    };
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.provider === 'postgresql') {
          return await this.tx('append audit event', async (tx) => {
            await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${PG_AUDIT_LOCK_KEY})`);
            return toAudit(await tx.auditEvent.create({ data: row(await this.chainLegacyEvents(tx)) }));
          });
        }
        if (this.auditHead === null) this.auditHead = await this.tx('chain audit events', (tx) => this.chainLegacyEvents(tx));
        const created = toAudit(await this.run('append audit event', () => this.db.auditEvent.create({ data: row(this.auditHead ?? undefined) })));
        this.auditHead = { seq: created.seq!, hash: created.hash! };
        return created;
      } catch (err) {
        this.auditHead = null;
        // P2002: another process took that seq (the unique index refused the fork); P1008: SQLite busy.
        const code = err instanceof ConsortError && err.code === 'STORE_FAILURE' ? err.details.prismaCode : undefined;
        if ((code !== 'P2002' && code !== 'P1008') || attempt >= AUDIT_APPEND_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * Chains, in id order, events written before the log was chained (a database upgraded by
   * migration 0003), then returns the head. Their content before this moment is not attested.
   */
  private async chainLegacyEvents(tx: Tx): Promise<AuditLogHead | undefined> {
    const last = await tx.auditEvent.findFirst({ where: { seq: { not: null } }, orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
    let head: AuditLogHead | undefined = last && last.seq !== null && last.hash !== null ? { seq: last.seq, hash: last.hash } : undefined;
    const legacy = await tx.auditEvent.findMany({ where: { seq: null }, orderBy: { id: 'asc' } });
    for (const row of legacy) {
      const seq = (head?.seq ?? 0) + 1;
      const prevHash = head?.hash ?? GENESIS_HASH;
      const hash = auditEntryHash({ seq, prevHash, at: row.at, kind: row.kind, subjectType: row.subjectType, subjectId: row.subjectId, actor: row.actor, detail: parse(row.detailJson) });
      await tx.auditEvent.update({ where: { id: row.id }, data: { seq, prevHash, hash } });
      head = { seq, hash };
    }
    return head;
  }

  async auditLogHead(): Promise<AuditLogHead | undefined> {
    const row = await this.run('read audit log head', () => this.db.auditEvent.findFirst({ where: { seq: { not: null } }, orderBy: { seq: 'desc' }, select: { seq: true, hash: true } }));
    return row && row.seq !== null && row.hash !== null ? { seq: row.seq, hash: row.hash } : undefined;
  }

  async appendAuditCheckpoint(cp: AuditCheckpointRecord): Promise<void> {
    await this.run('store audit log checkpoint', async () => {
      try {
        await this.db.auditCheckpoint.create({ data: { seq: cp.seq, headHash: cp.headHash, at: cp.at, publicKey: cp.publicKey, signature: cp.signature } });
      } catch (err) {
        // A checkpoint of that seq exists (a concurrent checkpointer): the first one stays.
        if (prismaCode(err) !== 'P2002') throw err;
      }
    });
  }

  async listAuditCheckpoints(): Promise<AuditCheckpointRecord[]> {
    const rows = await this.run('list audit log checkpoints', () => this.db.auditCheckpoint.findMany({ orderBy: { seq: 'asc' } }));
    return rows.map((r) => ({ seq: r.seq, headHash: r.headHash, at: r.at, publicKey: r.publicKey, signature: r.signature }));
  }

  async listAuditEvents(filter: AuditEventFilter = {}): Promise<AuditEventRecord[]> {
    const where: { subjectId?: string; kind?: string; seq?: { gt: number }; id?: { gt: number } } = {};
    if (filter.subjectId !== undefined) where.subjectId = filter.subjectId;
    if (filter.kind !== undefined) where.kind = filter.kind;
    if (filter.afterSeq !== undefined) where.seq = { gt: filter.afterSeq };
    if (filter.afterId !== undefined) where.id = { gt: filter.afterId };
    const rows = await this.run('list audit events', () => this.db.auditEvent.findMany({ where, orderBy: { id: 'asc' }, take: filter.limit }));
    return rows.map(toAudit);
  }

  async createApiToken(input: ApiTokenInput): Promise<ApiTokenRecord> {
    return toApiToken(await this.run('create API token', () => this.db.apiToken.create({
      data: { name: input.name, role: input.role, memberId: input.memberId ?? null, tokenHash: input.tokenHash, expiresAt: input.expiresAt ?? null },
    }), 'a token with this hash exists already'));
  }

  async findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    const row = await this.run('look up API token', () => this.db.apiToken.findUnique({ where: { tokenHash } }));
    return row ? toApiToken(row) : undefined;
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    const rows = await this.run('list API tokens', () => this.db.apiToken.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }));
    return rows.map(toApiToken);
  }

  async revokeApiToken(id: string, at: Date): Promise<ApiTokenRecord> {
    return this.run('revoke API token', async () => {
      const row = await this.db.apiToken.findUnique({ where: { id } });
      if (!row) throw new ConsortError('NOT_FOUND', `API token ${id} does not exist; list them with consort-coordinator api-token list`, { tokenId: id });
      if (row.revokedAt) return toApiToken(row);
      return toApiToken(await this.db.apiToken.update({ where: { id }, data: { revokedAt: at } }));
    });
  }
}
