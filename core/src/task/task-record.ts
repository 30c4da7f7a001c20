// A resolved task as one canonical, versioned JSON document: what the coordinator stores and sends to members, decoded by one function.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { ConsortError } from '../errors/consort-error.ts';
import { featureStatsLength, pipelineInputDim, type FeatureSchema } from '../features/pipeline.ts';
import { validateModelSpec, type ModelSpec } from '../model/model-spec.ts';
import { auditPolicyInputOf } from '../audit/policy.ts';
import { segmentationPrivacyInput } from '../privacy/segmentation-release.ts';
import { SCORE_ONLY_POLICY_KEYS, resolveTask, type ModelTask, type ResolvedTask, type TaskDefinitionInput } from './task-definition.ts';

/** Version of the stored/sent document; a decoder refuses a newer one it cannot read. */
export const TASK_SCHEMA_VERSION = 1;

/**
 * The task as a task file with every default written out. Resolving it gives the same task back
 * (resolveTask(taskInputOf(t)) deep-equals t), so decoding reuses the resolver's every check.
 */
export function taskInputOf(task: ResolvedTask): TaskDefinitionInput {
  const common = {
    name: task.name, kind: task.kind, protected: task.protected, protectedInputs: task.protectedInputs, minMembers: task.minMembers,
    stageTimeoutSeconds: task.stageTimeoutSeconds, dropoutTolerance: task.dropoutTolerance, aggregation: task.aggregation, seed: task.seed,
  };
  if (task.kind === 'segmentation') {
    const s = task.segmentation;
    return {
      ...common,
      segmentation: {
        features: s.features, k: s.fixedK ?? { min: s.ks[0], max: s.ks[s.ks.length - 1] }, restarts: s.restarts,
        minClusterCount: s.minClusterCount, roles: s.roles, profileLabels: s.profileLabels, churnLabel: s.churnLabel, valueLabel: s.valueLabel,
        maxIterations: s.maxIterations,
      },
      ...(task.privacy ? { privacy: segmentationPrivacyInput(task.privacy) } : {}),
      // A segmentation policy holds the score settings' defaults only (the resolver refuses others): left out, they resolve the same.
      ...(task.audit ? { audit: auditInputOf(task.audit, SCORE_ONLY_POLICY_KEYS) } : {}),
    };
  }
  return {
    ...common, label: task.label, positiveLabel: task.positiveLabel, numeric: task.numeric,
    categorical: Object.fromEntries(task.categorical.map((c) => [c, task.vocabularies[c]])),
    model: task.model, train: task.train, testFraction: task.testFraction, strategy: task.strategy, sampleFraction: task.sampleFraction,
    earlyStopping: task.earlyStopping ?? false, maxRounds: task.maxRounds,
    // Privacy is part of what members pin: it travels (and is stored) with the task.
    ...(task.privacy ? { privacy: task.privacy } : {}),
    // The hash is the policy's: resolving recomputes it.
    ...(task.audit ? { audit: auditInputOf(task.audit) } : {}),
    ...(task.mitigation ? { mitigation: task.mitigation } : {}),
  };
}

/** A resolved audit as task-file input (the hash is the policy's: resolving recomputes it). */
function auditInputOf(audit: NonNullable<ResolvedTask['audit']>, omit: readonly string[] = []): NonNullable<TaskDefinitionInput['audit']> {
  const policy = Object.fromEntries(Object.entries(auditPolicyInputOf(audit.policy)).filter(([k]) => !omit.includes(k)));
  return { policy, intendedUse: audit.intendedUse, dataWindow: audit.dataWindow };
}

/** The canonical JSON text of a task (RFC 8785: sorted keys, no spaces): equal tasks give equal text. */
export function encodeTask(task: ResolvedTask): string {
  return canonicalize({ schemaVersion: TASK_SCHEMA_VERSION, task: taskInputOf(task) }) ?? '';
}

/** SHA-256 hex of an encoded task: the task's identity, which members pin at its first round. */
export function taskSha256(encoded: string | Uint8Array): string {
  return createHash('sha256').update(encoded).digest('hex');
}

function refuse(message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `stored task: ${message}`);
}

