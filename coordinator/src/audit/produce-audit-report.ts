// Producing the report of a model version: compute the metrics from the released aggregates,
// gather what the report states (model, task, members, privacy), sign it and store it.
import type { AuditAggregates, AuditPolicy, AuditResult } from '@consort/core';
import type { AuditReportRecord, Store, TaskRecord } from '../store/store.ts';
import type { CoordinatorKey } from '../signing/coordinator-key.ts';
import {
  AUDIT_REPORT_FORMAT, canonicalJson, memberPseudonym, reportSha256, signAuditReport,
  type AuditedModel, type AuditedTask, type AuditReportBody, type SignedAuditReport,
} from './audit-report.ts';
import { dpNoiseStdOf, type AuditRecompute } from './verify-audit-report.ts';
import { NO_DP_STATEMENT, type AuditDifferentialPrivacy } from './audit-privacy.ts';

/** What the operator declares about the audited task (anything left out is derived from the task or said to be undeclared). */
export interface AuditDeclarationOptions {
  /** What the model is for, e.g. "rank customers for a retention offer". Default: task name and kind. */
  intendedUse?: string;
  /** What a positive label means. Default: from the task's label column and positive values. */
  labelDefinition?: string;
  /** The period the held-out rows cover. Default: "not declared by the operator". */
  dataWindow?: string;
}

/** What an audit round delivers to the report. */
export interface AuditRoundOutcome {
  modelVersionId: string;
  /** The policy fixed (and hashed) before the round. */
  policy: AuditPolicy;
  /** The released aggregates: the secure sum decoded, cells below the minimums withheld. */
  aggregates: AuditAggregates;
  /** Rounds that collected the aggregates. */
  roundIds: string[];
  /** Members whose vectors are in the sum. */
  contributors: string[];
  /** Members invited that dropped out before their input counted. */
  dropped: string[];
  protocol: 'secure-aggregation' | 'plain';
  /** Minimum members per round the coordinator enforced. */
  minMembers: number;
  /** Mitigations applied before this version (marked in the report). */
  mitigations?: unknown[];
  /** The DP section of a task with `privacy:` (audit-privacy.ts); absent: the counts were released exactly. */
  differentialPrivacy?: AuditDifferentialPrivacy;
}

function labelDefinitionOf(task: TaskRecord): string {
  const def = task.definition;
  if (def.kind === 'segmentation') return 'no label: a segmentation model (segments by group are audited)';
  if (!def.label) return 'not declared by the operator';
  const positive = def.positiveLabel?.length ? `; positive when its value is ${def.positiveLabel.map((v) => JSON.stringify(v)).join(' or ')}` : '';
  return `column "${def.label}"${positive}`;
}

/** The task part of the report from the operator's declaration, else derived. */
export function auditedTask(task: TaskRecord, declared: AuditDeclarationOptions = {}): AuditedTask {
  return {
    intendedUse: declared.intendedUse ?? `${task.name} (${task.definition.kind} task; the operator declared no intended use)`,
    labelDefinition: declared.labelDefinition ?? labelDefinitionOf(task),
    dataWindow: declared.dataWindow ?? 'not declared by the operator',
  };
}

/** Plain statements of everything the coordinator learned in the audit round. */
export function revealedQuantities(policy: AuditPolicy, aggregates: AuditAggregates, dp?: AuditDifferentialPrivacy): string[] {
  if (dp?.applied) {
    return [
      `the sum over members of one integer vector: per cell of each grouping, the number of members with rows in it (exact), and with Gaussian noise of std ${dp.audit.noiseStdPerCount.toFixed(2)} (σ ${dp.audit.noiseMultiplier} × Δ ${dp.audit.sensitivity.toFixed(3)}) TP/FP/TN/FN at each threshold (${policy.thresholds.join(', ')}) and score histograms by true label merged into ${dp.audit.histogramGroups} groups`,
      `cells whose noisy row count is below ${policy.minCellCount}, or with rows from fewer than ${policy.minMembers} members, are withheld from the report`,
      'no member-parity distribution (not released under differential privacy)',
      'no row, no score and no per-member vector left any member',
    ];
  }
  const counted = aggregates.model.kind === 'segmentation'
    ? `the number of members with rows in it and its rows per segment (${aggregates.model.segments} segments, each row assigned with the audited version's centroids)`
    : `the number of members with rows in it, the row count, TP/FP/TN/FN at each threshold (${policy.thresholds.join(', ')}) and score histograms by true label (${policy.histogramBins} bins)`;
  const parity = aggregates.model.kind === 'segmentation'
    ? 'the number of members in the sum (a segmentation model has no per-member quality, so the member-parity distribution is empty)'
    : `the number of members per bin of their own ${policy.memberParity.metric} (${policy.memberParity.bins} bins): a distribution that names no member`;
  return [
    `the sum over members of one integer vector: per cell of each grouping, ${counted}`,
    `cells with fewer than ${policy.minCellCount} rows or ${policy.minMembers} members are withheld from the report`,
    parity,
    'no row, no score and no per-member vector left any member',
  ];
}

/** Everything a report states besides the audit outcome itself (read from the store by buildAuditReportBody). */
export interface AuditReportContext {
  model: AuditedModel;
  task: AuditedTask;
  /** Pseudonyms of the members whose vectors are in the sum. */
  contributors: string[];
  /** Pseudonyms of the invited members that dropped out. */
  dropped: string[];
}

