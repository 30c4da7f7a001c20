// The tasks a member agreed to, pinned by hash at each task's first round: in memory, and on
// disk as <data folder>/tasks/<task-id>.json (owner-only) when the agent has a data folder.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsortError } from '@consort/core';
import { taskTermsHash, type TaskTerms } from './round-policy.ts';

/** One pinned task, as written to its file. */
export interface TaskPin {
  /** 2: terms hold the whole task (RoundOpen.task). Pins of version 1 held separate fields. */
  version: 2;
  taskId: string;
  /** SHA-256 of the terms' canonical JSON. */
  sha256: string;
  pinnedAt: string;
  terms: TaskTerms;
}

export class TaskPins {
  private readonly pins = new Map<string, TaskPin>();

  /** `dir`: the folder of pin files (e.g. `.consort-member/tasks`); none keeps pins in memory only. */
  constructor(private readonly dir?: string) {}

  /** A task id is the coordinator's word: encoded so that it can never leave the folder. */
  fileOf(taskId: string): string | undefined {
    return this.dir ? join(this.dir, `${encodeURIComponent(taskId)}.json`) : undefined;
  }

  /** The pinned terms of a task, if this member served it before. */
  get(taskId: string): TaskPin | undefined {
    let pin = this.pins.get(taskId);
    const path = this.fileOf(taskId);
    if (!pin && path && existsSync(path)) {
      try {
        pin = JSON.parse(readFileSync(path, 'utf8')) as TaskPin;
      } catch (err) {
        throw new ConsortError('TASK_MISMATCH', `task pin ${path} is not valid JSON (${(err as Error).message}); restore it, or delete it to agree to the task again at its next round`, { path });
      }
      if (pin.version !== 2) {
        throw new ConsortError('TASK_MISMATCH', `task pin ${path} was written by an older agent (pin version ${String(pin.version)}), which pinned the task field by field; delete it to agree to the task again at its next round`, { path });
      }
      if (pin.taskId !== taskId || taskTermsHash(pin.terms) !== pin.sha256) {
        throw new ConsortError('TASK_MISMATCH', `task pin ${path} does not match its own hash (edited or damaged); restore it, or delete it to agree to the task again at its next round`, { path });
      }
      this.pins.set(taskId, pin);
    }
    return pin;
  }

  /** Pins a task's terms (first round); never replaces an existing pin. */
  pin(terms: TaskTerms): TaskPin {
    const pin: TaskPin = { version: 2, taskId: terms.taskId, sha256: taskTermsHash(terms), pinnedAt: new Date().toISOString(), terms };
    const path = this.fileOf(terms.taskId);
    if (path && this.dir) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(path, `${JSON.stringify(pin, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    }
    this.pins.set(terms.taskId, pin);
    return pin;
  }
}
