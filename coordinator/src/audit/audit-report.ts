// The fairness audit report of one model version: its fields, RFC 8785 canonical bytes and the
// coordinator's Ed25519 signature over them, so an auditor can check it with nothing but the file.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import nacl from 'tweetnacl';
import { ConsortError } from '@consort/core';
import type { CoordinatorKey } from '../signing/coordinator-key.ts';
import type { AuditDifferentialPrivacy } from './audit-privacy.ts';

/** Format tag of the report; bumped when a field changes meaning. */
export const AUDIT_REPORT_FORMAT = 'consort-audit-report/1';

/** The audited model version. */
export interface AuditedModel {
  taskId: string;
  taskName: string;
  /** Task kind (e.g. binary, regression, segmentation). */
  kind: string;
  modelVersionId: string;
  version: number;
  /** SHA-256 hex of the model's float32 little-endian weights (as stored with the version). */
  sha256: string;
  /** Segmentation models: the version's segment names, by segment index (what members' scoring calls them). */
  segmentNames?: string[];
}

/** What the model is for and what its label means, as the operator declared it. */
export interface AuditedTask {
  intendedUse: string;
  /** Target column and what a positive label means. */
  labelDefinition: string;
  /** The period the members' held-out rows cover, as declared (free text or ISO interval). */
  dataWindow: string;
}

/** Who contributed: a count and pseudonyms (12 hex digits of SHA-256 of each identity key), never names. */
export interface AuditMembers {
  count: number;
  pseudonyms: string[];
}

/** How the aggregates were collected and exactly what left the members. */
export interface AuditPrivacy {
  /** 'secure-aggregation' (pairwise-masked sum, Bonawitz et al. 2017) or 'plain'. */
  protocol: 'secure-aggregation' | 'plain';
  /** Minimum members per round the coordinator enforced (a coalition of n−1 learns the last input). */
  minMembers: number;
  /** Every quantity revealed to the coordinator, in words (only sums over members). */
  revealed: string[];
  /** Rounds that collected the aggregates. */
  roundIds: string[];
  /** Members invited that dropped out of the audit round (pseudonyms). */
  droppedPseudonyms: string[];
  /**
   * Differential privacy of the released counts: the audit's noise and charge and the (ε, δ) of the
   * model version and of the task after the audit (audit-privacy.ts), or the statement that there
   * is none. Absent only in reports made before it existed.
   */
  differentialPrivacy?: AuditDifferentialPrivacy;
}

/** The signed content of an audit report: everything an auditor reads and recomputes. */
export interface AuditReportBody {
  format: typeof AUDIT_REPORT_FORMAT;
  /** ISO 8601 time the report was made. */
  createdAt: string;
  model: AuditedModel;
  task: AuditedTask;
  members: AuditMembers;
  privacy: AuditPrivacy;
  /** The audit policy exactly as fixed before the round (resolved defaults included). */
  policy: unknown;
  /** SHA-256 hex of the policy's RFC 8785 canonical JSON. */
  policyHash: string;
  /** The released secure sum decoded into named integer tensors. */
  aggregates: unknown;
  /** Every metric with its interval, convention and verdict, computed from `aggregates` and `policy`. */
  result: unknown;
  /** Mitigations applied before this version (reweighing, per-group thresholds), with their trade-offs. */
  mitigations: unknown[];
}

/** An Ed25519 signature over the canonical bytes of `report`, with the key that made it. */
export interface AuditSignature {
  algorithm: 'Ed25519';
  /** Base64 of the coordinator's 32-byte public key (members pinned the same key at enrollment). */
  publicKey: string;
  /** Base64 of the 64-byte detached signature over canonicalBytes(report). */
  value: string;
}

/** The report file: the body and the signature over its canonical bytes. */
export interface SignedAuditReport {
  report: AuditReportBody;
  signature: AuditSignature;
}

/** RFC 8785 canonical JSON of a value; refuses values JSON cannot carry exactly (NaN, Infinity). */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `an audit report field cannot be written as canonical JSON (${(err as Error).message})`);
  }
  if (text === undefined) throw new ConsortError('INVALID_ARGUMENT', 'an audit report must be a JSON value');
  return text;
}

/** The bytes the signature covers: UTF-8 of the body's canonical JSON. */
export function canonicalBytes(report: AuditReportBody): Uint8Array {
  return new Uint8Array(Buffer.from(canonicalJson(report), 'utf8'));
}

/** SHA-256 hex of the canonical body: the report's content id (stored, shown, compared). */
export function reportSha256(report: AuditReportBody): string {
  return createHash('sha256').update(canonicalBytes(report)).digest('hex');
}

/** Signs a report body with the coordinator's key. */
export function signAuditReport(report: AuditReportBody, key: CoordinatorKey): SignedAuditReport {
  const value = nacl.sign.detached(canonicalBytes(report), key.secretKey);
  return {
    report,
    signature: { algorithm: 'Ed25519', publicKey: Buffer.from(key.publicKey).toString('base64'), value: Buffer.from(value).toString('base64') },
  };
}

/** A member's pseudonym: the first 12 hex digits of SHA-256 of its identity key (as the agent logs it). */
export function memberPseudonym(identityPublicKey: Uint8Array): string {
  return createHash('sha256').update(identityPublicKey).digest('hex').slice(0, 12);
}

/** The report file's text: the signed report as JSON (canonical, so the file itself is stable). */
export function auditReportFileText(signed: SignedAuditReport): string {
  return `${canonicalJson(signed)}\n`;
}
