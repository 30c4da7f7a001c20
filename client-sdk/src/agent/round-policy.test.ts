// The member's round policy: signatures over the wire encoding, pinned task terms, plain opt-in, floors.
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import {
  SIGNED_ROUND_OPEN_FIELDS, encodeTask, modelSpecOf, taskInputOf, parameterCount, resolveTask, signRoundOpen, taskSha256, type ConsortError, type TaskDefinitionInput,
} from '@consort/core';
import { loadConsortProtocol } from '@consort/protos';
import type { CoordinatorEvent__Output } from '@consort/protos/types/CoordinatorEvent';
import type { RoundOpen } from '@consort/protos/types/RoundOpen';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { checkKeySetSize, checkRoundOpen, describeTerms, roundTaskOf, taskTermsHash, type MemberPolicy } from './round-policy.ts';

const coordinator = nacl.sign.keyPair();
const policy: MemberPolicy = { coordinatorPublicKey: coordinator.publicKey, allowPlain: false, minMembersFloor: 3 };

const TASK: TaskDefinitionInput = {
  name: 'churn', label: 'churned', positiveLabel: ['1'], numeric: ['tenure', 'spend'], categorical: { plan: ['basic', 'premium'] },
  protected: ['gender'], minMembers: 4, dropoutTolerance: 0.1, testFraction: 0.2, seed: 7,
};

/** RoundOpen.task and task_sha256 of a task file, as the coordinator sends them. */
function taskFields(input: TaskDefinitionInput): Pick<RoundOpen, 'task' | 'taskSha256' | 'model' | 'aggregation'> {
  const task = resolveTask(input);
  const text = encodeTask(task);
  const model = task.kind === 'model'
    ? { kind: task.model.kind, optionsJson: JSON.stringify(modelSpecOf(task)), layout: [], parameterCount: String(parameterCount(modelSpecOf(task))) } : null;
  return { task: Buffer.from(text), taskSha256: taskSha256(text), model, aggregation: task.aggregation };
}

/** A secure training RoundOpen as the coordinator builds it (input types). */
function secureOpen(overrides: Partial<RoundOpen> = {}, secagg: Partial<NonNullable<RoundOpen['secagg']>> = {}, task: TaskDefinitionInput = TASK): RoundOpen {
  return {
    roundId: 'round-1', taskId: 'task-1', roundNumber: 2, modelVersionId: 'mv-1', modelSha256: Buffer.alloc(32, 7),
    ...taskFields(task),
    train: { localEpochs: 3, batchSize: 32, learningRate: 0.1, proximalMu: 0 },
    deadlines: [{ stage: 'masked_input', deadlineUnixMs: String(1_700_000_000_000) }],
    pipelineJson: '', purpose: 'train', seed: 9, payloadJson: '',
    secagg: { threshold: 4, neighbours: 5, minMembers: 4, scaleBits: 16, clip: 16, modulusBits: 64, vectorLength: '40', graphSeed: Buffer.alloc(0), invitedMembers: 6, maxExamples: 1e6, ...secagg },
    ...overrides,
  };
}

/** Signs as the coordinator does, then sends through the real wire encoding and decodes as a member does. */
function overTheWire(open: RoundOpen, key = coordinator.secretKey, after?: (o: RoundOpen) => RoundOpen): RoundOpen__Output {
  const connect = loadConsortProtocol().definitions['consort.v1.MemberService'] as unknown as Record<string, { responseSerialize(v: object): Buffer; responseDeserialize(b: Buffer): unknown }>;
  let signed: RoundOpen = { ...open, coordinatorSignature: Buffer.from(signRoundOpen(open, key)) };
  if (after) signed = after(signed);
  const bytes = connect.Connect.responseSerialize({ roundOpen: signed });
  return (connect.Connect.responseDeserialize(bytes) as CoordinatorEvent__Output).roundOpen!;
}

function refusal(f: () => unknown): ConsortError {
  try {
    f();
  } catch (err) {
    return err as ConsortError;
  }
  throw new Error('expected a refusal');
}

