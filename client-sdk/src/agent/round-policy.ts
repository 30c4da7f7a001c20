// The member's own policy for a RoundOpen, checked before any data is read or any key is made:
// signed by the pinned coordinator key, the task it pinned, no plain aggregation without its
// operator's opt-in, and minMembers, neighbours k and threshold t no lower than it computes itself.
import { createHash } from 'node:crypto';
import {
  ConsortError, decodeTask, modelSpecOf, parameterCount, resolveSecAggParams, resolveTask, taskInputOf, taskSha256, validateSecAggParams, verifyRoundOpen,
  type ModulusBits, type ResolvedTask, type SecAggParams, type TaskDefinitionInput,
} from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { DEFAULT_AUDIT_FLOORS, auditOrderOf, checkAuditOrder, type AuditFloors } from '../audit/audit-guard.ts';

/** Local floor on minMembers when the member's operator sets none: below 3 a sum exposes a member. */
export const DEFAULT_MIN_MEMBERS_FLOOR = 3;

/** What the member's own operator decided; the coordinator cannot change it. */
export interface MemberPolicy {
  /** The coordinator's key pinned at enrollment; undefined refuses every round. */
  coordinatorPublicKey?: Uint8Array;
  /** Serve rounds with plain (unmasked) aggregation. Default false: a debugging opt-in. */
  allowPlain: boolean;
  /** Smallest minMembers this member accepts for a secure round (at least 3). */
  minMembersFloor: number;
  /** Floors on an audit round's policy (suppression); default DEFAULT_AUDIT_FLOORS. */
  auditFloors?: AuditFloors;
}

/**
 * What the member agrees to at a task's first round and pins: the task itself (RoundOpen.task,
 * decoded by core), identical in every round of it. Round-specific fields (ids, model version,
 * learning-rate schedule, deadlines, fitted pipeline, k and t for this round's n) are not in it.
 */
export interface TaskTerms {
  taskId: string;
  /** SHA-256 of the task's canonical encoding (RoundOpen.task_sha256, checked against its bytes). */
  taskSha256: string;
  /** The task as a task file with every default written out (core taskInputOf): each field is compared to the pin. */
  task: TaskDefinitionInput;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v));
}

/**
 * The task a RoundOpen carries: its bytes checked against the announced hash, then decoded and
 * checked by core's one task decoder (the resolver a task file goes through).
 */
export function roundTaskOf(open: RoundOpen__Output): ResolvedTask {
  const bytes = open.task;
  if (!bytes || bytes.length === 0) throw refuse(open, 'it carries no task definition (a coordinator older than this agent); update the coordinator');
  const sha256 = taskSha256(bytes);
  if (sha256 !== open.taskSha256) {
    throw refuse(open, `its task does not match the hash it announces (${String(open.taskSha256).slice(0, 16)}…, the bytes hash to ${sha256.slice(0, 16)}…)`);
  }
  try {
    return decodeTask(bytes);
  } catch (err) {
    throw refuse(open, `its task definition cannot be read (${(err as Error).message}); update the agent if the coordinator is newer`);
  }
}

/** The task terms a RoundOpen announces. */
export function taskTermsOf(open: RoundOpen__Output): TaskTerms {
  return { taskId: open.taskId, taskSha256: open.taskSha256, task: taskInputOf(roundTaskOf(open)) };
}

/** SHA-256 (hex) of the terms' canonical JSON: the pinned task's identity. */
export function taskTermsHash(terms: TaskTerms): string {
  return createHash('sha256').update(stableJson(terms)).digest('hex');
}

function short(v: unknown): string {
  const s = stableJson(v);
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/** Each term that differs, as "field: pinned X, now Y" (task fields by their task-file name). */
export function termDifferences(pinned: TaskTerms, now: TaskTerms): string[] {
  const diffs = pinned.taskId === now.taskId ? [] : [`task id: pinned ${pinned.taskId}, now ${now.taskId}`];
  const a = pinned.task as unknown as Record<string, unknown>;
  const b = now.task as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys) {
    if (stableJson(a[k]) !== stableJson(b[k])) diffs.push(`${k}: pinned ${short(a[k])}, now ${short(b[k])}`);
  }
  return diffs;
}

