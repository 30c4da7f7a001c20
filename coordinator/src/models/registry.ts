// The model registry: every published version of a task with its configuration, rounds, metrics, hashes and audit report.
//
// ONNX: the registry stores no .onnx bytes. A version's graph is a pure function of its member model
// file (spec, fitted pipeline, weights, and provenance fields of the same file), built on demand by
// the member's agent (`consort-agent score` / `export-onnx`); the file's contentSha256, recorded
// here, therefore pins the graph too. Storing bytes would double every version's size for a value
// anyone can rebuild and check (docs/operations.md, "Model registry").
import { ConsortError } from '@consort/core';
import type { JsonObject, ModelVersionMeta, RoundRecord, Store, TaskRecord } from '../store/store.ts';
import { buildMemberModelFile, findPublishedVersion } from './member-model-file.ts';

/** What trained a version: the task's fixed settings. */
export interface RegistryConfiguration {
  aggregation: TaskRecord['aggregation'];
  minMembers: number;
  modelSpec: unknown;
  /** The resolved task (columns, model, training, privacy) with every default spelled out. */
  definition: TaskRecord['definition'];
}

/** One published model version as the registry shows it. */
export interface RegistryEntry {
  modelVersionId: string;
  version: number;
  createdAt: string;
  task: { id: string; name: string; federationId: string };
  configuration: RegistryConfiguration;
  /** The round that published it (members as counts: the registry names no member). */
  round?: { id: string; number: number; participants: number; dropped: number };
  /** The task's rounds started up to this version's publication, and how many of them published a model. */
  roundsToDate: { started: number; published: number };
  metrics: JsonObject;
  /** SHA-256 hex of the float32 little-endian weights. */
  sha256: string;
  parameterCount: number;
  /** contentSha256 of the member model file members pull; it also determines the ONNX graph. */
  modelFileSha256: string;
  /** The version's fairness audit report, once one is attached; null until then. */
  auditReportId: string | null;
}

/** Metrics a comparison looks at: the numeric ones at the top level and under `evaluation`. */
function numericMetrics(m: JsonObject): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  const evaluation = m.evaluation;
  if (evaluation && typeof evaluation === 'object') {
    for (const [k, v] of Object.entries(evaluation as JsonObject)) if (typeof v === 'number' && Number.isFinite(v)) out[`evaluation.${k}`] = v;
  }
  return out;
}

function entryOf(task: TaskRecord, mv: ModelVersionMeta, rounds: RoundRecord[], modelFileSha256: string): RegistryEntry {
  const round = mv.roundId ? rounds.find((r) => r.id === mv.roundId) : undefined;
  const upTo = rounds.filter((r) => r.startedAt.getTime() <= mv.createdAt.getTime());
  return {
    modelVersionId: mv.id,
    version: mv.version,
    createdAt: mv.createdAt.toISOString(),
    task: { id: task.id, name: task.name, federationId: task.federationId },
    // The whole resolved task (model, features, training, privacy), as members pinned it.
    configuration: { aggregation: task.aggregation, minMembers: task.minMembers, modelSpec: task.modelSpec, definition: task.definition },
    round: round ? { id: round.id, number: round.number, participants: round.participants.length, dropped: round.dropped.length } : undefined,
    roundsToDate: { started: upTo.length, published: upTo.filter((r) => r.state === 'published').length },
    metrics: mv.metrics,
    sha256: mv.sha256,
    parameterCount: mv.parameterCount,
    modelFileSha256,
    auditReportId: mv.auditReportId ?? null,
  };
}

async function modelFileSha256(store: Store, task: TaskRecord, id: string): Promise<string> {
  return buildMemberModelFile(task, await store.getModelVersion(id)).contentSha256!;
}

/** Every published version of a task (version 0, the untrained start, is not one), oldest first. Throws NOT_FOUND. */
export async function listRegisteredModels(store: Store, taskId: string): Promise<RegistryEntry[]> {
  const task = await store.getTask(taskId);
  const [versions, rounds] = await Promise.all([store.listModelVersions(task.id), store.listRounds(task.id)]);
  const out: RegistryEntry[] = [];
  for (const mv of versions.filter((v) => v.version > 0)) out.push(entryOf(task, mv, rounds, await modelFileSha256(store, task, mv.id)));
  return out;
}

/** One version: `version` 0 = the latest published. Throws NOT_FOUND / NO_MODEL_PUBLISHED as export-model does. */
export async function getRegisteredModel(store: Store, taskId: string, version = 0): Promise<RegistryEntry> {
  const { task, mv } = await findPublishedVersion(store, { taskId, version });
  return entryOf(task, mv, await store.listRounds(task.id), await modelFileSha256(store, task, mv.id));
}

/** Two versions' numeric metrics side by side, with the change from `from` to `to`. */
export interface MetricComparison {
  taskId: string;
  from: number;
  to: number;
  metrics: { name: string; from?: number; to?: number; change?: number }[];
}

/** Compares the metrics of two published versions of a task. */
export async function compareRegisteredModels(store: Store, taskId: string, from: number, to: number): Promise<MetricComparison> {
  const [a, b] = await Promise.all([getRegisteredModel(store, taskId, from), getRegisteredModel(store, taskId, to)]);
  const ma = numericMetrics(a.metrics);
  const mb = numericMetrics(b.metrics);
  const names = [...new Set([...Object.keys(ma), ...Object.keys(mb)])].sort();
  return {
    taskId,
    from: a.version,
    to: b.version,
    metrics: names.map((name) => ({ name, from: ma[name], to: mb[name], change: ma[name] !== undefined && mb[name] !== undefined ? mb[name] - ma[name] : undefined })),
  };
}

/**
 * Attaches a stored audit report to a published version (null detaches), and logs it. The
 * report's storage belongs to the audit report module: this only records the reference.
 */
export async function attachAuditReport(store: Store, modelVersionId: string, auditReportId: string | null, actor = 'coordinator'): Promise<RegistryEntry> {
  const mv = await store.getModelVersionMeta(modelVersionId);
  if (mv.version === 0) throw new ConsortError('INVALID_ARGUMENT', `model version ${modelVersionId} is a task's untrained start; attach audit reports to published versions`);
  await store.setModelVersionAuditReport(modelVersionId, auditReportId);
  await store.appendAuditEvent({ actor, kind: auditReportId ? 'model.audit_attached' : 'model.audit_detached', subjectType: 'model', subjectId: modelVersionId, detail: { taskId: mv.taskId, version: mv.version, auditReportId } });
  return getRegisteredModel(store, mv.taskId, mv.version);
}
