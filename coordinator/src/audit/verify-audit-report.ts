// The auditor's check of a report file: the signature over its canonical bytes, the policy hash,
// and every metric recomputed from the released aggregates, compared bit for bit.
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { ConsortError, keyFingerprint } from '@consort/core';
import { AUDIT_REPORT_FORMAT, canonicalBytes, canonicalJson, reportSha256, type AuditReportBody, type SignedAuditReport } from './audit-report.ts';
import { NO_DP_STATEMENT, auditPrivacySection, factsOfSection } from './audit-privacy.ts';
import type { AuditPolicy } from '@consort/core';

/** The pure audit math verify needs (core/src/audit): hashing the policy and recomputing the result. */
export interface AuditRecompute {
  /** SHA-256 hex of the policy's RFC 8785 canonical JSON (throws on an invalid policy). */
  policyHash(policy: unknown): string;
  /** The audit result computed from the released aggregates under the policy (deterministic). */
  /** `noiseStdPerCount`: from the report's DP section when its counts are noised (checks on counts comparable to it are inconclusive). */
  recompute(policy: unknown, aggregates: unknown, noiseStdPerCount?: number): unknown;
  /** The measured effect of a mitigation record on the aggregates (per-group thresholds), undefined for records without one. */
  measureMitigation(record: unknown, aggregates: unknown): unknown;
}

/** What the auditor may pin beyond the file itself. */
export interface VerifyOptions {
  /** The coordinator's public key the auditor trusts (e.g. its published fingerprint's key); else the key inside the file. */
  trustedPublicKey?: Uint8Array;
  /** The policy hash the auditor agreed to before the round; a report under another policy is refused. */
  expectedPolicyHash?: string;
}

/** What a verified report amounts to. */
export interface VerifiedAuditReport {
  reportSha256: string;
  publicKeyFingerprint: string;
  policyHash: string;
  modelVersionId: string;
  /** Number of JSON leaves of the result recomputed and found equal. */
  recomputedValues: number;
  /** The report's differential privacy in one line (its ε recomputed from the charges it lists), or that there is none. */
  privacy: string;
}

/** Parses a report file's text; a file that is not a signed report is INVALID_ARGUMENT. */
export function parseAuditReportFile(text: string, source: string): SignedAuditReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConsortError('INVALID_ARGUMENT', `${source} is not JSON (${(err as Error).message}); give the report file the coordinator wrote (audit export)`, { file: source });
  }
  const r = json as Partial<SignedAuditReport> | null;
  if (typeof r !== 'object' || r === null || typeof r.report !== 'object' || r.report === null || typeof r.signature !== 'object' || r.signature === null) {
    throw new ConsortError('INVALID_ARGUMENT', `${source} is not a signed audit report (needs "report" and "signature")`, { file: source });
  }
  if (r.report.format !== AUDIT_REPORT_FORMAT) {
    throw new ConsortError('INVALID_ARGUMENT', `${source}: unknown report format ${JSON.stringify(r.report.format)} (this verifier reads ${AUDIT_REPORT_FORMAT})`, { file: source });
  }
  return r as SignedAuditReport;
}

function decodeBase64(value: unknown, bytes: number, what: string): Uint8Array {
  const out = typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? new Uint8Array(Buffer.from(value, 'base64')) : new Uint8Array();
  if (out.length !== bytes) throw new ConsortError('AUDIT_SIGNATURE_INVALID', `the report's ${what} is not ${bytes} bytes of base64; the file was altered or damaged`);
  return out;
}

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): node:crypto takes raw keys only in this wrapping.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Ed25519 verification with node:crypto (native: a report of thousands of values checks in milliseconds). */
function ed25519Verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return cryptoVerify(null, message, key, signature);
}