/** The report body (unsigned) of an audit outcome: pure, the result recomputed with `math`. */
export function assembleAuditReportBody(
  context: AuditReportContext,
  outcome: Omit<AuditRoundOutcome, 'modelVersionId' | 'contributors' | 'dropped'>,
  math: AuditRecompute,
  now = new Date(),
): AuditReportBody {
  // Through canonical JSON: what is signed is exactly what a file holds and verify reads back.
  const policy = JSON.parse(canonicalJson(outcome.policy)) as AuditPolicy;
  const aggregates = JSON.parse(canonicalJson(outcome.aggregates)) as AuditAggregates;
  const result = JSON.parse(canonicalJson(math.recompute(policy, aggregates, dpNoiseStdOf({ differentialPrivacy: outcome.differentialPrivacy })))) as AuditResult;
  return {
    format: AUDIT_REPORT_FORMAT,
    createdAt: now.toISOString(),
    model: context.model,
    task: context.task,
    members: { count: context.contributors.length, pseudonyms: [...context.contributors].sort() },
    privacy: {
      protocol: outcome.protocol,
      minMembers: outcome.minMembers,
      revealed: revealedQuantities(policy, aggregates, outcome.differentialPrivacy),
      roundIds: outcome.roundIds,
      droppedPseudonyms: [...context.dropped].sort(),
      differentialPrivacy: outcome.differentialPrivacy ?? { applied: false, statement: NO_DP_STATEMENT },
    },
    policy,
    policyHash: math.policyHash(policy),
    aggregates,
    result,
    mitigations: outcome.mitigations ? JSON.parse(canonicalJson(outcome.mitigations.map((m) => {
      const measured = math.measureMitigation(m, aggregates);
      return measured === undefined ? m : { ...(m as object), measured };
    }))) as unknown[] : [],
  };
}

/** Builds the report body (unsigned) of an audit round's outcome, reading model, task and members from the store. */
export async function buildAuditReportBody(
  store: Store,
  outcome: AuditRoundOutcome,
  math: AuditRecompute,
  declared: AuditDeclarationOptions = {},
  now = new Date(),
): Promise<AuditReportBody> {
  const mv = await store.getModelVersionMeta(outcome.modelVersionId);
  const task = await store.getTask(mv.taskId);
  const members = new Map((await store.listMembers(task.federationId)).map((m) => [m.id, m]));
  const pseudonymsOf = (ids: string[]) => ids.map((id) => {
    const m = members.get(id);
    return m ? memberPseudonym(m.identityPublicKey) : `unknown:${id.slice(0, 6)}`;
  });
  return assembleAuditReportBody({
    model: {
      taskId: task.id, taskName: task.name, kind: task.definition.kind, modelVersionId: mv.id, version: mv.version, sha256: mv.sha256,
      ...(task.definition.kind === 'segmentation' ? { segmentNames: segmentNamesOf(mv.metrics, outcome.aggregates) } : {}),
    },
    task: auditedTask(task, declared),
    contributors: pseudonymsOf(outcome.contributors),
    dropped: pseudonymsOf(outcome.dropped),
  }, outcome, math, now);
}

/** The segment names of a segmentation version (its metrics), one per segment of the audit; "segment i" where one is missing. */
function segmentNamesOf(metrics: Record<string, unknown>, aggregates: AuditAggregates): string[] {
  const k = aggregates.model.kind === 'segmentation' ? aggregates.model.segments : 0;
  const names = Array.isArray(metrics.names) ? metrics.names : [];
  return Array.from({ length: k }, (_, i) => (typeof names[i] === 'string' && names[i] ? names[i] as string : `segment ${i}`));
}

/** Signs a body and stores it with its model version (one report per version). */
export async function storeSignedAuditReport(store: Store, key: CoordinatorKey, body: AuditReportBody): Promise<{ signed: SignedAuditReport; record: AuditReportRecord }> {
  const signed = signAuditReport(body, key);
  const record = await store.saveAuditReport({
    taskId: body.model.taskId,
    modelVersionId: body.model.modelVersionId,
    policyHash: body.policyHash,
    reportSha256: reportSha256(body),
    verdict: (body.result as AuditResult).verdict,
    bodyJson: canonicalJson(body),
    signature: signed.signature.value,
    publicKey: signed.signature.publicKey,
  });
  await store.appendAuditEvent({
    actor: 'coordinator', kind: 'audit.reported', subjectType: 'modelVersion', subjectId: body.model.modelVersionId,
    detail: { reportId: record.id, policyHash: body.policyHash, verdict: record.verdict, reportSha256: record.reportSha256 },
  });
  // The registry names the version's report from now on (a released model is an audited one).
  await store.setModelVersionAuditReport(record.modelVersionId, record.id);
  return { signed, record };
}

/** The signed report file of a stored record (exactly the bytes that were signed, and the signature). */
export function signedReportOf(record: AuditReportRecord): SignedAuditReport {
  return { report: JSON.parse(record.bodyJson) as AuditReportBody, signature: { algorithm: 'Ed25519', publicKey: record.publicKey, value: record.signature } };
}
