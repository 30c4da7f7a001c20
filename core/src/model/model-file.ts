// The member model file (docs/model-file.md): a published model version as members receive it, and its checks.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { ConsortError } from '../errors/consort-error.ts';
import type { FeaturePipeline } from '../features/pipeline.ts';
import type { ModelSpec } from './model-spec.ts';

/** Format tag of the member model file; a reader refuses any other. */
export const MODEL_FILE_FORMAT = 'consort-model/1';

/** A trained model (spec + pipeline + weights) or a segmentation (centroids + profiles in metrics). */
export type ModelFileKind = 'model' | 'segmentation';

/** The member model file, built in one place on the coordinator (coordinator/src/models/member-model-file.ts). */
export interface MemberModelFile {
  format: typeof MODEL_FILE_FORMAT;
  kind: ModelFileKind;
  taskId: string;
  /** The task's name. */
  task: string;
  /** Version number within the task (1, 2, …; 0 is the untrained start and never exported). */
  version: number;
  modelVersionId: string;
  /** When the coordinator stored this version (ISO 8601). */
  createdAt: string;
  /** The trained model's spec; null for segmentation, which trains no model. */
  spec: ModelSpec | null;
  /** Fitted preprocessing (model tasks); null for segmentation (its standardization is in metrics). */
  pipeline: FeaturePipeline | null;
  /** The version's stored metrics; for segmentation k, dim, features, standardization, names, profiles. */
  metrics: Record<string, unknown>;
  /** SHA-256 (hex) of `weights` as little-endian float32, as the coordinator stored it. */
  sha256: string;
  /** Flat float32 weights (segmentation: k × dim centroids in standardized space). */
  weights: number[];
  /**
   * SHA-256 (hex) of every other field as RFC 8785 canonical JSON: the preprocessing, spec and
   * metrics are covered too, not only the weights (a scaled mean would change every score).
   */
  contentSha256?: string;
}

/** SHA-256 (hex) of float32 weights' little-endian bytes: the hash stored with every model version. */
export function weightsSha256Hex(weights: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)).digest('hex');
}

/**
 * Checks the `format` tag of a parsed model file: absent (files written before the format was
 * versioned) or MODEL_FILE_FORMAT. Throws INVALID_ARGUMENT naming `source` for any other.
 */
export function checkModelFileFormat(json: { format?: unknown }, source: string): void {
  if (json.format === undefined || json.format === MODEL_FILE_FORMAT) return;
  throw new ConsortError('INVALID_ARGUMENT',
    `${source}: model file format "${String(json.format)}" is not one this agent reads (${MODEL_FILE_FORMAT}); update the agent or export the model again`,
    { file: source, format: json.format });
}

/**
 * Recomputes the SHA-256 of `weights` and throws MODEL_INTEGRITY naming `source` when it does
 * not match `recorded` (a file edited, truncated or corrupted after export). A file without a
 * recorded hash is accepted only when `required` is false.
 */
export function verifyModelWeights(weights: Float32Array, recorded: string | undefined, source: string, required = false): void {
  if (!recorded) {
    if (!required) return;
    throw new ConsortError('MODEL_INTEGRITY', `${source}: no "sha256" of the weights is recorded; export or pull the model file again`, { file: source });
  }
  const actual = weightsSha256Hex(weights);
  if (actual !== recorded.toLowerCase()) {
    throw new ConsortError('MODEL_INTEGRITY',
      `${source}: the weights do not match the recorded sha256 ${recorded} (they hash to ${actual}); the file was altered or damaged, export or pull it again`,
      { file: source, expected: recorded, actual });
  }
}

/** SHA-256 (hex) of a model file's fields but `contentSha256` itself, as RFC 8785 canonical JSON. */
export function modelFileContentSha256(file: object): string {
  const { contentSha256: _hash, ...rest } = file as { contentSha256?: unknown };
  return createHash('sha256').update(canonicalize(rest) ?? '').digest('hex');
}

/**
 * Throws MODEL_INTEGRITY naming `source` unless the file's `contentSha256` matches its other
 * fields. Files of the versioned format must carry it; older untagged files are accepted without.
 */
export function verifyModelFileContent(json: object & { format?: unknown; contentSha256?: unknown }, source: string): void {
  if (json.contentSha256 === undefined && json.format === undefined) return;
  if (typeof json.contentSha256 !== 'string') {
    throw new ConsortError('MODEL_INTEGRITY', `${source}: no "contentSha256" is recorded; export or pull the model file again`, { file: source });
  }
  const actual = modelFileContentSha256(json);
  if (actual !== json.contentSha256.toLowerCase()) {
    throw new ConsortError('MODEL_INTEGRITY',
      `${source}: the file's content (preprocessing, spec, metrics or weights) does not match its recorded contentSha256; it was altered or damaged, export or pull it again`,
      { file: source, expected: json.contentSha256, actual });
  }
}

/** What a command that wrote a model file reports of it (one shape for export-model and pull-model). */
export function modelFileSummary(file: MemberModelFile, byteLength: number, out: string) {
  return { task: file.taskId, taskName: file.task, kind: file.kind, version: file.version, modelVersionId: file.modelVersionId, sha256: file.sha256, bytes: byteLength, out };
}
