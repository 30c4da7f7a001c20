// Every key a task file may hold, nested; an unknown key is refused with its path and the nearest valid key.
import { ConsortError } from '../errors/consort-error.ts';

/** A key's children: another tree, a leaf value, or a map whose keys the operator names (columns). */
export type KeyTree = { readonly [key: string]: KeyTree | 'value' | 'named' };

const LR_SCHEDULE: KeyTree = { kind: 'value', decay: 'value', rounds: 'value' };

/**
 * The accepted keys, mirroring TaskDefinitionInput (task-definition.ts), StrategyOptions and
 * EarlyStoppingOptions. A key added to the input types must be added here (and to
 * docs/task-definition.md, which a test checks against this tree).
 */
export const TASK_KEYS: KeyTree = {
  name: 'value',
  kind: 'value',
  label: 'value',
  positiveLabel: 'value',
  numeric: 'value',
  categorical: 'named',
  protected: 'value',
  /** Protected attributes the operator explicitly allows as model inputs too (a subset of protected). */
  protectedInputs: 'value',
  model: { kind: 'value', task: 'value', hidden: 'value', activation: 'value', dropout: 'value', l2: 'value' },
  train: { localEpochs: 'value', batchSize: 'value', learningRate: 'value', proximalMu: 'value' },
  minMembers: 'value',
  stageTimeoutSeconds: 'value',
  dropoutTolerance: 'value',
  aggregation: 'value',
  testFraction: 'value',
  seed: 'value',
  strategy: { name: 'value', serverLearningRate: 'value', momentum: 'value', beta1: 'value', beta2: 'value', tau: 'value', lrSchedule: LR_SCHEDULE },
  sampleFraction: 'value',
  earlyStopping: { patience: 'value', minDelta: 'value' },
  maxRounds: 'value',
  /** Differential privacy (core/src/privacy/privacy-options.ts, docs/privacy.md). */
  privacy: {
    level: 'value', epsilon: 'value', delta: 'value', noiseMultiplier: 'value', clipNorm: 'value', minRows: 'value',
    releaseNoiseMultiplier: 'value', adaptiveClipping: { targetQuantile: 'value', learningRate: 'value', countNoiseMultiplier: 'value' },
    statistics: { noiseMultiplier: 'value', bounds: 'value' }, auditNoiseMultiplier: 'value',
    /** Segmentation tasks: the ± bound of standardized values. */
    clip: 'value',
  },
  /** The automatic fairness audit; the policy's own keys are checked by the policy parser (core/src/audit/policy.ts). */
  audit: { policy: 'value', policyFile: 'value', intendedUse: 'value', dataWindow: 'value' },
  /** Mitigations members apply in local training (docs/audits.md). */
  mitigation: { reweighing: { attributes: 'value' } },
  segmentation: {
    features: 'value',
    k: { min: 'value', max: 'value' },
    restarts: 'value',
    minClusterCount: 'value',
    roles: { recency: 'value', frequency: 'value', monetary: 'value', tenure: 'value' },
    profileLabels: 'value',
    churnLabel: 'value',
    valueLabel: 'value',
    maxIterations: 'value',
  },
};

/** Every accepted key as a dotted path ("train.learningRate"), parents included. */
export function taskKeyPaths(tree: KeyTree = TASK_KEYS, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => {
    const path = prefix + k;
    return typeof v === 'object' ? [path, ...taskKeyPaths(v, `${path}.`)] : [path];
  });
}

/** Levenshtein distance, case-insensitive (a wrong capital is the commonest slip). */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[t.length];
}

/** The nearest valid key for `path`: a sibling first, else the same name elsewhere in the tree. */
export function nearestTaskKey(path: string, siblings: string[]): string | undefined {
  const parts = path.split('.');
  const key = parts[parts.length - 1];
  const parent = parts.slice(0, -1).join('.');
  const close = (cand: string) => distance(key, cand) <= Math.max(2, Math.floor(key.length / 3));
  const sibling = siblings.map((s) => ({ s, d: distance(key, s) })).filter(({ s }) => close(s)).sort((a, b) => a.d - b.d)[0];
  if (sibling) return parent ? `${parent}.${sibling.s}` : sibling.s;
  // A key put at the wrong level ("learningRate" at the top, or under model).
  const elsewhere = taskKeyPaths().map((p) => ({ p, d: distance(key, p.split('.').pop()!) })).filter(({ p }) => close(p.split('.').pop()!))
    .sort((a, b) => a.d - b.d || a.p.length - b.p.length)[0];
  return elsewhere?.p;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Refuses any key the task definition does not read, anywhere in the file: a misspelt
 * `train.learningRat` would otherwise be ignored and the default used without a word.
 * Throws INVALID_ARGUMENT naming the path and the nearest valid key.
 */
export function checkTaskKeys(input: unknown, tree: KeyTree = TASK_KEYS, prefix = ''): void {
  if (!isPlainObject(input)) return; // wrong types are the resolver's to name
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const path = prefix + key;
    const node = Object.hasOwn(tree, key) ? tree[key] : undefined;
    if (node === undefined) {
      const siblings = Object.keys(tree);
      const near = nearestTaskKey(path, siblings);
      throw new ConsortError('INVALID_ARGUMENT',
        `task definition field "${path}": unknown key${near ? `; did you mean ${near}?` : ''} `
        + `(valid keys${prefix ? ` of ${prefix.slice(0, -1)}` : ''}: ${siblings.join(', ')}; see docs/task-definition.md)`,
        { field: path, ...(near ? { suggestion: near } : {}) });
    }
    if (typeof node === 'object') checkTaskKeys(value, node, `${path}.`);
  }
}
