// What an operator declares for a task, with every default resolved in one place.
import { parse as parseYaml } from 'yaml';
import { ConsortError } from '../errors/consort-error.ts';
import type { TrainSettings } from '../aggregate/strategy.ts';
import { resolveStrategyOptions, type StrategyOptions } from '../aggregate/strategies/strategy-options.ts';
import { EARLY_STOPPING_DEFAULTS, EarlyStopping, type EarlyStoppingOptions } from '../aggregate/strategies/early-stopping.ts';
import { DEFAULT_DROPOUT_TOLERANCE } from '../secagg/params.ts';
import type { FeatureRoles } from '../segmentation/profiles.ts';
import type { SegmentationRoundShape } from '../segmentation/rounds.ts';
import { checkTaskKeys } from './task-keys.ts';
import { resolvePrivacyOptions, type PrivacyOptions } from '../privacy/privacy-options.ts';
import { resolveSegmentationPrivacy, type SegmentationPrivacy } from '../privacy/segmentation-release.ts';
import { parseAuditPolicy, policyHash } from '../audit/policy.ts';
import type { AuditPolicy } from '../audit/types.ts';

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

/**
 * The task's fairness audit, run on the final version of every training run (docs/audits.md). The
 * policy is fixed when the task is created: it is part of the task (and of the hash members pin).
 */
export interface TaskAuditInput {
  /** The audit policy itself (docs/audits.md), as an object. */
  policy?: unknown;
  /**
   * A policy file, relative to the task file: the task-file commands (create-task --file,
   * federate) read it and embed it as `policy`; the resolver itself reads no file.
   */
  policyFile?: string;
  /** What the model is for, stated in every report. */
  intendedUse?: string;
  /** The period the members' held-out rows cover, stated in every report. */
  dataWindow?: string;
}

/** The task's audit with its policy resolved and hashed. */
export interface TaskAudit {
  policy: AuditPolicy;
  /** SHA-256 of the policy's canonical JSON (core policyHash), recorded in every report. */
  policyHash: string;
  intendedUse?: string;
  dataWindow?: string;
}

/** Mitigations members apply while training (docs/audits.md, "Mitigation"). */
export interface TaskMitigationInput {
  /** Reweighing by group × label (Kamiran & Calders 2012) over these audit-policy attributes (crossed). */
  reweighing?: { attributes?: string[] };
}

/** The task's mitigations, checked against its audit policy. */
export interface TaskMitigation {
  /** Audit-policy attribute names whose cells (their cross product) are reweighed. */
  reweighing?: { attributes: string[] };
}

/** The operator's task file (JSON/YAML). Every field but name and the kind's own fields is optional. */
export interface TaskDefinitionInput {
  name: string;
  /** 'model' (default) or 'segmentation'. */
  kind?: TaskKind;
  /** Target column of a model task; binary targets list the values meaning 1 in positiveLabel. Segmentation tasks have none. */
  label?: string;
  /** Segmentation settings (kind 'segmentation'). */
  segmentation?: SegmentationInput;
  positiveLabel?: string[];
  /** Numeric model inputs. */
  numeric?: string[];
  /** Categorical model inputs, each with the vocabulary the federation agreed on. */
  categorical?: Record<string, string[]>;
  /** Protected attributes: columns members read for fairness audits; never model inputs unless listed in protectedInputs. */
  protected?: string[];
  /** Protected attributes the operator explicitly allows as model inputs too (each must be listed in protected). */
  protectedInputs?: string[];
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
  /** Differential privacy with a budget (docs/privacy.md); resolved by resolvePrivacyOptions. */
  privacy?: unknown;
  /** Audit every trained model's final version with this policy (model tasks, binary only). */
  audit?: TaskAuditInput;
  /** Mitigations members apply in local training (binary model tasks with an audit policy). */
  mitigation?: TaskMitigationInput;
}

