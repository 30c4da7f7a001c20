// The member's copy of each published model: checked, then saved as <models>/<task-id>/v<N>.json and latest.json.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  ConsortError, checkModelFileFormat, verifyModelFileContent, verifyModelWeights, type MemberModelFile,
} from '@consort/core';
import type { RoundClosed__Output } from '@consort/protos/types/RoundClosed';
import type { MemberClient } from './member-client.ts';

/** Where the agent keeps models by default: `models/` next to the identity file (absolute, for the log). */
export function defaultModelsDir(identityPath: string): string {
  return resolve(dirname(identityPath), 'models');
}

/** A model file saved in the archive. */
export interface SavedModel {
  taskId: string;
  version: number;
  modelVersionId: string;
  kind: string;
  /** The pinned copy, `<dir>/<task-id>/v<N>.json`. */
  file: string;
  /** `<dir>/<task-id>/latest.json`, or undefined when a newer version is already there. */
  latest?: string;
  bytes: number;
}

/**
 * Parses and checks a member model file's bytes before anyone keeps them: its format, and its
 * weights against their recorded SHA-256 (MODEL_INTEGRITY naming `source` on a mismatch).
 */
export function checkModelFileBytes(bytes: Uint8Array, source: string): MemberModelFile {
  let file: MemberModelFile;
  try {
    file = JSON.parse(Buffer.from(bytes).toString('utf8')) as MemberModelFile;
  } catch (err) {
    throw new ConsortError('MODEL_INTEGRITY', `${source} is not valid JSON (${(err as Error).message}); pull the model again`, { file: source });
  }
  if (file === null || typeof file !== 'object' || !Array.isArray(file.weights)) {
    throw new ConsortError('MODEL_INTEGRITY', `${source} has no weights; pull the model again`, { file: source });
  }
  checkModelFileFormat(file, source);
  verifyModelFileContent(file, source);
  verifyModelWeights(Float32Array.from(file.weights), file.sha256, source, true);
  return file;
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await writeFile(`${path}.partial`, bytes);
  await rename(`${path}.partial`, path);
}

async function versionAt(path: string): Promise<number | undefined> {
  try {
    const v = (JSON.parse(await readFile(path, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined; // missing or unreadable: a fresh latest.json replaces it
  }
}

/**
 * Saves a checked model file under `dir`: the pinned `v<N>.json` always, `latest.json` unless it
 * already holds a newer version. Both are the bytes the coordinator sent, unchanged.
 */
export async function saveModelFile(dir: string, bytes: Uint8Array, source = 'model file'): Promise<SavedModel> {
  const file = checkModelFileBytes(bytes, source);
  // Task ids become folder names: refuse anything that could leave the archive.
  if (!/^[A-Za-z0-9_-]+$/.test(file.taskId ?? '') || !Number.isInteger(file.version)) {
    throw new ConsortError('INVALID_ARGUMENT', `${source} names task "${String(file.taskId)}" version ${String(file.version)}; a model file from the coordinator has a plain task id and a whole version`, { file: source });
  }
  const taskDir = join(dir, file.taskId);
  await mkdir(taskDir, { recursive: true });
  const pinned = join(taskDir, `v${file.version}.json`);
  await writeAtomically(pinned, bytes);
  const latestPath = join(taskDir, 'latest.json');
  const current = await versionAt(latestPath);
  let latest: string | undefined;
  if (current === undefined || current <= file.version) {
    await writeAtomically(latestPath, bytes);
    latest = latestPath;
  }
  return { taskId: file.taskId, version: file.version, modelVersionId: file.modelVersionId, kind: file.kind, file: pinned, latest, bytes: bytes.byteLength };
}

/** What the archive reports (the agent's logger). */
export interface ArchiveLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Keeps the models a running agent helped train: when a round it took part in closes with a new
 * model version, fetches that version's model file and saves it (one at a time, in order).
 */
export class ModelArchive {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly dir: string, private readonly client: MemberClient, private readonly log: ArchiveLogger,
    private readonly onSaved?: (saved: SavedModel) => void) {}

  /** Called for every RoundClosed the agent receives; only aggregated rounds that produced a version matter. */
  roundClosed(closed: RoundClosed__Output): void {
    if (closed.outcome !== 'aggregated' || !closed.modelVersionId) return;
    const id = closed.modelVersionId;
    this.queue = this.queue.then(async () => {
      const { bytes } = await this.client.fetchModelFile({ modelVersionId: id });
      const saved = await saveModelFile(this.dir, bytes, `model version ${id}`);
      this.log.info(`model v${saved.version} of task ${saved.taskId} saved to ${saved.file}${saved.latest ? ` (and ${saved.latest})` : ''}`);
      this.onSaved?.(saved);
    }).catch((err: Error & { details?: string }) => {
      // The model stays on the coordinator: `pull-model` fetches it later.
      this.log.warn(`could not save model version ${id}: ${err.details ?? err.message}; fetch it with "consort-agent pull-model"`);
    });
  }

  /** Resolves when every model announced so far is saved (or failed). */
  idle(): Promise<void> {
    return this.queue;
  }
}
