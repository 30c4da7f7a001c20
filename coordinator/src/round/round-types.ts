// What a round reports to the operator and what a run of rounds is told: shared by the lifecycle, workflows and transport.
import type { BinaryEvaluation, RoundState, RoundWarning, SegmentationRoundPurpose } from '@consort/core';
import type { JsonObject } from '../store/store.ts';
import type { SecureStage } from '../secagg/secure-round.ts';
import type { Purpose } from './round-inputs.ts';

export interface DroppedMember {
  memberId: string;
  /** The member's enrolled display name, when known (declines carry it). */
  displayName?: string;
  stage: RoundState;
  reason: string;
}

/** A dropped member as the operator reads it: "Shop 2 (m_…): declined: DATA_INVALID: …". */
export function droppedText(d: Pick<DroppedMember, 'memberId' | 'displayName' | 'reason'>): string {
  return `${d.displayName ? `${d.displayName} (${d.memberId})` : d.memberId}: ${d.reason}`;
}

/** Dropped members as stored with the round: "member: reason (stage)". */
export function droppedForStore(dropped: DroppedMember[]): string[] {
  return dropped.map((d) => `${droppedText(d)} (stage ${d.stage})`);
}

/** Model rounds (train, statistics, evaluate), the secure-sum rounds of segmentation and the audit round. */
export type AnyPurpose = Purpose | SecureSumPurpose;

/** Purposes of secure-sum rounds over a packed integer layout (reweighing: group × label counts before training). */
export type SecureSumPurpose = SegmentationRoundPurpose | 'audit' | 'reweighing';

export interface RoundMetricsSummary {
  purpose: AnyPurpose;
  participants: number;
  numExamples: number;
  /** Training rounds only (null: the round trained nothing). Regression: MSE in the target's units. */
  trainLoss: number | null;
  /** Held-out loss (null when the round evaluated nothing). Regression: MSE in the target's units. */
  evalLoss: number | null;
  /** Held-out AUC; null when not measured (statistics, regression, no held-out rows). */
  evalAuc: number | null;
  evalExamples: number;
  /** Regression: root mean squared error and mean absolute error on held-out rows, in the target's units. */
  evalRmse?: number;
  evalMae?: number;
  /** Regression: coefficient of determination on held-out rows (null when their labels have no spread). */
  evalR2?: number | null;
  /** Binary: confusion counts, precision/recall/F1 at several thresholds, calibration (from summed histograms). */
  evalDetail?: BinaryEvaluation;
  minMembers: number;
  aggregation: string;
  /** Values clipped before quantization, over all members (secure rounds). */
  clipped: number;
  /** Secure rounds: seconds each secure-aggregation stage waited for its members. */
  stageSeconds?: Partial<Record<SecureStage, number>>;
  /** Named warnings (core's roundWarnings, plus zero-variance columns of a statistics round); empty when sound. */
  warnings: RoundWarning[];
  /** Tasks with differential privacy: the budget spent so far, after this round (docs/privacy.md). */
  privacy?: { epsilon: number; memberEpsilon: number; delta: number; budgetEpsilon: number; level: 'customer' | 'member' };
}

/** What the operator sees of a finished round. */
export interface RoundReport {
  roundId: string;
  number: number;
  purpose: AnyPurpose;
  state: 'published' | 'aborted';
  reason?: string;
  modelVersionId?: string;
  modelVersion?: number;
  metrics?: RoundMetricsSummary;
  participants: string[];
  dropped: DroppedMember[];
  /** What a secure-sum round (segmentation) reports beyond the common metrics. */
  detail?: JsonObject;
}

export interface RunRoundsOptions {
  /** How long to wait for minMembers to be connected before each round (default 30 s). */
  waitForMembersMs?: number;
  onReport?: (report: RoundReport) => void;
  /** Called while a round waits for members: how many are connected and how many it needs. */
  onWaiting?: (online: number, needed: number) => void;
  /** Aborting it aborts the round in progress (reason: cancelled by the operator) and stops the run. */
  signal?: AbortSignal;
}