/** What every resolved task holds, whatever its kind. */
export interface TaskCommon {
  name: string;
  /** Columns members read for audits (fairness by group); never sent in the clear. */
  protected: string[];
  /** The protected attributes that are also model inputs (the operator's explicit opt-in); a subset of `protected`. */
  protectedInputs: string[];
  minMembers: number;
  stageTimeoutSeconds: number;
  dropoutTolerance: number;
  aggregation: Aggregation;
  seed: number;
}

/** A predictor trained by federated rounds: binary or regression, logistic/linear or MLP. */
export interface ModelTask extends TaskCommon {
  kind: 'model';
  label: string;
  positiveLabel: string[];
  numeric: string[];
  categorical: string[];
  vocabularies: Record<string, string[]>;
  model: { kind: 'logistic' | 'mlp'; task: 'binary' | 'regression'; hidden: number[]; activation: 'relu' | 'tanh'; dropout: number; l2: number };
  train: TrainSettings;
  testFraction: number;
  strategy: StrategyOptions;
  sampleFraction: number;
  /** Undefined when the operator turned early stopping off. */
  earlyStopping?: EarlyStoppingOptions;
  maxRounds: number;
  /** Differential privacy; absent = none (and absent from tasks stored before it existed). */
  privacy?: PrivacyOptions;
  /** The automatic fairness audit of each run's final version; absent = none. */
  audit?: TaskAudit;
  /** Mitigations members apply while training; absent = none. */
  mitigation?: TaskMitigation;
}

/** Federated k-means over members' behavioural columns: no target, no trained model. */
export interface SegmentationTask extends TaskCommon {
  kind: 'segmentation';
  /** Segmentation runs on secure aggregation only. */
  aggregation: 'secure';
  segmentation: SegmentationSettings;
  /** Customer-level differential privacy of every segmentation round; absent = exact sums. */
  privacy?: SegmentationPrivacy;
  /** The automatic fairness audit (representation of groups in segments) of each published version; absent = none. */
  audit?: TaskAudit;
}

/** A task file resolved: every field checked and every default filled, one shape per kind. */
export type ResolvedTask = ModelTask | SegmentationTask;

/** The resolved model task (the name most model-only code knows it by). */
export type TaskDefinition = ModelTask;

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
export function maxRoundsOf(def: Pick<ModelTask, 'maxRounds'>): number {
  return def.maxRounds ?? TRAINING_DEFAULTS.maxRounds;
}

function bad(field: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `task definition field "${field}": ${message}`, { field });
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A list of column names (or values); the field is named when it is anything else. */
function names(field: string, v: unknown, fallback: string[] = []): string[] {
  if (v === undefined) return [...fallback];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) bad(field, 'write a list of names, e.g. [a, b]');
  return [...(v as string[])];
}

/**
 * Task-file text (YAML, or JSON, which YAML reads too) as a plain object. `source` names the
 * text in messages (e.g. the file path). Pure: the caller reads the file.
 */
