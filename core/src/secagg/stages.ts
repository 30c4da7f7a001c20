// The stages of one secure-aggregation round and their transition table (Bonawitz et al., CCS 2017, Fig. 4).
import { ConsortError } from '../errors/consort-error.ts';

/**
 * The stages a secure round works through, in protocol order: the one list of stage names that
 * the round machine, the coordinator's reports, the in-process simulation and benchmarks use.
 */
export const SECAGG_WORKING_STAGES = ['advertise_keys', 'share_keys', 'masked_input', 'consistency_check', 'unmask'] as const;

/**
 * advertise_keys -> share_keys -> masked_input -> consistency_check -> unmask -> completed;
 * any non-terminal stage -> aborted. Training happens between share_keys and masked_input.
 */
export const SECAGG_STAGES = [...SECAGG_WORKING_STAGES, 'completed', 'aborted'] as const;

/** A stage in which members still have work to do (neither completed nor aborted). */
export type SecAggWorkingStage = (typeof SECAGG_WORKING_STAGES)[number];

export type SecAggStage = (typeof SECAGG_STAGES)[number];

/** Every allowed (from, to) pair; everything else is refused. */
export const SECAGG_TRANSITIONS: ReadonlyArray<readonly [SecAggStage, SecAggStage]> = [
  ['advertise_keys', 'share_keys'],
  ['share_keys', 'masked_input'],
  ['masked_input', 'consistency_check'],
  ['consistency_check', 'unmask'],
  ['unmask', 'completed'],
  ['advertise_keys', 'aborted'],
  ['share_keys', 'aborted'],
  ['masked_input', 'aborted'],
  ['consistency_check', 'aborted'],
  ['unmask', 'aborted'],
];

/** True when `from -> to` is in the table. */
export function canTransitionSecAgg(from: SecAggStage, to: SecAggStage): boolean {
  return SECAGG_TRANSITIONS.some(([f, t]) => f === from && t === to);
}

/** Returns `to`, or throws INVALID_TRANSITION. */
export function transitionSecAgg(from: SecAggStage, to: SecAggStage): SecAggStage {
  if (!canTransitionSecAgg(from, to)) {
    throw new ConsortError('INVALID_TRANSITION', `Secure aggregation cannot go from ${from} to ${to}.`, { from, to });
  }
  return to;
}

/** Position of a stage in the happy path (aborted is last). */
export function secaggStageIndex(stage: SecAggStage): number {
  return SECAGG_STAGES.indexOf(stage);
}

/** The WRONG_STAGE error for calling `method` in `actual` when it belongs to `expected`. */
export function wrongStage(who: string, method: string, expected: SecAggStage, actual: SecAggStage, abortReason?: string): ConsortError {
  const why = actual === 'aborted' ? ` (round aborted: ${abortReason ?? 'unknown reason'})` : '';
  return new ConsortError(
    'WRONG_STAGE',
    `${who}: ${method}() belongs to stage ${expected} but the round is in ${actual}${why}; start a fresh round with fresh keys if it cannot continue.`,
    { expected, actual },
  );
}
