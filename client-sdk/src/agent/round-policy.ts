// The member's own policy for a RoundOpen, checked before any data is read or any key is made:
// signed by the pinned coordinator key, the task it pinned, no plain aggregation without its
// operator's opt-in, and minMembers, neighbours k and threshold t no lower than it computes itself.
import { createHash } from 'node:crypto';
import {
  ConsortError, resolveSecAggParams, validateSecAggParams, verifyRoundOpen, type ModulusBits, type SecAggParams,
} from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';

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
}

/**
 * The part of a RoundOpen that defines the task, identical in every round of it: what the
 * member agrees to at the first round and pins. Round-specific fields (ids, model version,
 * learning-rate schedule, deadlines, fitted pipeline, k and t for this round's n) are not in it.
 */
export interface TaskTerms {
  taskId: string;
  aggregation: string;
  /** The task's minimum members per round (secure rounds; null for plain). */
  minMembers: number | null;
  dropoutTolerance: number;
  label: string;
  numeric: string[];
  categorical: string[];
  protected: string[];
  /** The federation's vocabularies, positive label values and prediction task (binary/regression). */
  context: unknown;
  /** Kind and options (its parameter count follows; a segmentation task's stored versions vary in size). */
  model: { kind: string; spec: unknown } | null;
  testFraction: number;
  splitSeed: number;
  /** Segmentation tasks: the features and profile labels of the work order. */
  segmentation: { features: unknown; profileLabels: unknown } | null;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v));
}

function parseJson(text: string, field: string, open: RoundOpen__Output): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConsortError('ROUND_POLICY_REFUSED', `round ${open.roundId} of task ${open.taskId} carries malformed JSON in ${field}; refused`, { field });
  }
}

/** The task terms a RoundOpen announces. */
export function taskTermsOf(open: RoundOpen__Output): TaskTerms {
  const f = open.features;
  const payload = parseJson(open.payloadJson, 'payload_json', open) as { kind?: unknown; features?: unknown; profileLabels?: unknown } | null;
  const spec = open.model ? parseJson(open.model.optionsJson, 'model.options_json', open) : null;
  return {
    taskId: open.taskId,
    aggregation: open.aggregation,
    minMembers: open.aggregation === 'secure' && open.secagg ? open.secagg.minMembers : null,
    dropoutTolerance: open.dropoutTolerance,
    label: f?.label ?? '',
    numeric: f?.numericFeatures ?? [],
    categorical: f?.categoricalFeatures ?? [],
    protected: f?.protectedAttributes ?? [],
    context: parseJson(open.vocabulariesJson, 'vocabularies_json', open),
    model: open.model ? { kind: open.model.kind, spec } : null,
    testFraction: open.testFraction,
    splitSeed: open.splitSeed,
    // An audit round's work order (policy) is not a task term: the same task is audited under any policy.
    segmentation: payload && payload.kind !== 'audit' ? { features: payload.features ?? null, profileLabels: payload.profileLabels ?? null } : null,
  };
}

/** SHA-256 (hex) of the terms' canonical JSON: the pinned task's identity. */
export function taskTermsHash(terms: TaskTerms): string {
  return createHash('sha256').update(stableJson(terms)).digest('hex');
}

const FIELD_NAMES: Record<keyof TaskTerms, string> = {
  taskId: 'task id', aggregation: 'aggregation', minMembers: 'minMembers', dropoutTolerance: 'dropoutTolerance', label: 'label',
  numeric: 'numeric features', categorical: 'categorical features', protected: 'protected attributes',
  context: 'vocabularies / positive label / prediction task', model: 'model', testFraction: 'testFraction', splitSeed: 'split seed',
  segmentation: 'segmentation features / profile labels',
};

function short(v: unknown): string {
  const s = stableJson(v);
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/** Each term that differs, as "field: pinned X, now Y". */
export function termDifferences(pinned: TaskTerms, now: TaskTerms): string[] {
  return (Object.keys(FIELD_NAMES) as (keyof TaskTerms)[])
    .filter((k) => stableJson(pinned[k]) !== stableJson(now[k]))
    .map((k) => `${FIELD_NAMES[k]}: pinned ${short(pinned[k])}, now ${short(now[k])}`);
}

/** One line of what the member agreed to, for its log. */
export function describeTerms(t: TaskTerms): string {
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  const model = t.model ? `model ${short(t.model.spec)}` : 'no model';
  const members = t.minMembers === null ? 'plain aggregation (the coordinator sees each update)'
    : `${t.aggregation} aggregation with at least ${t.minMembers} members per round (dropout tolerance ${t.dropoutTolerance})`;
  const seg = t.segmentation ? `; segmentation on ${short(t.segmentation.features)}` : '';
  return `${members}; label ${t.label || 'none'}; numeric ${list(t.numeric)}; categorical ${list(t.categorical)}; `
    + `protected ${list(t.protected)}; ${model}; test fraction ${t.testFraction}${seg}`;
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

function checkSecure(open: RoundOpen__Output, pinned: TaskTerms | undefined, policy: MemberPolicy): void {
  const s = open.secagg;
  if (!s) throw refuse(open, 'a secure round without secure-aggregation parameters');
  const floor = Math.max(DEFAULT_MIN_MEMBERS_FLOOR, policy.minMembersFloor, pinned?.minMembers ?? 0);
  if (s.minMembers < floor) {
    throw refuse(open, `it asks for at least ${s.minMembers} members per round; this member's floor is ${floor} (with fewer members a sum reveals too much of each)`,
      { minMembers: s.minMembers, floor });
  }
  if (s.invitedMembers < s.minMembers) throw refuse(open, `only ${s.invitedMembers} members are invited, fewer than the minimum ${s.minMembers}`);
  let expected: SecAggParams;
  try {
    expected = expectedSecAgg(open, s.minMembers, pinned?.dropoutTolerance ?? open.dropoutTolerance);
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
  const terms = taskTermsOf(open);
  if (pinned) {
    const diffs = termDifferences(pinned, terms);
    if (diffs.length) {
      throw new ConsortError('TASK_MISMATCH',
        `round ${open.roundId} differs from task ${open.taskId} as this member pinned it at its first round (${diffs.join('; ')}); refused. `
        + 'If the federation really changed the task, ask the operator to create a new task',
        { roundId: open.roundId, taskId: open.taskId, differences: diffs });
    }
  }
  if (open.aggregation === 'plain') {
    if (!policy.allowPlain) {
      throw refuse(open, 'it asks for plain aggregation, where the coordinator sees this member\'s update and counts in clear; '
        + 'serve plain rounds only in a debugging federation you trust, by starting the agent with --allow-plain');
    }
  } else if (open.aggregation === 'secure') {
    checkSecure(open, pinned, policy);
  } else {
    throw refuse(open, `unknown aggregation "${open.aggregation}"`);
  }
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