export function parseTaskText(text: string, source = 'task file'): Record<string, unknown> {
  const see = 'see docs/task-definition.md';
  if (text.trim() === '') throw new ConsortError('INVALID_ARGUMENT', `${source} is empty; write the task's settings in it (${see})`, { file: source });
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${source} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`, { file: source });
  }
  if (!isPlainObject(doc)) {
    const held = doc === null ? 'nothing' : Array.isArray(doc) ? 'a list' : `a single ${typeof doc}`;
    throw new ConsortError('INVALID_ARGUMENT', `${source} is not a mapping of settings (it holds ${held}); write "name: …", "label: …" and so on (${see})`, { file: source });
  }
  return doc;
}

/** The caller's file I/O for an `audit.policyFile` (core has none): where the path points, and the file's text (throwing as node:fs does). */
export interface PolicyFileAccess {
  /** The path of the policy file, resolved relative to the task file. */
  locate(policyFile: string): string;
  read(file: string): string;
}

/**
 * A task file's `audit.policyFile`, read through `readPolicy` (the caller's file I/O, which
 * locates the path relative to the task file and reads it) and embedded as `audit.policy`, so the policy
 * is fixed (and hashed) with the task. The one rule for every task-file reader: the
 * coordinator's create-task --file and federate, and the member's validate and prepare.
 */
export function embedAuditPolicyFile(input: Record<string, unknown>, source: string, access: PolicyFileAccess): Record<string, unknown> {
  const audit = input.audit;
  if (!isPlainObject(audit) || audit.policyFile === undefined) return input;
  if (typeof audit.policyFile !== 'string' || audit.policyFile.trim() === '') {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: task definition field "audit.policyFile": name the policy file (relative to the task file)`, { field: 'audit.policyFile', file: source });
  }
  if (audit.policy !== undefined) {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: task definition field "audit.policyFile": give the policy once, as audit.policy or audit.policyFile`, { field: 'audit.policyFile', file: source });
  }
  const file = access.locate(audit.policyFile);
  let text: string;
  try {
    text = access.read(file);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') {
      throw new ConsortError('FILE_UNREADABLE', `${source}: audit.policyFile ${file} does not exist (the path is relative to the task file)`, { file });
    }
    throw err;
  }
  let policy: unknown;
  try {
    policy = parseYaml(text);
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: audit policy file ${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`, { field: 'audit.policyFile', file });
  }
  const { policyFile: _read, ...rest } = audit;
  return { ...input, audit: { ...rest, policy } };
}

/**
 * The one task resolver, used by the coordinator (create-task, federate) and by the member
 * (validate, prepare): task-file text or a parsed object in, a typed task with every default
 * filled out. Errors name the field and what to write instead; an unknown key anywhere (a typo
 * such as train.learningRat) is refused with the nearest valid key.
 */
export function resolveTask(input: unknown, source?: string): ResolvedTask {
  const doc = typeof input === 'string' ? parseTaskText(input, source) : input;
  if (source === undefined) return resolveDocument(doc);
  try {
    return resolveDocument(doc);
  } catch (err) {
    // Name the file too: "task file churn.yaml: task definition field …".
    if (err instanceof ConsortError) throw new ConsortError(err.code, `${source}: ${err.message}`, { ...err.details, file: source });
    throw err;
  }
}

function resolveDocument(doc: unknown): ResolvedTask {
  if (!isPlainObject(doc)) bad('name', 'a task definition is a mapping of settings ("name: …", "label: …"; see docs/task-definition.md)');
  checkTaskKeys(doc);
  const t = doc as unknown as TaskDefinitionInput;
  if (typeof t.name !== 'string' || !t.name.trim()) bad('name', 'give the task a name');
  const kind = t.kind ?? 'model';
  if (kind !== 'model' && kind !== 'segmentation') bad('kind', 'use "model" or "segmentation"');
  const common = resolveCommon(t, kind);
  return kind === 'segmentation' ? resolveSegmentationTask(t, common) : resolveModelTask(t, common);
}

/** The resolver for callers that only run model tasks (benchmarks, onboarding): refuses a segmentation task. */
export function resolveTaskDefinition(input: unknown, source?: string): ModelTask {
  const task = resolveTask(input, source);
  if (task.kind !== 'model') bad('kind', 'this command trains or checks a model task; a segmentation task runs with `federate` or the member agent');
  return task;
}