/** One line of what the member agreed to, for its log. */
export function describeTerms(terms: TaskTerms): string {
  const t = resolveTask(terms.task);
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  const members = t.aggregation === 'plain' ? 'plain aggregation (the coordinator sees each update)'
    : `${t.aggregation} aggregation with at least ${t.minMembers} members per round (dropout tolerance ${t.dropoutTolerance})`;
  if (t.kind === 'segmentation') {
    return `${members}; segmentation on ${list(t.segmentation.features)}; profile labels ${list(t.segmentation.profileLabels)}; protected ${list(t.protected)}`;
  }
  return `${members}; label ${t.label}; numeric ${list(t.numeric)}; categorical ${list(t.categorical)}; `
    + `protected ${list(t.protected)}${t.protectedInputs.length ? ` (also inputs: ${list(t.protectedInputs)})` : ''}; `
    + `model ${t.model.kind} ${t.model.task}${t.model.hidden.length ? ` [${t.model.hidden.join(', ')}]` : ''}; test fraction ${t.testFraction}`
    // The audit policy is part of the pinned task: a member sees which one its held-out rows serve.
    + (t.audit ? `; fairness audit policy ${t.audit.policyHash.slice(0, 12)}` : '');
}

function refuse(open: RoundOpen__Output, why: string, details: Record<string, unknown> = {}): ConsortError {
  return new ConsortError('ROUND_POLICY_REFUSED', `round ${open.roundId} of task ${open.taskId} refused: ${why}`, { roundId: open.roundId, taskId: open.taskId, ...details });
}

/**
 * The neighbours k and threshold t this member expects for `invited` members: core's own
 * resolution with the task's dropout tolerance, so a coordinator cannot announce less.
 */
export function expectedSecAgg(open: RoundOpen__Output, minMembers: number, dropoutTolerance: number): SecAggParams {
  const s = open.secagg!;
  return resolveSecAggParams({
    roundId: open.roundId, vectorLength: Math.max(1, Number(s.vectorLength)), modulusBits: s.modulusBits as ModulusBits, minMembers, dropoutTolerance,
  }, s.invitedMembers);
}

function checkSecure(open: RoundOpen__Output, task: ResolvedTask, policy: MemberPolicy): void {
  const s = open.secagg;
  if (!s) throw refuse(open, 'a secure round without secure-aggregation parameters');
  // The task's own minimum (pinned: a later round carrying another task was refused before).
  const floor = Math.max(DEFAULT_MIN_MEMBERS_FLOOR, policy.minMembersFloor, task.minMembers);
  if (s.minMembers < floor) {
    throw refuse(open, `it asks for at least ${s.minMembers} members per round; this member's floor is ${floor} (with fewer members a sum reveals too much of each)`,
      { minMembers: s.minMembers, floor });
  }
  if (s.invitedMembers < s.minMembers) throw refuse(open, `only ${s.invitedMembers} members are invited, fewer than the minimum ${s.minMembers}`);
  let expected: SecAggParams;
  try {
    expected = expectedSecAgg(open, s.minMembers, task.dropoutTolerance);
    validateSecAggParams({ roundId: open.roundId, vectorLength: expected.vectorLength, modulusBits: expected.modulusBits, neighbours: s.neighbours, threshold: s.threshold, minMembers: s.minMembers });
  } catch (err) {
    throw refuse(open, `its secure-aggregation parameters are unsound (${(err as Error).message})`);
  }
  if (s.neighbours < expected.neighbours || s.threshold < expected.threshold) {
    throw refuse(open, `it announces k = ${s.neighbours} neighbours and threshold t = ${s.threshold} for ${s.invitedMembers} members; `
      + `this member computes k = ${expected.neighbours}, t = ${expected.threshold} and accepts no less`,
    { neighbours: s.neighbours, threshold: s.threshold, expectedNeighbours: expected.neighbours, expectedThreshold: expected.threshold });
  }
}

