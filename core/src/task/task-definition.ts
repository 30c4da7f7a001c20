// What an operator declares for a task, with every default resolved in one place.
import { ConsortError } from '../errors/consort-error.ts';
import type { TrainSettings } from '../aggregate/strategy.ts';
import { resolveStrategyOptions, type StrategyOptions } from '../aggregate/strategies/strategy-options.ts';
import { EARLY_STOPPING_DEFAULTS, EarlyStopping, type EarlyStoppingOptions } from '../aggregate/strategies/early-stopping.ts';
import { DEFAULT_DROPOUT_TOLERANCE } from '../secagg/params.ts';
import type { FeatureRoles } from '../segmentation/profiles.ts';
import type { SegmentationRoundShape } from '../segmentation/rounds.ts';
import { checkTaskKeys } from './task-keys.ts';

export type Aggregation = 'secure' | 'plain';

/** A model task trains a predictor; a segmentation task runs federated k-means. */
export type TaskKind = 'model' | 'segmentation';

/** The operator's segmentation settings (task kind 'segmentation'). */
export interface SegmentationInput {
  /** Numeric behavioural columns the segments are built on (recency, frequency, monetary...). */
  features: string[];
  /** A fixed k, or a range to choose from (default 2..8). */
  k?: number | { min: number; max: number };
  /** Federated restarts per k, riding in the same rounds (default 5). */
  restarts?: number;
  /** No cluster sum or profile of fewer customers is revealed (default 20). */
  minClusterCount?: number;
  /** Which feature plays which role, for naming segments. */
  roles?: FeatureRoles;
  /** Label columns summarized per segment (e.g. churned, next_period_spend). */
  profileLabels?: string[];
  /** Profile label holding churned 0/1 (default: the first profile label whose name contains "churn"). */
  churnLabel?: string;
  /** Profile label holding a value such as spend (default: the first other profile label). */
  valueLabel?: string;
  /** Lloyd iterations at most (default 30). */
  maxIterations?: number;
}

/** Segmentation settings with defaults resolved. */
export interface SegmentationSettings {
  features: string[];
  ks: number[];
  /** The operator's k when fixed (then ks = [k]). */
  fixedK?: number;
  restarts: number;
  minClusterCount: number;
  roles: FeatureRoles;
  profileLabels: string[];
  churnLabel?: string;
  valueLabel?: string;
  maxIterations: number;
}

/**
 * The work order of one segmentation round (RoundOpen.payload_json): coordinator and members
 * derive the same vector layout from `shape` and the invited member count.
 */
export interface SegmentationWorkOrder {
  kind: 'segmentation';
  /** 'statistics' for the first round (the standard feature-statistics vector). */
  purpose: 'statistics' | SegmentationRoundShape['purpose'];
  features: string[];
  profileLabels: string[];
  shape?: SegmentationRoundShape;
  /** Centroid runs (count gate, Lloyd), or the released centroids as one run (profile). */
  runs?: number[][][];
  /** Per cluster: false withholds its sums (set from the preceding count gate). */
  include?: boolean[];
}

/** The operator's task file (JSON/YAML). Every field but name, features and label is optional. */
export interface TaskDefinitionInput {
  name: string;
  /** 'model' (default) or 'segmentation'. */
  kind?: TaskKind;
  /**
   * Target column; binary targets list the values meaning 1 in positiveLabel. Segmentation
   * tasks have no target: a task file may omit it (validation does not ask for it); typed
   * callers pass "". Required in the type so model-task code can index rows by it.
   */
  label: string;
  /** Segmentation settings (kind 'segmentation'). */
  segmentation?: SegmentationInput;
  positiveLabel?: string[];
  /** Numeric model inputs. */
  numeric?: string[];
  /** Categorical model inputs, each with the vocabulary the federation agreed on. */
  categorical?: Record<string, string[]>;
  /** Protected attributes: read for audits only, never model inputs. */
  protected?: string[];
  model?: { kind?: 'logistic' | 'mlp'; task?: 'binary' | 'regression'; hidden?: number[]; activation?: 'relu' | 'tanh'; dropout?: number; l2?: number };
  train?: Partial<TrainSettings>;
  /** Members that must survive every stage of a round (default 5, at least 2). */
  minMembers?: number;
  /** Seconds each stage may take before the round goes on without late members (default 120). */
  stageTimeoutSeconds?: number;
  /** Fraction of a round's members that may vanish without aborting it (default 0.1; sets the secure-aggregation graph degree). */
  dropoutTolerance?: number;
  /** "secure" (default) or "plain" (debug opt-out, logged as such). */
  aggregation?: Aggregation;
  /** Fraction of each member's rows held out for federated evaluation (default 0.2). */
  testFraction?: number;
  /** Seed for initial weights, splits and shuffling (default 1). */
  seed?: number;
  /** Server-side aggregation: fedavg (default), fedavgm, fedadam, fedyogi, and a local LR schedule. */
  strategy?: StrategyOptions;
  /** Fraction of connected members invited to each training round (default 1; never below minMembers). */
  sampleFraction?: number;
  /**
   * Stop training when the federated held-out loss stops improving (default on: patience 10
   * rounds, minDelta 1e-4); `false` turns it off, so every one of maxRounds rounds runs.
   */
  earlyStopping?: EarlyStoppingOptions | false;
  /** Training rounds at most (default 200); early stopping usually ends training sooner. */
  maxRounds?: number;
}