/** Throws AUDIT_SIGNATURE_INVALID unless the signature verifies (and is by the trusted key, when given). */
export function verifyAuditSignature(signed: SignedAuditReport, trustedPublicKey?: Uint8Array): Uint8Array {
  if (signed.signature.algorithm !== 'Ed25519') {
    throw new ConsortError('AUDIT_SIGNATURE_INVALID', `the report is signed with ${JSON.stringify(signed.signature.algorithm)}, not Ed25519`);
  }
  const publicKey = decodeBase64(signed.signature.publicKey, 32, 'public key');
  const signature = decodeBase64(signed.signature.value, 64, 'signature');
  if (trustedPublicKey && !Buffer.from(trustedPublicKey).equals(Buffer.from(publicKey))) {
    throw new ConsortError('AUDIT_SIGNATURE_INVALID',
      `the report is signed by key ${keyFingerprint(publicKey)}, not by the coordinator key you trust (${keyFingerprint(trustedPublicKey)}); it is not that coordinator's report`);
  }
  let bytes: Uint8Array;
  try {
    bytes = canonicalBytes(signed.report);
  } catch (err) {
    throw new ConsortError('AUDIT_SIGNATURE_INVALID', `the report body cannot be canonicalized (${(err as Error).message}); the file was altered`);
  }
  if (!ed25519Verify(bytes, signature, publicKey)) {
    throw new ConsortError('AUDIT_SIGNATURE_INVALID',
      `the signature does not verify over the report's canonical bytes (key ${keyFingerprint(publicKey)}): the report was altered after it was signed; ask the coordinator's operator for the original`);
  }
  return publicKey;
}

/** The first JSON path where `a` and `b` differ (RFC 8785 number text compared), or undefined. */
export function firstDifference(a: unknown, b: unknown, path = '$'): { path: string; reported: string; recomputed: string } | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) return { path: `${path}[${i}]`, reported: i < a.length ? canonicalJson(a[i]) : '(absent)', recomputed: i < b.length ? canonicalJson(b[i]) : '(absent)' };
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const p = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
      if (!(k in a) || !(k in b)) return { path: p, reported: k in a ? canonicalJson(a[k]) : '(absent)', recomputed: k in b ? canonicalJson(b[k]) : '(absent)' };
      const d = firstDifference(a[k], b[k], p);
      if (d) return d;
    }
    return undefined;
  }
  const ta = canonicalJson(a ?? null);
  const tb = canonicalJson(b ?? null);
  return ta === tb && (a === undefined) === (b === undefined) ? undefined : { path, reported: ta, recomputed: tb };
}

function countLeaves(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + countLeaves(x), 0);
  if (typeof v === 'object' && v !== null) return Object.values(v).reduce((n: number, x) => n + countLeaves(x), 0);
  return 1;
}

/**
 * Verifies a signed report: signature (AUDIT_SIGNATURE_INVALID), policy hash and the auditor's
 * expected policy (AUDIT_POLICY_MISMATCH), then recomputes the result from the aggregates and
 * compares its canonical JSON with the reported one (AUDIT_RECOMPUTE_MISMATCH names the field).
 */
