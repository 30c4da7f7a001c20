// The differential-privacy section of an audit report: the audit's noise and charge, the (ε, δ)
// of the audited model version and of the task after the audit, built from the task's charges so
// that an auditor recomputes every ε from the report alone (the same builder, bit for bit).
import {
  PrivacyLedger, auditSensitivity, buildAuditLayout, dpHistogramGroups, effectiveNoiseMultiplier,
  type AuditPolicy, type PrivacyCharge, type PrivacyLevel,
} from '@consort/core';

/** What a report of a task without `privacy:` says. */
export const NO_DP_STATEMENT = 'no differential privacy: released exactly, protected by secure aggregation and suppression only';

/** An (ε, δ) pair at the task's δ; memberEpsilon is the member-level ε (0 without member-level releases). */
export interface EpsilonAt {
  epsilon: number;
  memberEpsilon: number;
}

/** The report's differential-privacy section (AuditPrivacy.differentialPrivacy). */
export type AuditDifferentialPrivacy =
  | { applied: false; statement: typeof NO_DP_STATEMENT }
  | {
    applied: true;
    level: PrivacyLevel;
    delta: number;
    /** The task's budget ε. */
    budgetEpsilon: number;
    /** The audit's own release. */
    audit: {
      /** σ_a (privacy.auditNoiseMultiplier). */
      noiseMultiplier: number;
      /** Δ of one customer's row in the noised counts (√(groupings · (thresholds + 1))). */
      sensitivity: number;
      /** Std of the noise on each released count when every invited member's share is in the sum: σ_a·Δ. */
      noiseStdPerCount: number;
      /** Score-histogram groups per label released (bins merged before noise). */
      histogramGroups: number;
      invited: number;
      survivors: number;
      /** σ_a·√(survivors/invited): what the sum really carries, and what was charged. */
      chargedNoiseMultiplier: number;
      /** ε of the audit alone at δ. */
      epsilon: number;
    };
    /** The audited version: training and every release charged before it was published (the first `charges` charges). */
    modelVersion: EpsilonAt & { version: number; charges: number };
    /** The task after the audit: every charge below. */
    taskAfterAudit: EpsilonAt;
    /** The task's ledger after the audit, in order (the audit's charge last): what every ε above is replayed from. */
    charges: PrivacyCharge[];
    /** What the intervals and the guarantee leave out, in words. */
    notes: string[];
  };

/** What the builder needs; everything else in the section is derived. */
export interface AuditPrivacyFacts {
  level: PrivacyLevel;
  delta: number;
  budgetEpsilon: number;
  noiseMultiplier: number;
  policy: AuditPolicy;
  invited: number;
  survivors: number;
  version: number;
  /** The task's charges after the audit, the audit's last. */
  charges: PrivacyCharge[];
  /** How many leading charges the model version's ε covers. */
  versionCharges: number;
}

function epsilonOf(budget: { epsilon: number; delta: number }, charges: readonly PrivacyCharge[]): EpsilonAt {
  const spent = PrivacyLedger.fromCharges(budget, charges).spent();
  return { epsilon: spent.customer.epsilon, memberEpsilon: spent.member.epsilon };
}

/** The section's notes: what the noise does to the intervals, and what the guarantee does not cover. */
export function auditPrivacyNotes(noiseStdPerCount: number): string[] {
  return [
    `every released count carries Gaussian noise of std about ${noiseStdPerCount.toFixed(2)} (rounded to integers, read as at least 0); the confidence intervals and checks account for sampling only, not for this noise: a rate over n rows moves by about ${noiseStdPerCount.toFixed(1)}·√2 ÷ n from it`,
    'the small-cell suppression uses the noisy counts (post-processing: no further privacy cost)',
    'not covered by ε: the number of members with at least one row in each cell (used for the minimum-members rule); a customer changes it only when it is its member\'s only row in that cell',
    'the member-parity distribution is not released under differential privacy (each member reports it as undefined)',
  ];
}

/** The section of a DP task's report. Pure: verify calls it again with the report's facts and compares. */
export function auditPrivacySection(f: AuditPrivacyFacts): AuditDifferentialPrivacy {
  const budget = { epsilon: f.budgetEpsilon, delta: f.delta };
  const sensitivity = auditSensitivity(buildAuditLayout(f.policy));
  const chargedNoiseMultiplier = effectiveNoiseMultiplier(f.noiseMultiplier, f.survivors, f.invited);
  const noiseStdPerCount = f.noiseMultiplier * sensitivity;
  const auditCharge = f.charges.at(-1);
  return {
    applied: true,
    level: f.level,
    delta: f.delta,
    budgetEpsilon: f.budgetEpsilon,
    audit: {
      noiseMultiplier: f.noiseMultiplier, sensitivity, noiseStdPerCount, histogramGroups: dpHistogramGroups(f.policy.histogramBins),
      invited: f.invited, survivors: f.survivors, chargedNoiseMultiplier,
      epsilon: auditCharge ? epsilonOf(budget, [auditCharge]).epsilon : 0,
    },
    modelVersion: { version: f.version, charges: f.versionCharges, ...epsilonOf(budget, f.charges.slice(0, f.versionCharges)) },
    taskAfterAudit: epsilonOf(budget, f.charges),
    charges: f.charges,
    notes: auditPrivacyNotes(noiseStdPerCount),
  };
}

/**
 * How many leading charges (before the audit's, the last) the model version's recorded ε covers:
 * the longest prefix whose replayed ε equals it (the ledger replays in the order it charged, so
 * equal means equal to the bit). Without a recorded ε, or none matching: every charge before the audit.
 */
export function versionChargeCount(budget: { epsilon: number; delta: number }, charges: readonly PrivacyCharge[], recordedEpsilon: number | undefined): number {
  const before = charges.length - 1;
  if (recordedEpsilon === undefined) return before;
  const ledger = new PrivacyLedger(budget);
  let found = -1;
  if (recordedEpsilon === 0) found = 0;
  for (let k = 1; k <= before; k++) {
    ledger.recordReleased([charges[k - 1]]);
    if (ledger.spent().customer.epsilon === recordedEpsilon) found = k;
  }
  return found >= 0 ? found : before;
}

/** The facts verify rebuilds a reported DP section from (the report's own fields, checked by recomputation). */
export function factsOfSection(section: Extract<AuditDifferentialPrivacy, { applied: true }>, policy: AuditPolicy, survivors: number): AuditPrivacyFacts {
  return {
    level: section.level, delta: section.delta, budgetEpsilon: section.budgetEpsilon, noiseMultiplier: section.audit.noiseMultiplier, policy,
    invited: section.audit.invited, survivors, version: section.modelVersion.version,
    charges: section.charges, versionCharges: section.modelVersion.charges,
  };
}