export interface TaskDefinition {
  name: string;
  kind: TaskKind;
  /** Empty for segmentation tasks. */
  label: string;
  segmentation?: SegmentationSettings;
  positiveLabel: string[];
  numeric: string[];
  categorical: string[];
  vocabularies: Record<string, string[]>;
  protected: string[];
  model: { kind: 'logistic' | 'mlp'; task: 'binary' | 'regression'; hidden: number[]; activation: 'relu' | 'tanh'; dropout: number; l2: number };
  train: TrainSettings;
  minMembers: number;
  stageTimeoutSeconds: number;
  dropoutTolerance: number;
  aggregation: Aggregation;
  testFraction: number;
  seed: number;
  strategy: StrategyOptions;
  sampleFraction: number;
  /** Undefined when the operator turned early stopping off. */
  earlyStopping?: EarlyStoppingOptions;
  /** Absent from tasks stored before the field existed: read it with `maxRoundsOf`. */
  maxRounds: number;
}

export const DEFAULT_MIN_MEMBERS = 5;

/**
 * Training defaults, chosen on the shared telco, bank-marketing and online-retail data (logistic
 * and MLP; simulations/src/bench/strategy-sweep.ts, docs/benchmarks.md): two local epochs of
 * minibatch SGD per round, plain FedAvg on the server, stopped on the federated held-out loss.
 * Every candidate reached pooled AUC; this one in the fewest rounds on all three, while server
 * momentum (FedAvgM, β 0.9) overshot on bank marketing and FedAdam (η 0.01) needed 1.3–2.5x
 * the rounds. No round count or learning rate is needed from the operator.
 */
export const TRAINING_DEFAULTS = {
  train: { localEpochs: 2, batchSize: 64, learningRate: 0.05, proximalMu: 0 } satisfies TrainSettings,
  strategy: { name: 'fedavg' } satisfies StrategyOptions,
  earlyStopping: EARLY_STOPPING_DEFAULTS satisfies Required<EarlyStoppingOptions>,
  maxRounds: 200,
} as const;

/** A stored task's round cap (tasks stored before `maxRounds` existed get the default). */
export function maxRoundsOf(def: Pick<TaskDefinition, 'maxRounds'>): number {
  return def.maxRounds ?? TRAINING_DEFAULTS.maxRounds;
}

function bad(field: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `task definition field "${field}": ${message}`, { field });
}

/**
 * Fills defaults and checks every field; errors name the field and what to write instead. An
 * unknown key anywhere (a typo such as train.learningRat) is refused with the nearest valid key.
 */
