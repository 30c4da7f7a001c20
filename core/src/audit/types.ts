// The fairness audit's data model: policy, aggregate layout, decoded aggregates and the result.

/** How a protected attribute's raw values become groups. */
export type AttributeKind = 'categorical' | 'banded';

/** A protected attribute as the policy file states it (before defaults are resolved). */
export interface AuditAttributeInput {
  /** Name used in the report and in `intersections` (e.g. "age"). */
  name: string;
  /** Column of the member's held-out rows holding it (default: `name`). */
  column?: string;
  /** categorical (default) or banded (numeric value cut at `bands` edges). */
  kind?: AttributeKind;
  /** Band edges in ascending order, for kind "banded" (e.g. [25, 35, 50, 65]). */
  bands?: number[];
  /** Band names, one more than the edges (default "<25", "25–<35", …, "≥65"). */
  bandLabels?: string[];
  /** The groups (categorical values) audited; fixed before the round so every member uses one layout. */
  groups?: string[];
  /** The reference group of signed (AIF360) and Aequitas metrics (default: the largest group). */
  reference?: string;
}

/** Metrics a check compares across groups (Aequitas-style ratio against the reference). */
export const CHECK_METRICS = ['selectionRate', 'tpr', 'fpr', 'fnr', 'ppv', 'npv', 'accuracy'] as const;
export type CheckMetric = (typeof CHECK_METRICS)[number];

/** What a member reports in the anonymous member-parity distribution. */
export type ParityMetric = 'auc' | 'accuracy';

/** The audit policy file as written (YAML or JSON). Every field but `attributes` is optional. */
export interface AuditPolicyInput {
  attributes: AuditAttributeInput[];
  /** Tuples (pairs or more) of attribute names audited jointly, e.g. [["gender", "age"]]. */
  intersections?: string[][];
  /** A control (stratifying) column: every grouping is also audited within each of its values. */
  control?: { column: string; name?: string; groups: string[] };
  /** Decision thresholds: a row is predicted positive when score ≥ threshold (default [0.5]). */
  thresholds?: number[];
  /** Score histogram bins per label (default 1000, at least 100; 1000 keeps histogram AUC within 0.002 of exact). */
  histogramBins?: number;
  /** Disparity band a ratio must stay inside (default { lo: 0.8, hi: 1.25 }). */
  band?: { lo: number; hi: number };
  /** Two-sided confidence level of every interval and the family-wise level of the checks (default 0.95). */
  confidenceLevel?: number;
  /** Cells with fewer rows are suppressed (default 10). */
  minCellCount?: number;
  /** Cells with rows from fewer members are suppressed (default 5). */
  minMembers?: number;
  /** Seeded bootstrap over the summed cell table (default 1000 resamples, seed 1). */
  bootstrap?: { resamples?: number; seed?: number };
  /** Metrics checked against the band (default selectionRate, tpr, fpr). */
  checks?: CheckMetric[];
  /** Calibration table bins (default 10; must divide histogramBins). */
  calibrationBins?: number;
  /** Member-parity distribution: metric and number of bins on [0, 1] (default auc, 20). */
  memberParity?: { metric?: ParityMetric; bins?: number };
}

/** A protected attribute with its groups resolved. */
export interface AuditAttribute {
  name: string;
  column: string;
  kind: AttributeKind;
  /** Band edges (banded only, else empty). */
  bands: number[];
  /** Group names in layout order (band labels for banded attributes). */
  groups: string[];
  /** Reference group, or null: the largest group (by n) is taken at compute time. */
  reference: string | null;
}

/** The confidence-interval method of each kind of number (stated in the report). */
export interface CiMethods {
  rate: 'wilson';
  difference: 'newcombe-hybrid-score';
  ratio: 'katz-log';
  spread: 'bootstrap-percentile';
  multipleChecks: 'holm';
}

/** A validated policy with every default resolved (hashed and recorded in the report). */
export interface AuditPolicy {
  version: 1;
  attributes: AuditAttribute[];
  intersections: string[][];
  control: { name: string; column: string; groups: string[] } | null;
  thresholds: number[];
  histogramBins: number;
  band: { lo: number; hi: number };
  confidenceLevel: number;
  minCellCount: number;
  minMembers: number;
  bootstrap: { resamples: number; seed: number };
  checks: CheckMetric[];
  calibrationBins: number;
  memberParity: { metric: ParityMetric; bins: number };
  ciMethods: CiMethods;
}

/** One way of splitting rows into cells: an attribute or an intersection, optionally within the control. */
export interface Grouping {
  /** Stable id, e.g. "gender", "gender×age", "gender|contract". */
  id: string;
  /** Attribute names (one for an attribute, several for an intersection). */
  attributes: string[];
  /** True when the grouping is stratified by the control column. */
  controlled: boolean;
  /** Cells in layout order; each key lists a group per attribute, then the control value if controlled. */
  cells: string[][];
}

/** Where one cell's numbers sit in the flat vector. */
export interface CellSlots {
  /** TP, FP, TN, FN per threshold: offset + 4·t + {0,1,2,3}. */
  confusion: number;
  /** Negative-label histogram (bins), then positive-label histogram (bins). */
  histogram: number;
  /** 1 per member with ≥ 1 row in the cell. */
  members: number;
  /** Segment counts (segments), or -1 for a scored model. */
  segments: number;
}

/**
 * The deterministic layout of the flat integer vector every member sends (its secure sum is the
 * audit's only input): [members, parity histogram, then per grouping and cell its slots].
 */