function resolveCommon(t: TaskDefinitionInput, kind: TaskKind): TaskCommon {
  const protectedAttrs = names('protected', t.protected);
  const protectedInputs = names('protectedInputs', t.protectedInputs);
  for (const p of protectedInputs) {
    if (!protectedAttrs.includes(p)) bad('protectedInputs', `"${p}" is not listed in protected; protectedInputs names protected attributes that may also be model inputs`);
  }
  if (kind === 'segmentation' && protectedInputs.length) bad('protectedInputs', 'a segmentation task has no model inputs; remove protectedInputs');
  const minMembers = t.minMembers ?? DEFAULT_MIN_MEMBERS;
  if (!Number.isInteger(minMembers) || minMembers < 2) bad('minMembers', 'must be an integer ≥ 2 (one member alone would reveal its update)');
  const stageTimeoutSeconds = t.stageTimeoutSeconds ?? 120;
  if (typeof stageTimeoutSeconds !== 'number' || !(stageTimeoutSeconds > 0)) bad('stageTimeoutSeconds', 'must be > 0');
  const dropoutTolerance = t.dropoutTolerance ?? DEFAULT_DROPOUT_TOLERANCE;
  if (typeof dropoutTolerance !== 'number' || !(dropoutTolerance >= 0 && dropoutTolerance < 0.5)) bad('dropoutTolerance', 'must be in [0, 0.5): the fraction of members a round may lose (e.g. 0.3); beyond half no secure round can finish');
  const aggregation = t.aggregation ?? 'secure';
  if (aggregation !== 'secure' && aggregation !== 'plain') bad('aggregation', 'use "secure" or "plain"');
  if (kind === 'segmentation' && aggregation === 'plain') bad('aggregation', 'segmentation runs on secure aggregation only; remove "aggregation": "plain"');
  if (aggregation === 'secure' && minMembers < 3) bad('minMembers', 'secure aggregation needs at least 3 members per round (with 2, each learns the other\'s input from the sum)');
  const seed = t.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0) bad('seed', 'must be a whole number ≥ 0');
  return { name: t.name.trim(), protected: protectedAttrs, protectedInputs, minMembers, stageTimeoutSeconds, dropoutTolerance, aggregation, seed };
}

