// Translates stored tasks into the definition the runner uses and the RoundOpen members receive.
import {
  ConsortError, DEFAULT_DROPOUT_TOLERANCE, featureStatsLength, layoutOf, type FeatureSchema, type ModelSpec, type SegmentationWorkOrder, type TaskDefinition, type TrainSettings,
} from '@consort/core';
import type { RoundOpen } from '@consort/protos/types/RoundOpen';
import type { TaskRecord } from '../store/store.ts';
import type { Purpose } from './round-inputs.ts';

/** The stored task keeps its resolved definition in `features` and its settings in `trainConfig`. */
export function taskDefinitionOf(task: TaskRecord): TaskDefinition {
  return task.features as unknown as TaskDefinition;
}

export function featureSchemaOf(def: TaskDefinition): FeatureSchema {
  return { numeric: def.numeric, categorical: def.categorical, label: def.label, positiveLabel: def.positiveLabel, protected: def.protected };
}

/** Length of the feature-statistics vector a member sends in a statistics round. */
export function statisticsLength(def: TaskDefinition): number {
  return featureStatsLength(featureSchemaOf(def), def.vocabularies, def.model.task);
}

export function roundOpenEvent(task: TaskRecord, def: TaskDefinition, roundId: string, number: number,
  base: { id: string; sha256: string; parameterCount: number }, purpose: Purpose | string, deadlineMs: number, train: TrainSettings = def.train,
  payloadJson = def.segmentation ? JSON.stringify(segmentationOrder(def, 'statistics')) : ''): RoundOpen {
  const spec = task.modelSpec as ModelSpec;
  return {
    roundId, taskId: task.id, roundNumber: number, modelVersionId: base.id,
    modelSha256: Buffer.from(base.sha256, 'hex'),
    model: {
      kind: spec.kind, optionsJson: JSON.stringify(spec),
      layout: layoutOf(spec).map((l) => ({ name: l.name, shape: l.shape })),
      parameterCount: String(base.parameterCount),
    },
    features: {
      numericFeatures: def.numeric, categoricalFeatures: def.categorical, label: def.label, protectedAttributes: def.protected,
    },
    train,
    deadlines: [{ stage: 'masked_input', deadlineUnixMs: String(deadlineMs) }],
    aggregation: 'plain',
    pipelineJson: task.pipeline ? JSON.stringify(task.pipeline) : '',
    purpose,
    // The task's privacy rides here: members pin it with the task, so it cannot be lowered mid-task.
    vocabulariesJson: JSON.stringify({ vocabularies: def.vocabularies, positiveLabel: def.positiveLabel, task: def.model.task, ...(def.privacy ? { privacy: def.privacy } : {}) }),
    seed: def.seed + number,
    splitSeed: def.seed,
    testFraction: def.testFraction,
    payloadJson,
    // Tasks stored before the field existed resolve to the default (as the runner does).
    dropoutTolerance: def.dropoutTolerance ?? DEFAULT_DROPOUT_TOLERANCE,
  };
}

/** The fixed part of a segmentation round's work order (members read features and labels from it). */
export function segmentationOrder(def: TaskDefinition, purpose: SegmentationWorkOrder['purpose']): SegmentationWorkOrder {
  const s = def.segmentation;
  if (!s) throw new ConsortError('INVALID_ARGUMENT', `task "${def.name}" is not a segmentation task; give it kind "segmentation" and segmentation settings`);
  return { kind: 'segmentation', purpose, features: s.features, profileLabels: s.profileLabels };
}