export function resolveTaskDefinition(input: TaskDefinitionInput): TaskDefinition {
  checkTaskKeys(input);
  if (!input.name?.trim()) bad('name', 'give the task a name');
  const kind = input.kind ?? 'model';
  if (kind !== 'model' && kind !== 'segmentation') bad('kind', 'use "model" or "segmentation"');
  if (kind === 'segmentation') return resolveSegmentationTask(input);
  if (!input.label?.trim()) bad('label', 'name the target column (e.g. "churned"), or set kind "segmentation" for a task without a target');
  if (input.segmentation) bad('segmentation', 'segmentation settings need kind "segmentation"');
  const label = input.label;
  const numeric = input.numeric ?? [];
  const vocabularies = input.categorical ?? {};
  const categorical = Object.keys(vocabularies);
  if (numeric.length + categorical.length === 0) bad('numeric', 'declare at least one numeric or categorical feature');
  for (const [col, vocab] of Object.entries(vocabularies)) {
    if (!Array.isArray(vocab) || vocab.length === 0) bad(`categorical.${col}`, 'list the allowed values of the column');
    if (new Set(vocab).size !== vocab.length) bad(`categorical.${col}`, 'values must be unique');
  }
  const protectedAttrs = input.protected ?? [];
  const features = [...numeric, ...categorical];
  const dupes = features.filter((f, i) => features.indexOf(f) !== i);
  if (dupes.length) bad('numeric', `column(s) ${dupes.join(', ')} declared twice`);
  if (features.includes(label)) bad('label', `the label "${label}" cannot also be a feature`);
  for (const p of protectedAttrs) {
    if (features.includes(p)) bad('protected', `"${p}" is protected and cannot be a model input`);
  }
  const modelKind = input.model?.kind ?? 'logistic';
  if (modelKind !== 'logistic' && modelKind !== 'mlp') bad('model.kind', 'use "logistic" or "mlp"');
  const task = input.model?.task ?? 'binary';
  if (task !== 'binary' && task !== 'regression') bad('model.task', 'use "binary" or "regression"');
  const hidden = input.model?.hidden ?? (modelKind === 'mlp' ? [32, 16] : []);
  if (hidden.some((h) => !Number.isInteger(h) || h < 1)) bad('model.hidden', 'hidden layer sizes must be positive integers');
  const d = TRAINING_DEFAULTS;
  const train: TrainSettings = {
    localEpochs: input.train?.localEpochs ?? d.train.localEpochs,
    batchSize: input.train?.batchSize ?? d.train.batchSize,
    learningRate: input.train?.learningRate ?? d.train.learningRate,
    proximalMu: input.train?.proximalMu ?? d.train.proximalMu,
  };
  if (!Number.isInteger(train.localEpochs) || train.localEpochs < 1) bad('train.localEpochs', 'must be an integer ≥ 1');
  if (!Number.isInteger(train.batchSize) || train.batchSize < 1) bad('train.batchSize', 'must be an integer ≥ 1');
  if (!(train.learningRate > 0)) bad('train.learningRate', 'must be > 0');
  if (!(train.proximalMu >= 0)) bad('train.proximalMu', 'must be ≥ 0');
  const minMembers = input.minMembers ?? DEFAULT_MIN_MEMBERS;
  if (!Number.isInteger(minMembers) || minMembers < 2) bad('minMembers', 'must be an integer ≥ 2 (one member alone would reveal its update)');
  const stageTimeoutSeconds = input.stageTimeoutSeconds ?? 120;
  if (!(stageTimeoutSeconds > 0)) bad('stageTimeoutSeconds', 'must be > 0');
  const dropoutTolerance = input.dropoutTolerance ?? DEFAULT_DROPOUT_TOLERANCE;
  if (!(dropoutTolerance >= 0 && dropoutTolerance < 0.5)) bad('dropoutTolerance', 'must be in [0, 0.5): the fraction of members a round may lose (e.g. 0.3); beyond half no secure round can finish');
  const aggregation = input.aggregation ?? 'secure';
  if (aggregation !== 'secure' && aggregation !== 'plain') bad('aggregation', 'use "secure" or "plain"');
  if (aggregation === 'secure' && minMembers < 3) bad('minMembers', 'secure aggregation needs at least 3 members per round (with 2, each learns the other\'s input from the sum)');
  const testFraction = input.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 0.9)) bad('testFraction', 'must be between 0 and 0.9');
  const strategy: StrategyOptions = input.strategy ?? { ...d.strategy };
  try {
    resolveStrategyOptions(strategy);
  } catch (err) {
    bad('strategy', (err as Error).message);
  }
  const earlyStopping = input.earlyStopping === false ? undefined : { ...d.earlyStopping, ...input.earlyStopping };
  try {
    if (earlyStopping) new EarlyStopping(earlyStopping);
  } catch (err) {
    bad('earlyStopping', `${(err as Error).message}; or write earlyStopping: false to run every round`);
  }
  const maxRounds = input.maxRounds ?? d.maxRounds;
  if (!Number.isInteger(maxRounds) || maxRounds < 1) bad('maxRounds', `must be an integer ≥ 1 (got ${maxRounds}); early stopping usually ends training sooner`);
  const sampleFraction = input.sampleFraction ?? 1;
  if (!(sampleFraction > 0 && sampleFraction <= 1)) bad('sampleFraction', 'must be in (0, 1]');
  return {
    name: input.name.trim(),
    kind,
    label,
    positiveLabel: input.positiveLabel ?? ['1', 'yes', 'Yes', 'true', 'True'],
    numeric,
    categorical,
    vocabularies,
    protected: protectedAttrs,
    model: {
      kind: modelKind, task, hidden,
      activation: input.model?.activation ?? 'relu',
      dropout: input.model?.dropout ?? 0,
      l2: input.model?.l2 ?? 0,
    },
    train,
    minMembers,
    stageTimeoutSeconds,
    dropoutTolerance,
    aggregation,
    testFraction,
    seed: input.seed ?? 1,
    strategy,
    sampleFraction,
    earlyStopping,
    maxRounds,
  };
}