function resolveModelTask(input: TaskDefinitionInput, common: TaskCommon): ModelTask {
  if (typeof input.label !== 'string' || !input.label.trim()) bad('label', 'name the target column (e.g. "churned"), or set kind "segmentation" for a task without a target');
  if (input.segmentation) bad('segmentation', 'segmentation settings need kind "segmentation"');
  const label = input.label;
  const numeric = names('numeric', input.numeric);
  const vocabularies = input.categorical ?? {};
  if (!isPlainObject(vocabularies)) bad('categorical', 'map each categorical column to its list of values, e.g. { plan: [basic, premium] }');
  const categorical = Object.keys(vocabularies);
  if (numeric.length + categorical.length === 0) bad('numeric', 'declare at least one numeric or categorical feature');
  for (const [col, vocab] of Object.entries(vocabularies)) {
    if (!Array.isArray(vocab) || vocab.length === 0) bad(`categorical.${col}`, 'list the allowed values of the column');
    if (new Set(vocab).size !== vocab.length) bad(`categorical.${col}`, 'values must be unique');
  }
  const features = [...numeric, ...categorical];
  const dupes = features.filter((f, i) => features.indexOf(f) !== i);
  if (dupes.length) bad('numeric', `column(s) ${dupes.join(', ')} declared twice`);
  if (features.includes(label)) bad('label', `the label "${label}" cannot also be a feature`);
  if (common.protected.includes(label)) bad('protected', `"${label}" is the label; a protected attribute is an audit column, not the target`);
  for (const p of common.protected) {
    if (features.includes(p) && !common.protectedInputs.includes(p)) {
      bad('protected', `"${p}" is protected and cannot be a model input; remove it from the features, or list it under protectedInputs to allow it explicitly`);
    }
  }
  const modelKind = input.model?.kind ?? 'logistic';
  if (modelKind !== 'logistic' && modelKind !== 'mlp') bad('model.kind', 'use "logistic" or "mlp"');
  const task = input.model?.task ?? 'binary';
  if (task !== 'binary' && task !== 'regression') bad('model.task', 'use "binary" or "regression"');
  const hidden = input.model?.hidden ?? (modelKind === 'mlp' ? [32, 16] : []);
  if (!Array.isArray(hidden) || hidden.some((h) => !Number.isInteger(h) || h < 1)) bad('model.hidden', 'hidden layer sizes must be positive integers');
  const activation = input.model?.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'tanh') bad('model.activation', 'use "relu" or "tanh"');
  const dropout = input.model?.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) bad('model.dropout', 'must be in [0, 1)');
  const l2 = input.model?.l2 ?? 0;
  if (typeof l2 !== 'number' || !(l2 >= 0)) bad('model.l2', 'must be ≥ 0');
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
  const privacy = resolvePrivacyOptions(input.privacy);
  if (privacy?.adaptiveClipping && privacy.adaptiveClipping.countNoiseMultiplier <= privacy.noiseMultiplier) {
    bad('privacy.adaptiveClipping.countNoiseMultiplier', `must exceed privacy.noiseMultiplier (${privacy.noiseMultiplier}): σ is split between the update and the clip count (Andrew et al. 2021), e.g. members / 20`);
  }
  // Noisy statistics clip every numeric column (and a regression label) to bounds the task names.
  if (privacy?.statistics) {
    const needed = task === 'regression' ? [...numeric, label] : numeric;
    const missing = needed.filter((c) => !privacy.statistics!.bounds[c]);
    if (missing.length) bad('privacy.statistics.bounds', `needs [low, high] for ${missing.join(', ')} (every numeric column${task === 'regression' ? ' and the label' : ''})`);
    const extra = Object.keys(privacy.statistics.bounds).filter((c) => !needed.includes(c));
    if (extra.length) bad('privacy.statistics.bounds', `names ${extra.join(', ')}, not numeric columns of the task`);
  }
  // Member-level noise is split across members: only the masked sum carries all of it.
  if (privacy?.level === 'member' && common.aggregation !== 'secure') {
    bad('privacy.level', 'member-level DP splits the noise across members and needs aggregation "secure" (with "plain" the coordinator would see each update with a fraction of the noise); use level "customer" for plain rounds');
  }
  const audit = resolveTaskAudit(input.audit, task, common.protected);
  const mitigation = resolveTaskMitigation(input.mitigation, audit, privacy, common.aggregation);
  return {
    ...common,
    kind: 'model',
    label,
    positiveLabel: names('positiveLabel', input.positiveLabel, ['1', 'yes', 'Yes', 'true', 'True']),
    numeric,
    categorical,
    vocabularies,
    model: { kind: modelKind, task, hidden, activation, dropout, l2 },
    train,
    testFraction,
    strategy,
    sampleFraction,
    ...(earlyStopping ? { earlyStopping } : {}),
    maxRounds,
    ...(privacy ? { privacy } : {}),
    ...(audit ? { audit } : {}),
    ...(mitigation ? { mitigation } : {}),
  };
}

/**
 * The task's mitigations. Reweighing needs the audit policy (its attributes and groups lay out
 * the counting round, its minMembers and minCellCount suppress small cells) and is refused with
 * differential privacy: the group × label counts would be a release without noise, and weights
 * above 1 would raise DP-SGD's per-customer sensitivity.
 */
function resolveTaskMitigation(input: TaskMitigationInput | undefined, audit: TaskAudit | undefined, privacy: PrivacyOptions | undefined, aggregation: Aggregation): TaskMitigation | undefined {
  if (input === undefined) return undefined;
  if (!isPlainObject(input)) bad('mitigation', 'write { reweighing: { attributes: [gender] } } (docs/audits.md)');
  if (input.reweighing === undefined) return undefined;
  const r = input.reweighing;
  if (!isPlainObject(r)) bad('mitigation.reweighing', 'write { attributes: [names of audit.policy attributes] }');
  if (!audit) bad('mitigation.reweighing', 'needs the task\'s audit policy (audit.policy): its attributes and groups define the cells to reweigh; add audit.policy or remove mitigation.reweighing');
  const attributes = names('mitigation.reweighing.attributes', r.attributes);
  if (attributes.length === 0) bad('mitigation.reweighing.attributes', `name at least one audit.policy attribute (${audit.policy.attributes.map((a) => a.name).join(', ')})`);
  for (const a of attributes) {
    if (!audit.policy.attributes.some((x) => x.name === a)) bad('mitigation.reweighing.attributes', `"${a}" is not an attribute of audit.policy (${audit.policy.attributes.map((x) => x.name).join(', ')})`);
  }
  if (new Set(attributes).size !== attributes.length) bad('mitigation.reweighing.attributes', 'an attribute is listed twice');
  if (aggregation !== 'secure') bad('mitigation.reweighing', 'needs aggregation "secure": the group × label counts are summed in a secure round, never sent in clear');
  if (privacy) {
    bad('mitigation.reweighing', 'is not available with privacy yet: its group × label counts would be released without noise, and row weights above 1 would raise DP-SGD\'s per-customer sensitivity; remove one of the two');
  }
  return { reweighing: { attributes } };
}