export function verifyAuditReport(signed: SignedAuditReport, math: AuditRecompute, options: VerifyOptions = {}): VerifiedAuditReport {
  const publicKey = verifyAuditSignature(signed, options.trustedPublicKey);
  const { report } = signed;
  let hash: string;
  try {
    hash = math.policyHash(report.policy);
  } catch (err) {
    throw new ConsortError('AUDIT_POLICY_MISMATCH', `the report's policy is not a valid audit policy (${(err as Error).message})`);
  }
  if (hash !== report.policyHash) {
    throw new ConsortError('AUDIT_POLICY_MISMATCH', `the report's policy hashes to ${hash}, but the report records ${String(report.policyHash)}: the policy was not the one fixed before the round`);
  }
  if (options.expectedPolicyHash !== undefined && options.expectedPolicyHash.toLowerCase() !== hash) {
    throw new ConsortError('AUDIT_POLICY_MISMATCH',
      `the report was made under policy ${hash}, not the policy you expect (${options.expectedPolicyHash}); the audit is refused: ask which policy was fixed for this round`);
  }
  let recomputed: unknown;
  try {
    recomputed = math.recompute(report.policy, report.aggregates, dpNoiseStdOf(report.privacy));
  } catch (err) {
    throw new ConsortError('AUDIT_RECOMPUTE_MISMATCH', `the metrics cannot be recomputed from the report's aggregates (${(err as Error).message})`);
  }
  // Through JSON so that the comparison sees what a file would hold (no undefined, no -0 surprises).
  const recomputedJson = acceptEarlierReasonWording(report.result, JSON.parse(canonicalJson(recomputed)) as unknown);
  const diff = firstDifference(report.result, recomputedJson, '$.report.result');
  if (diff) {
    throw new ConsortError('AUDIT_RECOMPUTE_MISMATCH',
      `${diff.path} is ${diff.reported} in the report but ${diff.recomputed} when recomputed from the released aggregates; the report's numbers do not follow from its aggregates`,
      { ...diff });
  }
  // A per-group thresholds plan carries its effect measured on these aggregates: recomputed like the result.
  const mitigations = Array.isArray(report.mitigations) ? report.mitigations : [];
  let measuredValues = 0;
  mitigations.forEach((m, i) => {
    if (typeof m !== 'object' || m === null) return;
    if (!('measured' in m)) {
      // Plans that carry their attributes are only recorded by coordinators that measure them: a missing effect was removed.
      if ((m as { kind?: unknown }).kind === 'per-group-thresholds' && 'attributes' in m) {
        throw new ConsortError('AUDIT_RECOMPUTE_MISMATCH', `$.report.mitigations[${i}].measured is missing: a per-group thresholds plan is recorded with its effect measured on the report's aggregates`);
      }
      return;
    }
    let again: unknown;
    try {
      again = JSON.parse(canonicalJson(math.measureMitigation(m, report.aggregates) ?? null)) as unknown;
    } catch (err) {
      throw new ConsortError('AUDIT_RECOMPUTE_MISMATCH', `the measured effect of mitigation ${i} cannot be recomputed from the report's aggregates (${(err as Error).message})`);
    }
    const d = firstDifference((m as { measured: unknown }).measured, again, `$.report.mitigations[${i}].measured`);
    if (d) {
      throw new ConsortError('AUDIT_RECOMPUTE_MISMATCH',
        `${d.path} is ${d.reported} in the report but ${d.recomputed} when recomputed from the released aggregates; the mitigation's measured effect does not follow from them`, { ...d });
    }
    measuredValues += countLeaves(again);
  });
  const privacy = verifyDifferentialPrivacy(report);
  return {
    privacy,
    reportSha256: reportSha256(report),
    publicKeyFingerprint: keyFingerprint(publicKey),
    policyHash: hash,
    modelVersionId: report.model.modelVersionId,
    recomputedValues: countLeaves(recomputedJson) + measuredValues,
  };
}

/**
 * Recomputes the report's differential-privacy section from its own facts (σ_a, δ, the budget, the
 * invited count, the task's charges) with the builder that made it: Δ from the policy, the noise
 * actually in the sum from the surviving members, every ε replayed from the charges, and the last
 * charge must be the audit's own. A report without DP must say so in the standard words.
 */
