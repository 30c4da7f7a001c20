// Builds the member model file (docs/model-file.md) of a stored model version: the one place its content is decided.
import {
  ConsortError, MODEL_FILE_FORMAT, modelFileContentSha256, type FeaturePipeline, type MemberModelFile,
} from '@consort/core';
import type { ModelVersionMeta, ModelVersionRecord, Store, TaskRecord } from '../store/store.ts';

/** Which version to build: `version` of `taskId` (0 = latest published), or `modelVersionId`. */
export interface ModelFileQuery {
  taskId?: string;
  version?: number;
  modelVersionId?: string;
  /** A member's federation: another federation's task answers NOT_FOUND with the store's own text, as if missing. */
  federationId?: string;
}

/** A built member model file: the document, its exact bytes, and whose federation it belongs to. */
export interface BuiltModelFile {
  file: MemberModelFile;
  /** UTF-8 JSON plus a newline: what is written to disk, byte for byte, wherever it is exported. */
  bytes: Buffer;
  federationId: string;
}

/**
 * Metrics left out of the file. The server optimizer's state is no use to a member; the held-out
 * evaluation of a version is recorded by the round after it, and a version's file must never
 * change once published (pinned copies, byte-identical exports), so it stays in the coordinator's report.
 */
const COORDINATOR_ONLY_METRICS = ['strategyState', 'evaluation'];

/** The member model file of a stored version of `task` (pure: no store access). */
export function buildMemberModelFile(task: TaskRecord, mv: ModelVersionRecord): MemberModelFile {
  const metrics = Object.fromEntries(Object.entries(mv.metrics).filter(([k]) => !COORDINATOR_ONLY_METRICS.includes(k)));
  const file: MemberModelFile = {
    format: MODEL_FILE_FORMAT,
    kind: metrics.kind === 'segmentation' ? 'segmentation' : 'model',
    taskId: task.id,
    task: task.name,
    version: mv.version,
    modelVersionId: mv.id,
    createdAt: mv.createdAt.toISOString(),
    spec: task.modelSpec,
    pipeline: (task.pipeline ?? null) as FeaturePipeline | null,
    metrics,
    sha256: mv.sha256,
    weights: Array.from(mv.weights),
  };
  return { ...file, contentSha256: modelFileContentSha256(file) };
}

/** The file's bytes: JSON in the field order above, one trailing newline. */
export function serializeModelFile(file: MemberModelFile): Buffer {
  return Buffer.from(`${JSON.stringify(file)}\n`, 'utf8');
}

/**
 * Finds the published version a query names. Version 0 of a task is its untrained start and is
 * never exported: `version: 0` means the latest version a round published. Throws
 * INVALID_ARGUMENT (no task id), NOT_FOUND (no such task or version) or NO_MODEL_PUBLISHED.
 */
export async function findPublishedVersion(store: Store, q: ModelFileQuery): Promise<{ task: TaskRecord; mv: ModelVersionMeta }> {
  const visible = (task: TaskRecord): TaskRecord => {
    if (q.federationId && task.federationId !== q.federationId) {
      throw new ConsortError('NOT_FOUND', `Task ${task.id} does not exist; list the federation's tasks to find a valid id`, { taskId: task.id });
    }
    return task;
  };
  if (q.modelVersionId) {
    const mv = await store.getModelVersionMeta(q.modelVersionId);
    const task = visible(await store.getTask(mv.taskId));
    if ((q.taskId && mv.taskId !== q.taskId) || mv.version === 0) {
      throw new ConsortError('NOT_FOUND', `model version ${q.modelVersionId} is not a published version of task ${q.taskId || mv.taskId}`, { modelVersionId: q.modelVersionId });
    }
    return { task, mv };
  }
  if (!q.taskId) throw new ConsortError('INVALID_ARGUMENT', 'name the task whose model to export (task_id / --task)');
  const task = visible(await store.getTask(q.taskId));
  const published = (await store.listModelVersions(task.id)).filter((v) => v.version > 0);
  if (published.length === 0) {
    throw new ConsortError('NO_MODEL_PUBLISHED', `task ${task.id} ("${task.name}") has no published model version yet; run its rounds first (consort-coordinator run --task ${task.id})`, { taskId: task.id });
  }
  const wanted = q.version ? published.find((v) => v.version === q.version) : published[published.length - 1];
  if (!wanted) {
    throw new ConsortError('NOT_FOUND', `task ${task.id} has no published version ${q.version}; its published versions are 1 to ${published[published.length - 1].version} (0 = latest)`, { taskId: task.id, version: q.version });
  }
  return { task, mv: wanted };
}

async function build(store: Store, task: TaskRecord, id: string): Promise<BuiltModelFile> {
  const file = buildMemberModelFile(task, await store.getModelVersion(id));
  return { file, bytes: serializeModelFile(file), federationId: task.federationId };
}

/** Finds the version a query names and builds its member model file. */
export async function memberModelFile(store: Store, q: ModelFileQuery): Promise<BuiltModelFile> {
  const { task, mv } = await findPublishedVersion(store, q);
  return build(store, task, mv.id);
}

/**
 * memberModelFile with the files of the last `capacity` versions kept built: a version's file
 * never changes, and every member of a round fetches it the moment the round closes. The query
 * (and its federation check) is still resolved on every call.
 */
export class ModelFileCache {
  private readonly built = new Map<string, Promise<BuiltModelFile>>();

  constructor(private readonly store: Store, private readonly capacity = 2) {}

  async get(q: ModelFileQuery): Promise<BuiltModelFile> {
    const { task, mv } = await findPublishedVersion(this.store, q);
    let entry = this.built.get(mv.id);
    if (!entry) {
      entry = build(this.store, task, mv.id);
      this.built.set(mv.id, entry);
      entry.catch(() => this.built.delete(mv.id));
      for (const id of this.built.keys()) if (this.built.size > this.capacity) this.built.delete(id);
    }
    return entry;
  }
}
