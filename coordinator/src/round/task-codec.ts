// The stored task as the runner reads it, and the RoundOpen members receive: one typed task, sent as its canonical encoding and hash.
import {
  ConsortError, encodeTask, featureSchemaOf, layoutOf, statisticsLengthOf, taskSha256,
  type FeatureSchema, type ModelSpec, type ModelTask, type ResolvedTask, type SegmentationTask, type SegmentationWorkOrder, type TrainSettings, TRAINING_DEFAULTS,
} from '@consort/core';
import type { RoundOpen } from '@consort/protos/types/RoundOpen';
import type { TaskRecord } from '../store/store.ts';
import type { Purpose } from './round-inputs.ts';

/** The task's resolved definition (decoded and checked by core when the store read it). */
export function taskDefinitionOf(task: TaskRecord): ResolvedTask {
  return task.definition;
}

/** A model task's definition; a round that trains or evaluates a model refuses any other kind. */
export function modelTaskOf(task: TaskRecord): ModelTask {
  const def = task.definition;
  if (def.kind !== 'model') throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} is a ${def.kind} task; it trains no model`);
  return def;
}

export { featureSchemaOf };
export type { FeatureSchema };

/** Length of the feature-statistics vector a member sends in a statistics round. */
export function statisticsLength(def: ResolvedTask): number {
  return statisticsLengthOf(def);
}

/**
 * Local training settings of a round: the strategy's schedule for a model task. A segmentation
 * task trains nothing; its rounds carry the defaults, which no member reads.
 */
export function trainSettingsOf(def: ResolvedTask): TrainSettings {
  return def.kind === 'model' ? def.train : { ...TRAINING_DEFAULTS.train };
}

/** The model version a round starts from (none for a task that trains no model). */
export interface RoundBase {
  id: string;
  sha256: string;
  parameterCount: number;
}

/** The encoded task and its hash, computed once per task record. */
const encoded = new WeakMap<ResolvedTask, { bytes: Buffer; sha256: string }>();

function taskPayload(def: ResolvedTask): { bytes: Buffer; sha256: string } {
  let e = encoded.get(def);
  if (!e) {
    const text = encodeTask(def);
    e = { bytes: Buffer.from(text, 'utf8'), sha256: taskSha256(text) };
    encoded.set(def, e);
  }
  return e;
}

/**
 * A RoundOpen: the task travels whole (canonical bytes plus hash), next to what is specific to
 * this round (ids, base model version, training settings, deadlines, fitted pipeline, work order).
 */
export function roundOpenEvent(task: TaskRecord, def: ResolvedTask, roundId: string, number: number,
  base: RoundBase | undefined, purpose: Purpose | string, deadlineMs: number, train: TrainSettings = trainSettingsOf(def),
  payloadJson = def.kind === 'segmentation' ? JSON.stringify(segmentationOrder(def, 'statistics')) : ''): RoundOpen {
  const spec = task.modelSpec as ModelSpec | null;
  const payload = taskPayload(def);
  return {
    roundId, taskId: task.id, roundNumber: number, modelVersionId: base?.id ?? '',
    modelSha256: base ? Buffer.from(base.sha256, 'hex') : Buffer.alloc(0),
    model: base && spec ? {
      kind: spec.kind, optionsJson: JSON.stringify(spec),
      layout: layoutOf(spec).map((l) => ({ name: l.name, shape: l.shape })),
      parameterCount: String(base.parameterCount),
    } : null,
    train,
    deadlines: [{ stage: 'masked_input', deadlineUnixMs: String(deadlineMs) }],
    aggregation: def.aggregation,
    pipelineJson: task.pipeline ? JSON.stringify(task.pipeline) : '',
    purpose,
    seed: def.seed + number,
    payloadJson,
    task: payload.bytes,
    taskSha256: payload.sha256,
  };
}

/** The fixed part of a segmentation round's work order (members read features and labels from their pinned task). */
export function segmentationOrder(def: ResolvedTask, purpose: SegmentationWorkOrder['purpose']): SegmentationWorkOrder {
  if (def.kind !== 'segmentation') throw new ConsortError('INVALID_ARGUMENT', `task "${def.name}" is not a segmentation task; give it kind "segmentation" and segmentation settings`);
  const s = (def as SegmentationTask).segmentation;
  return { kind: 'segmentation', purpose, features: s.features, profileLabels: s.profileLabels };
}