export interface AuditLayout {
  /** What the audit measures: a scored binary model or a segmentation model. */
  model: { kind: 'binary' } | { kind: 'segmentation'; segments: number };
  thresholds: number[];
  histogramBins: number;
  parity: { metric: ParityMetric; bins: number; offset: number };
  groupings: Grouping[];
  /** slots[g][c] for grouping g, cell c. */
  slots: CellSlots[][];
  /** Length of the vector. */
  length: number;
  /** Attributes and control needed to place a row (name, column, kind, bands, groups). */
  attributes: AuditAttribute[];
  control: AuditPolicy['control'];
}

/** One held-out row as a member's audit sees it. */
export interface AuditRow {
  /** Model score in [0, 1] (binary models). */
  score?: number;
  /** True label 0/1 (binary models). */
  label?: number;
  /** Segment index 0..k-1 (segmentation models). */
  segment?: number;
  /** Raw values of the protected attribute and control columns, by column name. */
  values: Record<string, string | number | null | undefined>;
}

/** Confusion counts at one threshold. */
export interface ConfusionCounts {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** One cell's summed tensors, or null when suppressed before release. */
export interface CellAggregate {
  key: string[];
  /** Members with ≥ 1 row in the cell. */
  members: number;
  /** Rows in the cell; null when the cell is withheld. */
  n: number | null;
  confusion: ConfusionCounts[] | null;
  histNeg: number[] | null;
  histPos: number[] | null;
  segments: number[] | null;
  /** Why the cell's tensors are withheld, when they are. */
  suppressed: SuppressionReason | null;
}

/** Why a cell is withheld: too few rows, too few members, or to stop a withheld cell being derived by subtraction. */
export type SuppressionReason = 'below-min-cell-count' | 'below-min-members' | 'complementary';

/** The summed vector decoded into named tensors. */
export interface AuditAggregates {
  /** Members whose vectors are in the sum. */
  members: number;
  model: AuditLayout['model'];
  thresholds: number[];
  histogramBins: number;
  groupings: Array<Omit<Grouping, 'cells'> & { cells: CellAggregate[] }>;
  /** Anonymous distribution of the members' own AUC/accuracy: counts per bin on [0, 1], plus undefined; withheld (all 0) when fewer than minMembers members are in the sum. */
  parity: { metric: ParityMetric; bins: number[]; undefined: number; withheld?: boolean };
}

/** A number with its interval and the convention it follows. */
export interface MetricValue {
  /** null when undefined (empty denominator, suppressed cell). */
  value: number | null;
  interval: [number, number] | null;
  /** Plain statement of what the number is, e.g. "Fairlearn: max − min over groups (unsigned)". */
  convention: string;
  /** How the interval was made, e.g. "wilson", "newcombe-hybrid-score", "none". */
  method: string;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** Per-group metrics at one threshold. */
export interface GroupThresholdMetrics {
  threshold: number;
  selectionRate: MetricValue;
  tpr: MetricValue;
  fpr: MetricValue;
  fnr: MetricValue;
  ppv: MetricValue;
  npv: MetricValue;
  accuracy: MetricValue;
}

export interface CalibrationRow {
  lo: number;
  hi: number;
  count: number;
  /** Mean score in the bin (histogram bin centres). */
  predicted: number | null;
  observed: number | null;
}

/** Everything about one cell. */
export interface GroupResult {
  key: string[];
  label: string;
  n: number | null;
  members: number;
  suppressed: SuppressionReason | null;
  positives: number | null;
  baseRate: MetricValue;
  atThreshold: GroupThresholdMetrics[];
  auc: MetricValue;
  calibration: CalibrationRow[];
  /** Expected calibration error over the calibration rows: Σ count·|observed − predicted| / n (null without rows). */
  ece: number | null;
  /** Share of the group's rows in each segment (segmentation), with representation ratios. */
  segments: Array<{ segment: number; count: number; representationRatio: MetricValue }> | null;
}

/** Across-group numbers of one grouping (one stratum) at one threshold. */
export interface DisparityResult {
  threshold: number;
  /** Control value when the grouping is stratified, else null. */
  stratum: string | null;
  reference: string;
  fairlearn: Record<string, MetricValue>;
  /** AIF360 signed metrics per non-reference group label. */
  aif360: Record<string, Record<string, MetricValue>>;
  /** Aequitas disparities per non-reference group label. */
  aequitas: Record<string, Record<string, MetricValue>>;
}

export interface CheckResult {
  id: string;
  grouping: string;
  stratum: string | null;
  group: string;
  /** The reference group (binary checks), or "all rows" (a segmentation representation check). */
  reference: string;
  /** A rate compared with the reference group, or 'representation': the group's share of a segment against its share of all rows. */
  metric: CheckMetric | 'representation';
  /** Decision threshold (binary checks); null for a representation check. */
  threshold: number | null;
  /** Segment index of a representation check (segmentation models only). */
  segment?: number;
  ratio: number | null;
  interval: [number, number] | null;
  /** Holm-adjusted p-value that the ratio is outside the band (fail side) and inside it (pass side). */
  pFail: number | null;
  pPass: number | null;
  verdict: Verdict;
  reason: string;
}

export interface GroupingResult {
  id: string;
  attributes: string[];
  controlled: boolean;
  groups: GroupResult[];
  disparities: DisparityResult[];
}

/** The audit's numbers, deterministic given aggregates and policy. */
export interface AuditResult {
  members: number;
  groupings: GroupingResult[];
  checks: CheckResult[];
  verdict: Verdict;
  parity: AuditAggregates['parity'];
  conventions: Record<string, string>;
}