/**
 * The task's audit: its policy checked, resolved and hashed now, so it is pinned with the task.
 * Its protected attributes must be columns the task lists in `protected` (what members agree to
 * read for audits).
 */
function resolveTaskAudit(input: TaskAuditInput | undefined, prediction: 'binary' | 'regression' | 'segmentation', protectedAttrs: string[]): TaskAudit | undefined {
  if (input === undefined) return undefined;
  if (!isPlainObject(input)) bad('audit', 'write { policy: { attributes: [...] } } or { policyFile: audit-policy.yaml } (docs/audits.md)');
  if (prediction === 'regression') bad('audit', 'the fairness audit scores binary models and segments; a regression task cannot be audited this way');
  if (prediction === 'segmentation' && isPlainObject(input.policy)) {
    // Score settings would read as if they were applied: refused rather than silently ignored.
    const scoreOnly = SCORE_ONLY_POLICY_KEYS.filter((k) => (input.policy as Record<string, unknown>)[k] !== undefined);
    if (scoreOnly.length) {
      bad('audit.policy', `${scoreOnly.join(', ')} ${scoreOnly.length > 1 ? 'are settings' : 'is a setting'} of score audits; a segmentation model has no score (its audit compares each group's share of every segment with its share of all customers): remove ${scoreOnly.length > 1 ? 'them' : 'it'}`);
    }
  }
  if (input.policy === undefined) {
    bad(input.policyFile === undefined ? 'audit.policy' : 'audit.policyFile', input.policyFile === undefined
      ? 'give the audit policy (audit.policy, or audit.policyFile in a task file)'
      : 'is read by the task-file commands (create-task --file, federate), which embed the parsed file as audit.policy; elsewhere send audit.policy itself');
  }
  let policy: AuditPolicy;
  try {
    policy = parseAuditPolicy(input.policy);
  } catch (err) {
    bad('audit.policy', (err as Error).message);
  }
  for (const a of policy.attributes) {
    if (!protectedAttrs.includes(a.column)) bad('audit.policy', `attribute "${a.name}" reads column "${a.column}", which is not listed in protected; list it there (the columns members read for audits)`);
  }
  const text = (field: 'intendedUse' | 'dataWindow'): { [k: string]: string } => {
    const v: unknown = input[field];
    if (v === undefined) return {};
    if (typeof v !== 'string' || v.trim() === '') bad(`audit.${field}`, 'write a short text, or leave it out');
    return { [field]: v };
  };
  return { policy, policyHash: policyHash(policy), ...text('intendedUse'), ...text('dataWindow') };
}

/** Audit policy keys that only mean something for a scored model: refused in a segmentation task's policy. */
export const SCORE_ONLY_POLICY_KEYS = ['thresholds', 'histogramBins', 'checks', 'calibrationBins', 'memberParity'] as const;

/** Model-task settings a segmentation task does not read: refused rather than silently ignored. */
const MODEL_ONLY_FIELDS = ['numeric', 'categorical', 'positiveLabel', 'model', 'train', 'testFraction', 'strategy', 'sampleFraction', 'earlyStopping', 'maxRounds', 'mitigation'] as const;

