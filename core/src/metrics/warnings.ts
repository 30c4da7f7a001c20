// Named warnings a round raises about what it saw (never silent): carried in the round's metrics,
// printed on the operator's line, shown in the HTML report and in machine-readable output.

/** Every warning code a round can raise; docs/task-definition.md explains each. */
export const ROUND_WARNING_CODES = [
  /** Model weights were clipped to ±weightClip before aggregation. */
  'WEIGHTS_CLIPPED',
  /** Feature statistics were out of range for secure summation. */
  'STATISTICS_CLIPPED',
  /** A numeric column has no spread (or no values): it cannot inform the model. */
  'ZERO_VARIANCE_COLUMN',
  /** A member's update or a sum contained NaN or Infinity. */
  'NON_FINITE_VALUES',
  /** The training loss is not finite, or grew far beyond its first value. */
  'LOSS_DIVERGED',
  /** Every held-out row got the same score: the model does not separate anyone. */
  'CONSTANT_SCORES',
  /** Held-out AUC fell sharply (≥ 0.05) below the best earlier round's. */
  'AUC_DROPPED',
] as const;

export type RoundWarningCode = (typeof ROUND_WARNING_CODES)[number];

/** One named warning: a code a script can match, a sentence a person can act on. */
export interface RoundWarning {
  code: RoundWarningCode;
  message: string;
  /** The column it is about, when it is about one. */
  column?: string;
}
