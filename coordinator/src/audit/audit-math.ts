// The audit math of core (policy hash, computeAudit) behind the AuditRecompute seam verify and the producer use.
import { computeAudit, policyHash, type AuditAggregates, type AuditPolicy } from '@consort/core';
import type { AuditRecompute } from './verify-audit-report.ts';
import { measuredEffectOf } from './mitigation-plan.ts';

/** Recomputes with core/src/audit: the same code that produced the report, so equality is bit for bit. */
export const coreAuditMath: AuditRecompute = {
  policyHash: (policy) => policyHash(policy as AuditPolicy),
  recompute: (policy, aggregates, noiseStdPerCount) => computeAudit(aggregates as AuditAggregates, policy as AuditPolicy, noiseStdPerCount),
  measureMitigation: (record, aggregates) => measuredEffectOf(record, aggregates as AuditAggregates),
};