/**
 * Checks a RoundOpen against the member's policy and the task it pinned (undefined at the task's
 * first round). Returns the round's task terms (to pin at the first round); throws
 * COORDINATOR_SIGNATURE_INVALID, TASK_MISMATCH or ROUND_POLICY_REFUSED. Pure: no I/O.
 */
export function checkRoundOpen(open: RoundOpen__Output, pinned: TaskTerms | undefined, policy: MemberPolicy): TaskTerms {
  if (!policy.coordinatorPublicKey) {
    throw new ConsortError('COORDINATOR_SIGNATURE_INVALID',
      `round ${open.roundId} refused: this member's identity holds no pinned coordinator key (it was enrolled by an older agent); enroll again with a new token`,
      { roundId: open.roundId });
  }
  if (!verifyRoundOpen(open, policy.coordinatorPublicKey)) {
    throw new ConsortError('COORDINATOR_SIGNATURE_INVALID',
      `round ${open.roundId} of task ${open.taskId} is not signed by the coordinator key pinned at enrollment: it was altered on the way or sent by another server; refused (nothing was read or sent)`,
      { roundId: open.roundId, taskId: open.taskId });
  }
  const task = roundTaskOf(open);
  const terms: TaskTerms = { taskId: open.taskId, taskSha256: open.taskSha256, task: taskInputOf(task) };
  if (pinned) {
    const diffs = termDifferences(pinned, terms);
    if (diffs.length) {
      throw new ConsortError('TASK_MISMATCH',
        `round ${open.roundId} differs from task ${open.taskId} as this member pinned it at its first round (${diffs.join('; ')}); refused. `
        + 'If the federation really changed the task, ask the operator to create a new task',
        { roundId: open.roundId, taskId: open.taskId, differences: diffs });
    }
  }
  if (open.aggregation !== task.aggregation) {
    throw refuse(open, `it announces ${open.aggregation || 'no'} aggregation for a task defined with ${task.aggregation} aggregation`);
  }
  if (task.kind === 'model') {
    const expected = parameterCount(modelSpecOf(task));
    if (!open.model || Number(open.model.parameterCount) !== expected) {
      throw refuse(open, `its model has ${open.model ? open.model.parameterCount : 'no'} parameters; the task's model has ${expected}`);
    }
  }
  if (open.aggregation === 'plain') {
    if (!policy.allowPlain) {
      throw refuse(open, 'it asks for plain aggregation, where the coordinator sees this member\'s update and counts in clear; '
        + 'serve plain rounds only in a debugging federation you trust, by starting the agent with --allow-plain');
    }
  } else if (open.aggregation === 'secure') {
    checkSecure(open, task, policy);
  } else {
    throw refuse(open, `unknown aggregation "${open.aggregation}"`);
  }
  // An audit round's policy is the coordinator's choice: checked against the pinned task and the member's floors.
  let audit;
  try {
    audit = auditOrderOf(open.payloadJson);
  } catch (err) {
    throw refuse(open, `its work order cannot be read (${(err as Error).message})`);
  }
  if (audit) checkAuditOrder(open.roundId, audit, task, policy.auditFloors ?? DEFAULT_AUDIT_FLOORS);
  return terms;
}

/** Refuses a key set larger than the round's announced member count (k and t were derived from it). */
export function checkKeySetSize(roundId: string, invitedMembers: number, keys: number): void {
  if (keys > invitedMembers) {
    throw new ConsortError('ROUND_POLICY_REFUSED',
      `round ${roundId} announced ${invitedMembers} invited members but its key set lists ${keys}: neighbours and threshold were computed for fewer; refused`,
      { roundId, invitedMembers, keys });
  }
}
