// A synthetic consortium's audit for tests: members' held-out rows with two protected attributes
// (gender, banded age) and their intersection, each member's audit vector, the sum and its release.
import {
  SeededRandom, buildAuditLayout, decodeAuditAggregates, memberAuditVector, parseAuditPolicy, releaseAggregates,
  type AuditAggregates, type AuditLayout, type AuditPolicy, type AuditRow,
} from '@consort/core';

/** The policy of the synthetic audit (100 bins keep the vectors small). */
export const SYNTHETIC_POLICY_INPUT = {
  attributes: [
    { name: 'gender', column: 'gender', kind: 'categorical', groups: ['F', 'M'], reference: 'M' },
    { name: 'age', column: 'age', kind: 'banded', bands: [35, 55] },
  ],
  intersections: [['gender', 'age']],
  thresholds: [0.5],
  histogramBins: 100,
  minCellCount: 10,
  minMembers: 3,
  bootstrap: { resamples: 100, seed: 7 },
};

export function syntheticPolicy(overrides: Record<string, unknown> = {}): AuditPolicy {
  return parseAuditPolicy({ ...SYNTHETIC_POLICY_INPUT, ...overrides });
}

/**
 * Rows of member `m`: scores lean higher for one gender (a disparity to find); only member 0
 * has customers aged 55 and over (a group present at one member, so it is suppressed).
 */
export function syntheticRows(m: number, count: number, seed = 1): AuditRow[] {
  const rng = new SeededRandom(seed * 1000 + m);
  return Array.from({ length: count }, () => {
    const gender = rng.next() < 0.5 ? 'F' : 'M';
    const age = m === 0 && rng.next() < 0.3 ? 55 + rng.int(30) : 18 + rng.int(37);
    const label = rng.next() < 0.3 + (age < 35 ? 0.1 : 0) ? 1 : 0;
    const logit = (label ? 0.9 : -0.9) + (gender === 'F' ? 0.5 : -0.2) + rng.normal(0, 1);
    return { score: 1 / (1 + Math.exp(-logit)), label, values: { gender, age } };
  });
}

/** Each member's audit vector. */
export function memberVectors(layout: AuditLayout, members: number, rowsPerMember = 400, seed = 1): number[][] {
  return Array.from({ length: members }, (_, m) => memberAuditVector(syntheticRows(m, rowsPerMember, seed), layout));
}

/** The element-wise sum of members' vectors (what the secure sum reveals). */
export function sumVectors(vectors: number[][]): number[] {
  const out = new Array<number>(vectors[0].length).fill(0);
  for (const v of vectors) v.forEach((x, i) => { out[i] += x; });
  return out;
}

/** The released aggregates of a synthetic consortium of `members`. */
export function syntheticAggregates(policy: AuditPolicy, members: number, rowsPerMember = 400, seed = 1): { layout: AuditLayout; aggregates: AuditAggregates } {
  const layout = buildAuditLayout(policy);
  const sum = sumVectors(memberVectors(layout, members, rowsPerMember, seed));
  return { layout, aggregates: releaseAggregates(decodeAuditAggregates(sum, layout), policy) };
}

/** The model, task and member pseudonyms of a report over the synthetic consortium (unit tests of reports and pages). */
export const syntheticReportContext = {
  model: { taskId: 't', taskName: 'churn', kind: 'model', modelVersionId: 'mv1', version: 1, sha256: 'ab'.repeat(32) },
  task: { intendedUse: 'retention', labelDefinition: 'churned', dataWindow: 'H1' },
  contributors: ['a1', 'a2', 'a3', 'a4', 'a5'], dropped: [] as string[],
};