/**
 * Reads an encoded task (from the store or a RoundOpen) back into a resolved task, checking it
 * exactly as a task file is checked. Documents written before schema versions existed (the
 * resolved definition as stored in the old `features` column) are upgraded on the way.
 */
export function decodeTask(encoded: string | Uint8Array): ResolvedTask {
  const text = typeof encoded === 'string' ? encoded : Buffer.from(encoded).toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    refuse(`not valid JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) refuse('not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.schemaVersion === undefined) return resolveTask(legacyTaskInput(d));
  if (d.schemaVersion !== TASK_SCHEMA_VERSION) {
    refuse(`schema version ${String(d.schemaVersion)} is not known to this program (it reads ${TASK_SCHEMA_VERSION}); upgrade it`);
  }
  return resolveTask(d.task);
}

/**
 * The task file equivalent of a definition stored before schema versions (resolved form, with a
 * placeholder label and a model section on segmentation tasks). Fields added later are given
 * the value those tasks ran with: no early stopping when it was not recorded.
 */
export function legacyTaskInput(old: Record<string, unknown>): TaskDefinitionInput {
  const o = old as Partial<Omit<ModelTask, 'kind'>> & { kind?: string; segmentation?: { features: string[]; ks: number[]; fixedK?: number } & Record<string, unknown> };
  const common = {
    name: String(o.name ?? ''), protected: o.protected, minMembers: o.minMembers, stageTimeoutSeconds: o.stageTimeoutSeconds,
    dropoutTolerance: o.dropoutTolerance, seed: o.seed,
  };
  if (o.kind === 'segmentation' && o.segmentation) {
    const { ks, fixedK, ...rest } = o.segmentation;
    return {
      ...common, kind: 'segmentation', aggregation: 'secure',
      segmentation: { ...(rest as object), features: o.segmentation.features, k: fixedK ?? { min: ks[0], max: ks[ks.length - 1] } },
    };
  }
  const vocabularies = o.vocabularies ?? {};
  return {
    ...common, kind: 'model', aggregation: o.aggregation, label: o.label ?? '', positiveLabel: o.positiveLabel, numeric: o.numeric,
    categorical: Object.fromEntries((o.categorical ?? Object.keys(vocabularies)).map((c) => [c, vocabularies[c]])),
    model: o.model, train: o.train, testFraction: o.testFraction, strategy: o.strategy, sampleFraction: o.sampleFraction,
    earlyStopping: o.earlyStopping ?? false, maxRounds: o.maxRounds,
  };
}

/**
 * The columns a task's statistics round reads. A segmentation task standardizes its features
 * (numeric only, no target); a model task its inputs and label.
 */
export function featureSchemaOf(task: ResolvedTask): FeatureSchema {
  if (task.kind === 'segmentation') return { numeric: task.segmentation.features, categorical: [], label: '', positiveLabel: [], protected: task.protected };
  return { numeric: task.numeric, categorical: task.categorical, label: task.label, positiveLabel: task.positiveLabel, protected: task.protected };
}

/** Categorical vocabularies of a task (none for segmentation). */
export function vocabulariesOf(task: ResolvedTask): Record<string, string[]> {
  return task.kind === 'model' ? task.vocabularies : {};
}

/** What the statistics round's label sums describe: a segmentation task has no target (binary layout, empty label). */
export function predictionOf(task: ResolvedTask): 'binary' | 'regression' {
  return task.kind === 'model' ? task.model.task : 'binary';
}

/** Length of the feature-statistics vector a member sends in a task's statistics round. */
export function statisticsLengthOf(task: ResolvedTask): number {
  return featureStatsLength(featureSchemaOf(task), vocabulariesOf(task), predictionOf(task));
}

/** The model a task trains, sized from its columns (numeric plus one-hot vocabularies). */
export function modelSpecOf(task: ModelTask): ModelSpec {
  const inputDim = pipelineInputDim({
    numeric: task.numeric.map((name) => ({ name, mean: 0, std: 1 })),
    categorical: task.categorical.map((name) => ({ name, vocabulary: task.vocabularies[name] })),
  });
  const m = task.model;
  const spec: ModelSpec = { kind: m.kind, task: m.task, inputDim, hidden: m.hidden, activation: m.activation, dropout: m.dropout, l2: m.l2 };
  validateModelSpec(spec);
  return spec;
}