/**
 * A segmentation task: k-means settings, no target and no model. Its statistics round
 * standardizes segmentation.features (segmentationSchemaOf). Secure aggregation only: plain
 * rounds would show the coordinator each member's cluster sums.
 */
function resolveSegmentationTask(input: TaskDefinitionInput, common: TaskCommon): SegmentationTask {
  const s = input.segmentation;
  if (!isPlainObject(s)) bad('segmentation', 'a segmentation task needs "segmentation": { "features": [...] }');
  if (typeof input.label === 'string' && input.label.trim() !== '') bad('label', 'a segmentation task has no target; remove label (summarize outcomes with segmentation.profileLabels)');
  for (const field of MODEL_ONLY_FIELDS) {
    if (input[field] !== undefined) bad(field, `is a model-task setting; a segmentation task does not read it (its columns go in segmentation.features); remove it`);
  }
  const features = names('segmentation.features', s.features);
  if (features.length === 0) bad('segmentation.features', 'list the numeric behavioural columns to segment on (e.g. recency_days, frequency, monetary)');
  const dupes = features.filter((f, i) => features.indexOf(f) !== i);
  if (dupes.length) bad('segmentation.features', `column(s) ${dupes.join(', ')} listed twice`);
  for (const p of common.protected) if (features.includes(p)) bad('protected', `"${p}" is protected and cannot be a segmentation feature`);
  let ks: number[];
  let fixedK: number | undefined;
  const k = s.k ?? { min: 2, max: 8 };
  if (typeof k === 'number') {
    if (!Number.isInteger(k) || k < 2 || k > 50) bad('segmentation.k', 'a fixed k must be an integer from 2 to 50');
    ks = [k];
    fixedK = k;
  } else {
    if (!isPlainObject(k) || !Number.isInteger(k.min) || !Number.isInteger(k.max) || k.min < 2 || k.max < k.min || k.max > 50) bad('segmentation.k', 'give { "min": 2, "max": 8 } style integers with 2 ≤ min ≤ max ≤ 50');
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
  const profileLabels = names('segmentation.profileLabels', s.profileLabels);
  for (const l of profileLabels) if (features.includes(l)) bad('segmentation.profileLabels', `"${l}" is a segmentation feature; profile labels are outcomes summarized per segment`);
  const churnLabel = s.churnLabel ?? profileLabels.find((l) => /churn/i.test(l));
  const valueLabel = s.valueLabel ?? profileLabels.find((l) => l !== churnLabel);
  for (const [field, l] of [['churnLabel', churnLabel], ['valueLabel', valueLabel]] as const) {
    if (l !== undefined && !profileLabels.includes(l)) bad(`segmentation.${field}`, `"${l}" must be one of segmentation.profileLabels`);
  }
  const privacy = resolveSegmentationPrivacy(input.privacy, features);
  // Label sums have no bounds to noise them with: refused rather than released exactly.
  if (privacy && profileLabels.length) bad('segmentation.profileLabels', 'are not released under differential privacy (their sums have no bounds); remove them, or remove privacy');
  const audit = resolveTaskAudit(input.audit, 'segmentation', common.protected);
  // The audit's segment counts have no noisy release (an audit of a model task does): refused rather than released exactly.
  if (privacy && audit) bad('audit', 'a segmentation task under differential privacy cannot be audited yet: its group × segment counts would be released without noise; remove audit, or remove privacy');
  return {
    ...common,
    kind: 'segmentation',
    aggregation: 'secure',
    ...(privacy ? { privacy } : {}),
    ...(audit ? { audit } : {}),
    segmentation: {
      features, ks, ...(fixedK !== undefined ? { fixedK } : {}), restarts, minClusterCount, roles, profileLabels,
      ...(churnLabel !== undefined ? { churnLabel } : {}), ...(valueLabel !== undefined ? { valueLabel } : {}), maxIterations,
    },
  };
}