export function verifyDifferentialPrivacy(report: AuditReportBody): string {
  const dp = report.privacy.differentialPrivacy;
  if (dp === undefined) return 'the report predates its differential-privacy section';
  const mismatch = (path: string, reported: string, recomputed: string): never => {
    throw new ConsortError('AUDIT_RECOMPUTE_MISMATCH', `${path} is ${reported} in the report but ${recomputed} when recomputed; the report's privacy statement does not follow from its own facts`,
      { path, reported, recomputed });
  };
  if (!dp.applied) {
    if (dp.statement !== NO_DP_STATEMENT) mismatch('$.report.privacy.differentialPrivacy.statement', JSON.stringify(dp.statement), JSON.stringify(NO_DP_STATEMENT));
    return NO_DP_STATEMENT;
  }
  let rebuilt: unknown;
  try {
    rebuilt = JSON.parse(canonicalJson(auditPrivacySection(factsOfSection(dp, report.policy as AuditPolicy, report.members.count))));
  } catch (err) {
    throw new ConsortError('AUDIT_RECOMPUTE_MISMATCH', `the report's privacy section cannot be recomputed (${(err as Error).message})`);
  }
  const diff = firstDifference(dp, rebuilt, '$.report.privacy.differentialPrivacy');
  if (diff) mismatch(diff.path, diff.reported, diff.recomputed);
  const last = dp.charges.at(-1);
  if (!last || last.kind !== 'audit' || last.samplingRate !== 1 || last.steps !== 1 || last.noiseMultiplier !== dp.audit.chargedNoiseMultiplier) {
    mismatch('$.report.privacy.differentialPrivacy.charges[-1]', last ? canonicalJson(last) : '(absent)', `the audit's charge (kind audit, rate 1, one step, multiplier ${dp.audit.chargedNoiseMultiplier})`);
  }
  return `differential privacy (${dp.level} level, δ ${dp.delta}): ε ${dp.modelVersion.epsilon.toFixed(3)} for model version ${dp.modelVersion.version}, `
    + `${dp.audit.epsilon.toFixed(3)} for this audit alone, ${dp.taskAfterAudit.epsilon.toFixed(3)} for the task after it (budget ${dp.budgetEpsilon}): recomputed from the ${dp.charges.length} charges the report lists`;
}

/** The noise std per count a DP report's section states (signed, and rebuilt by the privacy check), else undefined. */
export function dpNoiseStdOf(privacy: unknown): number | undefined {
  const dp = (privacy as { differentialPrivacy?: { applied?: unknown; audit?: { noiseStdPerCount?: unknown } } } | undefined)?.differentialPrivacy;
  const std = dp?.applied === true ? dp.audit?.noiseStdPerCount : undefined;
  return typeof std === 'number' && Number.isFinite(std) ? std : undefined;
}

/** The words reports signed before the Holm-aware reasons used for every inconclusive tested check. */
const EARLIER_INCONCLUSIVE_REASON = /: the interval overlaps the band edge$/;
const HOLM_ONLY_REASON = /: (outside|inside) the band at [\d.]+ % on its own \(p = [^)]*\), but not after the Holm adjustment over \d+ checks \(adjusted p = [^)]*\)$/;

/**
 * A report signed before inconclusive reasons named the Holm adjustment says "the interval overlaps
 * the band edge" where the recomputation now explains the adjustment. Only that wording is taken
 * from the report, and only with the same method prefix and every number of the check equal (the
 * comparison that follows checks them): a signed report stays verifiable after an upgrade.
 */
export function acceptEarlierReasonWording(reported: unknown, recomputed: unknown): unknown {
  const was = (reported as { checks?: Array<{ reason?: unknown }> } | null)?.checks;
  const now = (recomputed as { checks?: Array<{ reason?: unknown }> } | null)?.checks;
  if (!Array.isArray(was) || !Array.isArray(now) || was.length !== now.length) return recomputed;
  now.forEach((c, i) => {
    const old = was[i]?.reason;
    if (typeof old !== 'string' || typeof c.reason !== 'string' || !EARLIER_INCONCLUSIVE_REASON.test(old) || !HOLM_ONLY_REASON.test(c.reason)) return;
    if (old.replace(EARLIER_INCONCLUSIVE_REASON, '') === c.reason.replace(HOLM_ONLY_REASON, '')) c.reason = old;
  });
  return recomputed;
}

