// How a round gathers its members' inputs into one sum: injected into the lifecycle (plain or secure).
import type { ModVector, RoundEvent, RoundSumTotals, VectorLayout } from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import type { RoundOpen } from '@consort/protos/types/RoundOpen';
import type { Store } from '../store/store.ts';
import type { ActiveRound } from './active-round.ts';

/** What a round asks of its collector. */
export interface CollectRequest {
  /** The RoundOpen members receive (built by task-codec); a collector adds its own aggregation fields. */
  open: RoundOpen;
  timeoutMs: number;
  minMembers: number;
  dropoutTolerance: number;
  /** Plain rounds: the length of a member's float vector (0 for metrics only). */
  plainLength: number;
  /** Secure rounds: the packed vector and how members quantize into it. */
  layout: VectorLayout;
  quantization: { scaleBits: number; clip: number; maxExamples: number };
}

/** What came back: plain running sums, or the unmasked modular sum of a secure round. */
export type Collected =
  | { aggregation: 'plain'; totals: RoundSumTotals; survivors: string[] }
  | { aggregation: 'secure'; sum: ModVector; survivors: string[] };

/** The lifecycle's services a collector uses; state changes go through the lifecycle's move(). */
export interface CollectorIo {
  store: Store;
  send(memberId: string, event: CoordinatorEvent): boolean;
  move(event: RoundEvent, deadlineMs?: number): Promise<void>;
  drop(memberId: string, reason: string): void;
  audit(kind: string, detail: Record<string, unknown>): Promise<void>;
}

export interface Collector {
  readonly aggregation: 'plain' | 'secure';
  /** Runs the input stages; undefined when too few members survived them. */
  collect(round: ActiveRound, request: CollectRequest, io: CollectorIo): Promise<Collected | undefined>;
  /** Lets a collection waiting on members finish at once (cancellation). */
  unblock(round: ActiveRound): void;
}
