// Parameters of one secure-aggregation round (threshold, neighbours, minimum members) and their defaults.
import { ConsortError } from '../errors/consort-error.ts';
import { assertBits, type ModulusBits } from './mod-vector.ts';

/** What a task configures; every unset field gets its default in `resolveSecAggParams`. */
export interface SecAggOptions {
  /** Round id, bound into every signature, seed and ciphertext of the round. */
  roundId: string;
  /** Elements in the masked vector. */
  vectorLength: number;
  /** 32 or 64 (see quantize.ts `modulusBitsFor`). */
  modulusBits: ModulusBits;
  /** Neighbours k per member in the sparse graph. Default: `neighboursForDropouts` (O(log n), Bell et al.). */
  neighbours?: number;
  /**
   * Fraction of members the round should survive losing (default 0.1). Sets the default k: the
   * smallest k >= ceil(2 log2 n) at which the round aborts with probability <= 1e-3 when each
   * member drops independently with this probability. Ignored when `neighbours` is given.
   */
  dropoutTolerance?: number;
  /** Shamir threshold t. Default floor(k/2) + 1, the smallest t with 2t > k. */
  threshold?: number;
  /** Minimum members whose inputs enter the sum (and that must survive every stage). Default 5. */
  minMembers?: number;
  /** Up to this many invited members the graph is complete (k = n - 1). Default 20. */
  completeGraphMaxMembers?: number;
}

/** Resolved parameters, identical on the coordinator and every member (sent in SecAggParams). */
export interface SecAggParams {
  roundId: string;
  vectorLength: number;
  modulusBits: ModulusBits;
  /** k; the graph of the advertised key set is complete whenever k >= n - 1. */
  neighbours: number;
  threshold: number;
  minMembers: number;
}

export const DEFAULT_SECAGG_MIN_MEMBERS = 5;
export const DEFAULT_COMPLETE_GRAPH_MAX_MEMBERS = 20;

export const DEFAULT_DROPOUT_TOLERANCE = 0.1;
/** Accepted probability that random dropouts leave some member with fewer than t live neighbours. */
const ROUND_FAILURE_BOUND = 1e-3;

/** Default k for n members: complete up to `completeMax`, else `neighboursForDropouts`. */
export function defaultNeighbours(members: number, completeMax = DEFAULT_COMPLETE_GRAPH_MAX_MEMBERS, dropoutTolerance = DEFAULT_DROPOUT_TOLERANCE): number {
  if (members <= completeMax) return members - 1;
  return neighboursForDropouts(members, dropoutTolerance);
}

/** P[X < t] for X ~ Binomial(k, p). */
function binomialBelow(k: number, p: number, t: number): number {
  let sum = 0;
  let choose = 1;
  for (let x = 0; x < t; x++) {
    sum += choose * p ** x * (1 - p) ** (k - x);
    choose = (choose * (k - x)) / (x + 1);
  }
  return sum;
}

/**
 * The smallest k >= ceil(2 log2 n) (capped at n - 1, the complete graph) such that, if every
 * member drops independently with probability `dropoutTolerance`, the union bound
 * n * P[Binomial(k, 1 - tolerance) < t(k)] on "some member keeps fewer than t = floor(k/2) + 1
 * live neighbours" is at most 1e-3. E.g. n = 100: k = 14 at 0 %, 19 at 10 %, 99 (complete) at 30 %;
 * n = 500: 18, 21 and 123. Since 2t > k, no k survives half of the members dropping.
 */
export function neighboursForDropouts(members: number, dropoutTolerance: number): number {
  if (!(dropoutTolerance >= 0 && dropoutTolerance < 0.5)) {
    throw new ConsortError('INVALID_ARGUMENT', `dropoutTolerance must be in [0, 0.5), got ${dropoutTolerance}: with half the members gone no threshold above k/2 can be met.`);
  }
  const base = Math.min(members - 1, Math.ceil(2 * Math.log2(members)));
  for (let k = base; k < members - 1; k++) {
    if (members * binomialBelow(k, 1 - dropoutTolerance, Math.floor(k / 2) + 1) <= ROUND_FAILURE_BOUND) return k;
  }
  return members - 1;
}

/**
 * Resolves defaults for `invitedMembers` members and checks the security conditions:
 * 2 <= t <= k (the library needs t >= 2; a member needs t live neighbours) and 2t > k, so that
 * no two disjoint sets of a member's honest neighbours can each reveal t shares: the coordinator
 * can never obtain both the self-mask seed and the mask key of the same member.
 */
export function resolveSecAggParams(options: SecAggOptions, invitedMembers: number): SecAggParams {
  assertBits(options.modulusBits);
  if (!options.roundId) throw new ConsortError('INVALID_ARGUMENT', 'A secure-aggregation round needs a non-empty round id.');
  if (!Number.isSafeInteger(options.vectorLength) || options.vectorLength < 1) {
    throw new ConsortError('INVALID_ARGUMENT', `vectorLength must be a positive integer, got ${options.vectorLength}.`);
  }
  const minMembers = options.minMembers ?? DEFAULT_SECAGG_MIN_MEMBERS;
  if (!Number.isInteger(minMembers) || minMembers < 3) {
    throw new ConsortError('INVALID_ARGUMENT', `minMembers must be an integer >= 3, got ${minMembers}: with fewer, one member's input is exposed.`);
  }
  if (invitedMembers < minMembers) {
    throw new ConsortError('TOO_FEW_MEMBERS', `Only ${invitedMembers} members are invited; secure aggregation needs at least ${minMembers}. Invite more members.`);
  }
  const neighbours = Math.min(
    invitedMembers - 1,
    options.neighbours ?? defaultNeighbours(invitedMembers, options.completeGraphMaxMembers, options.dropoutTolerance),
  );
  const threshold = options.threshold ?? Math.max(2, Math.floor(neighbours / 2) + 1);
  const params: SecAggParams = {
    roundId: options.roundId,
    vectorLength: options.vectorLength,
    modulusBits: options.modulusBits,
    neighbours,
    threshold,
    minMembers,
  };
  validateSecAggParams(params);
  return params;
}

/** Throws INVALID_ARGUMENT when resolved parameters break the conditions of `resolveSecAggParams`. */
export function validateSecAggParams(p: SecAggParams): void {
  assertBits(p.modulusBits);
  if (!Number.isInteger(p.neighbours) || p.neighbours < 2) {
    throw new ConsortError('INVALID_ARGUMENT', `neighbours must be an integer >= 2, got ${p.neighbours}.`);
  }
  if (!Number.isInteger(p.threshold) || p.threshold < 2 || p.threshold > p.neighbours) {
    throw new ConsortError('INVALID_ARGUMENT', `threshold must be an integer in [2, ${p.neighbours}] (neighbours), got ${p.threshold}.`);
  }
  if (2 * p.threshold <= p.neighbours) {
    throw new ConsortError(
      'INVALID_ARGUMENT',
      `threshold ${p.threshold} is at most half of ${p.neighbours} neighbours: the coordinator could collect both secrets of a member. Use threshold >= ${Math.floor(p.neighbours / 2) + 1}.`,
    );
  }
  if (p.neighbours > 254) {
    throw new ConsortError('INVALID_ARGUMENT', `neighbours must be at most 254 (GF(256) Shamir shares), got ${p.neighbours}.`);
  }
}
