// The task from coordinator to member: the RoundOpen built from a stored task, through the wire
// encoding, decodes on the member to the very task the coordinator stored (both kinds).
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { encodeTask, modelSpecOf, parameterCount, resolveTask, signRoundOpen, taskSha256, type ResolvedTask } from '@consort/core';
import { roundOpenEvent } from '@consort/coordinator';
import { checkRoundOpen, roundContextOf, roundTaskOf } from '@consort/client-sdk';
import { loadConsortProtocol } from '@consort/protos';
import type { CoordinatorEvent__Output } from '@consort/protos/types/CoordinatorEvent';
import type { RoundOpen } from '@consort/protos/types/RoundOpen';

const key = nacl.sign.keyPair();

function overTheWire(open: RoundOpen): NonNullable<CoordinatorEvent__Output['roundOpen']> {
  const connect = loadConsortProtocol().definitions['consort.v1.MemberService'] as unknown as Record<string, { responseSerialize(v: object): Buffer; responseDeserialize(b: Buffer): unknown }>;
  const signed = { ...open, coordinatorSignature: Buffer.from(signRoundOpen(open, key.secretKey)) };
  return (connect.Connect.responseDeserialize(connect.Connect.responseSerialize({ roundOpen: signed })) as CoordinatorEvent__Output).roundOpen!;
}

function record(definition: ResolvedTask) {
  return {
    id: 'task-1', federationId: 'fed-1', name: definition.name, createdAt: new Date(0), definition, pipeline: null,
    aggregation: definition.aggregation, minMembers: definition.minMembers,
    modelSpec: definition.kind === 'model' ? modelSpecOf(definition) : null,
  };
}

describe('the task payload of a RoundOpen', () => {
  it('a model task: the member decodes the stored task, its columns, split and model, and pins it', () => {
    const def = resolveTask({
      name: 'churn', label: 'churned', numeric: ['tenure', 'age'], categorical: { plan: ['a', 'b'] }, protected: ['age', 'gender'], protectedInputs: ['age'],
      minMembers: 3, testFraction: 0.25, seed: 4, model: { kind: 'mlp', hidden: [4] }, aggregation: 'plain',
    });
    if (def.kind !== 'model') throw new Error('kind');
    const parameters = parameterCount(modelSpecOf(def));
    const open = roundOpenEvent(record(def), def, 'round-1', 2, { id: 'mv-0', sha256: '00'.repeat(32), parameterCount: parameters }, 'train', Date.now() + 1000);
    expect(open.taskSha256).toBe(taskSha256(encodeTask(def)));
    const received = overTheWire(open);
    expect(roundTaskOf(received)).toEqual(def);
    const ctx = roundContextOf(received);
    expect(ctx.schema).toEqual({ numeric: ['tenure', 'age'], categorical: ['plan'], label: 'churned', positiveLabel: def.positiveLabel, protected: ['age', 'gender'] });
    expect([ctx.testFraction, ctx.splitSeed, ctx.vocabularies]).toEqual([0.25, 4, { plan: ['a', 'b'] }]);
    const terms = checkRoundOpen(received, undefined, { coordinatorPublicKey: key.publicKey, allowPlain: true, minMembersFloor: 3 });
    expect(terms.taskSha256).toBe(open.taskSha256);
    expect(resolveTask(terms.task)).toEqual(def);
  });

  it('a segmentation task: no model version, no model, and its columns come from the task', () => {
    const def = resolveTask({ name: 'seg', kind: 'segmentation', minMembers: 3, segmentation: { features: ['r', 'f'], k: 3, profileLabels: ['churned'] } });
    const open = roundOpenEvent(record(def), def, 'round-1', 1, undefined, 'statistics', Date.now() + 1000);
    expect([open.modelVersionId, open.model, open.aggregation]).toEqual(['', null, 'secure']);
    const received = overTheWire(open);
    expect(roundTaskOf(received)).toEqual(def);
    expect(roundContextOf(received).schema).toEqual({ numeric: ['r', 'f'], categorical: [], label: '', positiveLabel: [], protected: [] });
  });
});