describe('RoundOpen signature', () => {
  it('verifies after the wire encoding and covers every field of the message but the signature', () => {
    expect(() => checkRoundOpen(overTheWire(secureOpen()), undefined, policy)).not.toThrow();
    const fields = Object.keys((loadConsortProtocol().definitions['consort.v1.RoundOpen'] as unknown as { type: { field: { name: string; jsonName: string }[] } }).type.field
      .reduce<Record<string, true>>((acc, f) => ({ ...acc, [f.jsonName || f.name]: true }), {}));
    expect([...SIGNED_ROUND_OPEN_FIELDS, 'coordinatorSignature'].sort()).toEqual(fields.sort());
  });

  it('refuses a round altered after signing, an unsigned one and one signed by another key', () => {
    const altered = refusal(() => checkRoundOpen(overTheWire(secureOpen(), undefined, (o) => ({ ...o, aggregation: 'plain' })), undefined, { ...policy, allowPlain: true }));
    expect(altered.code).toBe('COORDINATOR_SIGNATURE_INVALID');
    const deeper = refusal(() => checkRoundOpen(overTheWire(secureOpen(), undefined, (o) => ({ ...o, secagg: { ...o.secagg, threshold: 2 } })), undefined, policy));
    expect(deeper.code).toBe('COORDINATOR_SIGNATURE_INVALID');
    const unsigned = refusal(() => checkRoundOpen(overTheWire(secureOpen(), undefined, (o) => ({ ...o, coordinatorSignature: Buffer.alloc(0) })), undefined, policy));
    expect(unsigned.code).toBe('COORDINATOR_SIGNATURE_INVALID');
    const impostor = refusal(() => checkRoundOpen(overTheWire(secureOpen(), nacl.sign.keyPair().secretKey), undefined, policy));
    expect(impostor.code).toBe('COORDINATOR_SIGNATURE_INVALID');
    expect(impostor.message).toMatch(/not signed by the coordinator key pinned at enrollment/);
    const noKey = refusal(() => checkRoundOpen(overTheWire(secureOpen()), undefined, { ...policy, coordinatorPublicKey: undefined }));
    expect(noKey.message).toMatch(/enroll again/);
  });
});

describe('member policy', () => {
  it('refuses plain aggregation unless the member opted in', () => {
    const open = overTheWire(secureOpen({ secagg: null }, {}, { ...TASK, aggregation: 'plain' }));
    const err = refusal(() => checkRoundOpen(open, undefined, policy));
    expect(err.code).toBe('ROUND_POLICY_REFUSED');
    expect(err.message).toMatch(/plain aggregation.*--allow-plain/);
    expect(checkRoundOpen(open, undefined, { ...policy, allowPlain: true }).task.aggregation).toBe('plain');
    // A plain round of a task defined as secure is refused whatever the member allows.
    const downgraded = refusal(() => checkRoundOpen(overTheWire(secureOpen({ aggregation: 'plain', secagg: null })), undefined, { ...policy, allowPlain: true }));
    expect(downgraded.message).toMatch(/announces plain aggregation for a task defined with secure aggregation/);
  });

  it('refuses minMembers below the floor and k, t below what the member computes from n', () => {
    const zero = refusal(() => checkRoundOpen(overTheWire(secureOpen({}, { minMembers: 0, neighbours: 2, threshold: 2 })), undefined, policy));
    expect(zero.code).toBe('ROUND_POLICY_REFUSED');
    expect(zero.message).toMatch(/at least 0 members.*floor is 4/);
    const floor5 = refusal(() => checkRoundOpen(overTheWire(secureOpen()), undefined, { ...policy, minMembersFloor: 5 }));
    expect(floor5.message).toMatch(/floor is 5/);
    // 6 invited: complete graph, k = 5, t = 3; a coordinator announcing k = t = 2 is refused.
    const sparse = refusal(() => checkRoundOpen(overTheWire(secureOpen({}, { neighbours: 2, threshold: 2 })), undefined, policy));
    expect(sparse.message).toMatch(/k = 2 neighbours and threshold t = 2 for 6 members; this member computes k = 5, t = 3/);
    // 100 invited at dropout tolerance 0.1: k = 19, t = 10 (core's resolveSecAggParams).
    const big = refusal(() => checkRoundOpen(overTheWire(secureOpen({}, { invitedMembers: 100, neighbours: 14, threshold: 8 })), undefined, policy));
    expect(big.message).toMatch(/this member computes k = 19, t = 10/);
    expect(() => checkRoundOpen(overTheWire(secureOpen({}, { invitedMembers: 100, neighbours: 19, threshold: 10 })), undefined, policy)).not.toThrow();
    // t with 2t <= k would let the coordinator obtain both secrets of a member.
    const unsound = refusal(() => checkRoundOpen(overTheWire(secureOpen({}, { neighbours: 5, threshold: 2 })), undefined, policy));
    expect(unsound.code).toBe('ROUND_POLICY_REFUSED');
    expect(() => checkKeySetSize('r', 6, 7)).toThrow(/announced 6 invited members but its key set lists 7/);
    expect(() => checkKeySetSize('r', 6, 6)).not.toThrow();
  });
});