/**
 * A segmentation task: the k-means features become the numeric columns (so the existing
 * statistics round fits their means and stds); no target, no training settings that matter.
 * Secure aggregation only: plain rounds would show the coordinator each member's cluster sums.
 */
function resolveSegmentationTask(input: TaskDefinitionInput): TaskDefinition {
  const s = input.segmentation;
  if (!s) bad('segmentation', 'a segmentation task needs "segmentation": { "features": [...] }');
  if (input.aggregation === 'plain') bad('aggregation', 'segmentation runs on secure aggregation only; remove "aggregation": "plain"');
  if (input.categorical && Object.keys(input.categorical).length > 0) bad('categorical', 'segmentation uses numeric behavioural columns only; list them in segmentation.features');
  const features = s.features ?? [];
  if (!Array.isArray(features) || features.length === 0) bad('segmentation.features', 'list the numeric behavioural columns to segment on (e.g. recency_days, frequency, monetary)');
  const dupes = features.filter((f, i) => features.indexOf(f) !== i);
  if (dupes.length) bad('segmentation.features', `column(s) ${dupes.join(', ')} listed twice`);
  let ks: number[];
  let fixedK: number | undefined;
  const k = s.k ?? { min: 2, max: 8 };
  if (typeof k === 'number') {
    if (!Number.isInteger(k) || k < 2 || k > 50) bad('segmentation.k', 'a fixed k must be an integer from 2 to 50');
    ks = [k];
    fixedK = k;
  } else {
    if (!Number.isInteger(k.min) || !Number.isInteger(k.max) || k.min < 2 || k.max < k.min || k.max > 50) bad('segmentation.k', 'give { "min": 2, "max": 8 } style integers with 2 ≤ min ≤ max ≤ 50');
    ks = Array.from({ length: k.max - k.min + 1 }, (_, i) => k.min + i);
  }
  const restarts = s.restarts ?? 5;
  if (!Number.isInteger(restarts) || restarts < 1 || restarts > 50) bad('segmentation.restarts', 'must be an integer from 1 to 50');
  const minClusterCount = s.minClusterCount ?? 20;
  if (!Number.isInteger(minClusterCount) || minClusterCount < 1) bad('segmentation.minClusterCount', 'must be an integer ≥ 1');
  const maxIterations = s.maxIterations ?? 30;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) bad('segmentation.maxIterations', 'must be an integer ≥ 1');
  const roles = s.roles ?? {};
  for (const [role, col] of Object.entries(roles)) {
    if (col !== undefined && !features.includes(col)) bad(`segmentation.roles.${role}`, `"${col}" is not one of segmentation.features`);
  }
  const profileLabels = s.profileLabels ?? [];
  for (const l of profileLabels) if (features.includes(l)) bad('segmentation.profileLabels', `"${l}" is a segmentation feature; profile labels are outcomes summarized per segment`);
  const churnLabel = s.churnLabel ?? profileLabels.find((l) => /churn/i.test(l));
  const valueLabel = s.valueLabel ?? profileLabels.find((l) => l !== churnLabel);
  for (const [field, l] of [['churnLabel', churnLabel], ['valueLabel', valueLabel]] as const) {
    if (l !== undefined && !profileLabels.includes(l)) bad(`segmentation.${field}`, `"${l}" must be one of segmentation.profileLabels`);
  }
  const base = resolveTaskDefinition({
    ...input, kind: 'model', label: '__segmentation__', segmentation: undefined, numeric: features, categorical: {}, aggregation: 'secure',
    model: { kind: 'logistic', task: 'binary' },
  });
  return {
    ...base, kind: 'segmentation', label: '', positiveLabel: [],
    segmentation: { features, ks, fixedK, restarts, minClusterCount, roles, profileLabels, churnLabel, valueLabel, maxIterations },
  };
}
