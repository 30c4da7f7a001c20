// Signs checkpoints of the audit log: every N appended entries and on shutdown, with the coordinator's Ed25519 key.
import type { AuditCheckpointRecord, Store } from '../store/store.ts';
import type { CoordinatorKey } from '../signing/coordinator-key.ts';
import { signCheckpoint } from './chain.ts';

/** Default entries between two checkpoints. */
export const DEFAULT_CHECKPOINT_EVERY = 100;

/** Options of AuditCheckpointer. */
export interface AuditCheckpointerOptions {
  /** Entries between two checkpoints (default DEFAULT_CHECKPOINT_EVERY). */
  every?: number;
  /** Told when a checkpoint could not be written (the append itself has succeeded). */
  onError?: (err: unknown) => void;
}

/** Makes signed checkpoints of one store's audit log. */
export class AuditCheckpointer {
  private readonly every: number;
  private lastSeq: number | undefined;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly key: CoordinatorKey,
    private readonly options: AuditCheckpointerOptions = {},
  ) {
    this.every = Math.max(1, options.every ?? DEFAULT_CHECKPOINT_EVERY);
  }

  /** Signs the current head unless it is already checkpointed; returns the checkpoint, if one was made. */
  checkpoint(): Promise<AuditCheckpointRecord | undefined> {
    const run = this.pending.then(async () => {
      const head = await this.store.auditLogHead();
      if (!head) return undefined;
      if (this.lastSeq === undefined) this.lastSeq = (await this.store.listAuditCheckpoints()).at(-1)?.seq ?? 0;
      if (head.seq <= this.lastSeq) return undefined;
      const cp = signCheckpoint({ seq: head.seq, headHash: head.hash }, this.key.secretKey);
      await this.store.appendAuditCheckpoint(cp);
      this.lastSeq = head.seq;
      return cp;
    });
    this.pending = run.catch(() => undefined);
    return run;
  }

  /** Called after each append: checkpoints once `every` entries have piled up since the last one. */
  async appended(seq: number | undefined): Promise<void> {
    if (seq === undefined) return;
    if (this.lastSeq === undefined) this.lastSeq = (await this.store.listAuditCheckpoints()).at(-1)?.seq ?? 0;
    if (seq - this.lastSeq < this.every) return;
    await this.checkpoint().catch((err: unknown) => this.options.onError?.(err));
  }
}

/**
 * The store, with a checkpoint taken after every `every`-th append. Every caller of
 * appendAuditEvent (round code, services, transports) gets checkpoints without knowing of them.
 */
export function withAuditCheckpoints(store: Store, checkpointer: AuditCheckpointer): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'appendAuditEvent') {
        return async (...args: Parameters<Store['appendAuditEvent']>) => {
          const rec = await target.appendAuditEvent(...args);
          await checkpointer.appended(rec.seq);
          return rec;
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