describe('pinned task', () => {
  const pinned = checkRoundOpen(overTheWire(secureOpen()), undefined, policy);

  it('accepts later rounds of the same task whatever their round-specific fields', () => {
    const later = secureOpen({ roundId: 'round-9', roundNumber: 9, modelVersionId: 'mv-9', train: { localEpochs: 3, batchSize: 32, learningRate: 0.05 }, pipelineJson: '{"x":1}', purpose: 'evaluate' },
      { vectorLength: '99', invitedMembers: 5, neighbours: 4, threshold: 3 });
    expect(taskTermsHash(checkRoundOpen(overTheWire(later), pinned, policy))).toBe(taskTermsHash(pinned));
    expect(describeTerms(pinned)).toMatch(/secure aggregation with at least 4 members per round.*protected gender/);
  });

  it('names the fairness audit policy pinned with the task (its hash), when the task has one', () => {
    expect(describeTerms(pinned)).not.toMatch(/fairness audit/);
    const audited = resolveTask({ ...TASK, audit: { policy: { attributes: [{ name: 'gender', groups: ['F', 'M'] }] } } });
    if (audited.kind !== 'model' || !audited.audit) throw new Error('no audit');
    expect(describeTerms({ ...pinned, task: taskInputOf(audited) })).toMatch(new RegExp(`; fairness audit policy ${audited.audit.policyHash.slice(0, 12)}$`));
  });

  it('refuses a round that changes what the member agreed to, naming each difference', () => {
    const cases: [RoundOpen, RegExp][] = [
      [secureOpen({}, {}, { ...TASK, numeric: ['tenure', 'spend', 'gender'], protected: [] }), /numeric: pinned .*now .*gender.*protected: pinned \["gender"\], now \[\]/],
      [secureOpen({}, { minMembers: 3, threshold: 3 }, { ...TASK, minMembers: 3 }), /minMembers: pinned 4, now 3/],
      [secureOpen({ secagg: null }, {}, { ...TASK, aggregation: 'plain' }), /aggregation: pinned "secure", now "plain"/],
      [secureOpen({}, {}, { ...TASK, model: { kind: 'mlp', hidden: [4] } }), /model: pinned/],
      [secureOpen({}, {}, { ...TASK, categorical: { plan: ['basic', 'premium', 'gold'] } }), /categorical: pinned/],
      [secureOpen({}, {}, { ...TASK, dropoutTolerance: 0 }), /dropoutTolerance: pinned 0.1, now 0/],
      [secureOpen({}, {}, { ...TASK, testFraction: 0.5 }), /testFraction: pinned 0.2, now 0.5/],
      [secureOpen({}, {}, { ...TASK, seed: 8 }), /seed: pinned 7, now 8/],
    ];
    for (const [open, why] of cases) {
      const err = refusal(() => checkRoundOpen(overTheWire(open), pinned, { ...policy, allowPlain: true }));
      expect(err.code).toBe('TASK_MISMATCH');
      expect(err.message).toMatch(why);
    }
  });

  it('decodes a segmentation task, which has no model', () => {
    const segTask: TaskDefinitionInput = { name: 'seg', kind: 'segmentation', minMembers: 4, segmentation: { features: ['a', 'b'], profileLabels: ['churned'] } };
    const seg = overTheWire(secureOpen({ modelVersionId: '', modelSha256: Buffer.alloc(0), payloadJson: JSON.stringify({ kind: 'segmentation', purpose: 'statistics' }) }, {}, segTask));
    const terms = checkRoundOpen(seg, undefined, policy);
    expect(terms.task).toMatchObject({ kind: 'segmentation', segmentation: { features: ['a', 'b'], profileLabels: ['churned'] } });
    expect(roundTaskOf(seg)).toEqual(resolveTask(segTask));
    expect(describeTerms(terms)).toMatch(/segmentation on a, b; profile labels churned/);
  });

  it('refuses task bytes that do not match their hash, a missing task, and a model of another size', () => {
    const swapped = overTheWire(secureOpen({ task: Buffer.from(encodeTask(resolveTask({ ...TASK, protected: [] }))) }));
    expect(refusal(() => checkRoundOpen(swapped, undefined, policy)).message).toMatch(/does not match the hash it announces/);
    const none = overTheWire(secureOpen({ task: Buffer.alloc(0), taskSha256: '' }));
    expect(refusal(() => checkRoundOpen(none, undefined, policy)).message).toMatch(/carries no task definition/);
    const bigger = overTheWire(secureOpen({ model: { kind: 'logistic', optionsJson: '', layout: [], parameterCount: '99' } }));
    expect(refusal(() => checkRoundOpen(bigger, undefined, policy)).message).toMatch(/its model has 99 parameters; the task's model has 5/);
    const garbage = overTheWire(secureOpen({ task: Buffer.from('{"schemaVersion":1,"task":{"name":"x"}}'), taskSha256: taskSha256('{"schemaVersion":1,"task":{"name":"x"}}') }));
    expect(refusal(() => checkRoundOpen(garbage, undefined, policy)).message).toMatch(/task definition cannot be read .*field "label"/);
  });
});
