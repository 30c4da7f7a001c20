// Model downloads served from memory: every member of a round downloads the same model version,
// and each download used to read the whole weights blob (and the task) from the database again.
// A model version's weights, digest and task never change once stored, so the bytes can be kept;
// the federation check stays per request (the caller compares `federationId`).
import type { Store } from '../../store/store.ts';

/** What a download needs of a model version. */
export interface DownloadableModel {
  id: string;
  /** Federation of the version's task: only its members may download it. */
  federationId: string;
  /** SHA-256 hex of `bytes`. */
  sha256: string;
  /** float32 little-endian weights as stored. */
  bytes: Buffer;
}

export interface ModelCacheOptions {
  /** Total bytes kept (default 256 MiB); a larger model is read per download as before. */
  maxBytes?: number;
  /** Versions kept, least recently used dropped first (default 4). */
  maxEntries?: number;
}

/** Single-flight LRU of downloadable model versions: concurrent downloads share one read. */
export class ModelCache {
  private readonly entries = new Map<string, { model: Promise<DownloadableModel>; bytes: number }>();
  private readonly maxBytes: number;
  private readonly maxEntries: number;

  constructor(private readonly store: Store, options: ModelCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 256 * 2 ** 20;
    this.maxEntries = Math.max(1, options.maxEntries ?? 4);
  }

  /** The model version; rejects as the store does (NOT_FOUND, STORE_FAILURE), failures are not kept. */
  get(modelVersionId: string): Promise<DownloadableModel> {
    const hit = this.entries.get(modelVersionId);
    if (hit) {
      this.entries.delete(modelVersionId);
      this.entries.set(modelVersionId, hit);
      return hit.model;
    }
    const entry = { model: this.load(modelVersionId), bytes: 0 };
    this.entries.set(modelVersionId, entry);
    entry.model.then((m) => {
      entry.bytes = m.bytes.byteLength;
      this.evict();
    }, () => {
      if (this.entries.get(modelVersionId) === entry) this.entries.delete(modelVersionId);
    });
    return entry.model;
  }

  /** Versions held (tests). */
  get size(): number {
    return this.entries.size;
  }

  private async load(id: string): Promise<DownloadableModel> {
    const mv = await this.store.getModelVersion(id);
    const task = await this.store.getTask(mv.taskId);
    return { id: mv.id, federationId: task.federationId, sha256: mv.sha256, bytes: Buffer.from(mv.weights.buffer, mv.weights.byteOffset, mv.weights.byteLength) };
  }

  /** Drops least recently used versions beyond the bounds (a version still loading counts 0 bytes). */
  private evict(): void {
    let total = 0;
    for (const e of this.entries.values()) total += e.bytes;
    for (const [id, e] of this.entries) {
      if (total <= this.maxBytes && this.entries.size <= this.maxEntries) break;
      this.entries.delete(id);
      total -= e.bytes;
    }
  }
}
