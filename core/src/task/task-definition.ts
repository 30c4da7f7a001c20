// What an operator declares for a task, with every default resolved in one place.
import { ConsortError } from '../errors/consort-error.ts';
import type { TrainSettings } from '../aggregate/strategy.ts';
import { resolveStrategyOptions, type StrategyOptions } from '../aggregate/strategies/strategy-options.ts';
import { EarlyStopping, type EarlyStoppingOptions } from '../aggregate/strategies/early-stopping.ts';

export type Aggregation = 'secure' | 'plain';

/** The operator's task file (JSON/YAML). Every field but name, features and label is optional. */
export interface TaskDefinitionInput {
  name: string;
  /** Target column; binary targets list the values meaning 1 in positiveLabel. */
  label: string;
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
  /** Stop training when the federated held-out loss stops improving (off unless given). */
  earlyStopping?: EarlyStoppingOptions;
}

export interface TaskDefinition {
  name: string;
  label: string;
  positiveLabel: string[];
  numeric: string[];
  categorical: string[];
  vocabularies: Record<string, string[]>;
  protected: string[];
  model: { kind: 'logistic' | 'mlp'; task: 'binary' | 'regression'; hidden: number[]; activation: 'relu' | 'tanh'; dropout: number; l2: number };
  train: TrainSettings;
  minMembers: number;
  stageTimeoutSeconds: number;
  aggregation: Aggregation;
  testFraction: number;
  seed: number;
  strategy: StrategyOptions;
  sampleFraction: number;
  earlyStopping?: EarlyStoppingOptions;
}

export const DEFAULT_MIN_MEMBERS = 5;

function bad(field: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `task definition field "${field}": ${message}`, { field });
}

/** Fills defaults and checks every field; errors name the field and what to write instead. */
export function resolveTaskDefinition(input: TaskDefinitionInput): TaskDefinition {
  if (!input.name?.trim()) bad('name', 'give the task a name');
  if (!input.label?.trim()) bad('label', 'name the target column (e.g. "churned")');
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
  if (features.includes(input.label)) bad('label', `the label "${input.label}" cannot also be a feature`);
  for (const p of protectedAttrs) {
    if (features.includes(p)) bad('protected', `"${p}" is protected and cannot be a model input`);
  }
  const kind = input.model?.kind ?? 'logistic';
  if (kind !== 'logistic' && kind !== 'mlp') bad('model.kind', 'use "logistic" or "mlp"');
  const task = input.model?.task ?? 'binary';
  if (task !== 'binary' && task !== 'regression') bad('model.task', 'use "binary" or "regression"');
  const hidden = input.model?.hidden ?? (kind === 'mlp' ? [32, 16] : []);
  if (hidden.some((h) => !Number.isInteger(h) || h < 1)) bad('model.hidden', 'hidden layer sizes must be positive integers');
  const train: TrainSettings = {
    localEpochs: input.train?.localEpochs ?? 2,
    batchSize: input.train?.batchSize ?? 64,
    learningRate: input.train?.learningRate ?? 0.05,
    proximalMu: input.train?.proximalMu ?? 0,
  };
  if (!Number.isInteger(train.localEpochs) || train.localEpochs < 1) bad('train.localEpochs', 'must be an integer ≥ 1');
  if (!Number.isInteger(train.batchSize) || train.batchSize < 1) bad('train.batchSize', 'must be an integer ≥ 1');
  if (!(train.learningRate > 0)) bad('train.learningRate', 'must be > 0');
  if (!(train.proximalMu >= 0)) bad('train.proximalMu', 'must be ≥ 0');
  const minMembers = input.minMembers ?? DEFAULT_MIN_MEMBERS;
  if (!Number.isInteger(minMembers) || minMembers < 2) bad('minMembers', 'must be an integer ≥ 2 (one member alone would reveal its update)');
  const stageTimeoutSeconds = input.stageTimeoutSeconds ?? 120;
  if (!(stageTimeoutSeconds > 0)) bad('stageTimeoutSeconds', 'must be > 0');
  const aggregation = input.aggregation ?? 'secure';
  if (aggregation !== 'secure' && aggregation !== 'plain') bad('aggregation', 'use "secure" or "plain"');
  if (aggregation === 'secure' && minMembers < 3) bad('minMembers', 'secure aggregation needs at least 3 members per round (with 2, each learns the other\'s input from the sum)');
  const testFraction = input.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 0.9)) bad('testFraction', 'must be between 0 and 0.9');
  const strategy = input.strategy ?? { name: 'fedavg' };
  try {
    resolveStrategyOptions(strategy);
    if (input.earlyStopping) new EarlyStopping(input.earlyStopping);
  } catch (err) {
    bad(input.earlyStopping && !(err as Error).message.startsWith('strategy') ? 'earlyStopping' : 'strategy', (err as Error).message);
  }
  const sampleFraction = input.sampleFraction ?? 1;
  if (!(sampleFraction > 0 && sampleFraction <= 1)) bad('sampleFraction', 'must be in (0, 1]');
  return {
    name: input.name.trim(),
    label: input.label,
    positiveLabel: input.positiveLabel ?? ['1', 'yes', 'Yes', 'true', 'True'],
    numeric,
    categorical,
    vocabularies,
    protected: protectedAttrs,
    model: {
      kind, task, hidden,
      activation: input.model?.activation ?? 'relu',
      dropout: input.model?.dropout ?? 0,
      l2: input.model?.l2 ?? 0,
    },
    train,
    minMembers,
    stageTimeoutSeconds,
    aggregation,
    testFraction,
    seed: input.seed ?? 1,
    strategy,
    sampleFraction,
    earlyStopping: input.earlyStopping,
  };
}
