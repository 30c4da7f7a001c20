// The plan of one secure-sum round over any packed layout (segmentation, audit): the same lifecycle,
// deadlines, dropout recovery and audit trail as a model round, with the caller decoding the sum.
import { ConsortError, DEFAULT_DROPOUT_TOLERANCE, DEFAULT_MAX_EXAMPLES, type ModVector, type VectorLayout } from '@consort/core';
import type { SecureSumPurpose } from './round-types.ts';
import type { JsonObject, TaskRecord } from '../store/store.ts';
import type { RoundPlan } from './lifecycle.ts';
import { roundOpenEvent, taskDefinitionOf, trainSettingsOf } from './task-codec.ts';
import { weightsSha256 } from './weights-sha256.ts';

/** What the caller makes of the unmasked sum before the round closes. */
export interface SumRoundClose {
  /** Stored with the round (and reported): aggregates only, never a member's vector. */
  detail: JsonObject;
  /** A model version stored atomically with the round's close. */
  model?: { weights: Float32Array; metrics: JsonObject };
}

/**
 * `layoutFor(members)` sizes the vector for the invited members; `payloadJson` is the work order
 * members compute from; `close` turns the sum into the round's stored detail (and optionally a
 * model version).
 */
export function secureSumRoundPlan(task: TaskRecord, purpose: SecureSumPurpose, layoutFor: (members: number) => VectorLayout, payloadJson: string,
  close: (sum: ModVector, members: number, survivors: string[], roundNumber: number) => Promise<SumRoundClose>): RoundPlan {
  const def = taskDefinitionOf(task);
  if (def.aggregation !== 'secure') {
    throw new ConsortError('INVALID_ARGUMENT', `task ${task.id} uses plain aggregation; ${purpose} rounds run on secure aggregation only (set "aggregation": "secure")`);
  }
  return {
    task, def, purpose, aggregation: 'secure',
    request(round, base) {
      const timeoutMs = def.stageTimeoutSeconds * 1000;
      return {
        open: roundOpenEvent(task, def, round.id, round.number, base, purpose, Date.now() + timeoutMs, trainSettingsOf(def), payloadJson),
        timeoutMs, minMembers: def.minMembers, dropoutTolerance: def.dropoutTolerance ?? DEFAULT_DROPOUT_TOLERANCE,
        plainLength: 0, layout: layoutFor(round.participants.size), quantization: { scaleBits: 0, clip: 0, maxExamples: DEFAULT_MAX_EXAMPLES },
      };
    },
    async close(round, collected, base) {
      if (collected.aggregation !== 'secure') throw new ConsortError('INVALID_ARGUMENT', `${purpose} rounds sum masked inputs only`);
      const closed = await close(collected.sum, round.participants.size, collected.survivors, round.number);
      const model = closed.model;
      return {
        metrics: { purpose, participants: collected.survivors.length, ...closed.detail },
        detail: closed.detail,
        result: model ? {
          modelVersion: { taskId: task.id, version: (base?.version ?? 0) + 1, roundId: round.id, weights: model.weights, sha256: weightsSha256(model.weights), metrics: model.metrics },
        } : {},
      };
    },
  };
}
