// Verifying signed audit reports: a real report verifies; one digit changed anywhere is caught;
// a re-signed report whose numbers do not follow from its aggregates is caught; policy pinning.
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { isConsortError, policyHash, type AuditResult, type ErrorCode } from '@consort/core';
import { syntheticAggregates, syntheticPolicy } from '../../../test/support/audit-consortium.ts';
import { auditReportFileText, canonicalJson, signAuditReport, type AuditReportBody, type SignedAuditReport } from './audit-report.ts';
import { coreAuditMath } from './audit-math.ts';
import { assembleAuditReportBody } from './produce-audit-report.ts';
import { auditPrivacySection, type AuditDifferentialPrivacy } from './audit-privacy.ts';
import { acceptEarlierReasonWording, firstDifference, parseAuditReportFile, verifyAuditReport } from './verify-audit-report.ts';

const key = (() => { const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(3)); return { publicKey: kp.publicKey, secretKey: kp.secretKey }; })();
const policy = syntheticPolicy();
const { aggregates } = syntheticAggregates(policy, 5);

function body(differentialPrivacy?: AuditDifferentialPrivacy): AuditReportBody {
  return assembleAuditReportBody({
    model: { taskId: 't1', taskName: 'churn', kind: 'model', modelVersionId: 'mv1', version: 3, sha256: 'ab'.repeat(32) },
    task: { intendedUse: 'retention offers', labelDefinition: 'column "churned"; positive when "Yes"', dataWindow: '2026-01-01/2026-06-30' },
    contributors: ['aaaaaaaaaaa1', 'aaaaaaaaaaa2', 'aaaaaaaaaaa3', 'aaaaaaaaaaa4', 'aaaaaaaaaaa5'],
    dropped: [],
  }, { policy, aggregates, roundIds: ['r9'], protocol: 'secure-aggregation', minMembers: 3, ...(differentialPrivacy ? { differentialPrivacy } : {}) }, coreAuditMath, new Date('2026-12-07T12:00:00Z'));
}
const signed = signAuditReport(body(), key);

function codeOf(fn: () => unknown): ErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (err) {
    if (isConsortError(err)) return err.code;
    throw err;
  }
}

/** Every leaf of a JSON value with its path (as a list of keys). */
function leaves(v: unknown, path: Array<string | number> = []): Array<{ path: Array<string | number>; value: unknown }> {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [{ path, value: v }];
}

/** The value with one digit changed (a number's first digit, or a string's first digit or letter), or undefined when it has none. */
function oneDigitChanged(value: unknown): unknown {
  if (typeof value === 'number') {
    const text = String(value);
    const i = text.search(/[0-9]/);
    const changed = Number(text.slice(0, i) + String((Number(text[i]) + 1) % 10) + text.slice(i + 1));
    return Number.isFinite(changed) && changed !== value ? changed : value + 1;
  }
  if (typeof value === 'string') {
    const i = value.search(/[0-9]/);
    if (i >= 0) return value.slice(0, i) + String((Number(value[i]) + 1) % 10) + value.slice(i + 1);
    return value.length ? `${value.slice(0, -1)}${value.endsWith('x') ? 'y' : 'x'}` : 'x';
  }
  if (typeof value === 'boolean') return !value;
  if (value === null) return 0;
  return undefined;
}

function setAt(root: unknown, path: Array<string | number>, value: unknown): void {
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path.at(-1)!] = value;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('verifyAuditReport', () => {
  it('verifies a real report: signature, policy hash and every recomputed value', () => {
    const v = verifyAuditReport(parseAuditReportFile(auditReportFileText(signed), 'r.json'), coreAuditMath);
    expect(v.policyHash).toBe(policyHash(policy));
    expect(v.modelVersionId).toBe('mv1');
    expect(v.recomputedValues).toBeGreaterThan(500);
    const result = signed.report.result as AuditResult;
    expect(result.groupings.map((g) => g.id)).toEqual(expect.arrayContaining(['gender', 'age', 'gender×age']));
    // The ≥55 band lives at member 0 only: withheld, never a pass.
    const old = result.groupings.find((g) => g.id === 'age')!.groups.find((g) => g.key[0].startsWith('≥'))!;
    expect(old.suppressed).toBe('below-min-members');
    expect(result.checks.filter((c) => c.group === old.label).every((c) => c.verdict === 'inconclusive')).toBe(true);
  });

  it('detects one digit changed in any leaf of the report (and of the signature block)', () => {
    const tampered = clone(signed);
    const all = [...leaves(tampered.report, ['report']), ...leaves(tampered.signature, ['signature'])];
    expect(all.length).toBeGreaterThan(1000);
    const missed: string[] = [];
    for (const leaf of all) {
      // Changed in place and restored: one field differs from the signed report at a time.
      setAt(tampered, leaf.path, oneDigitChanged(leaf.value));
      const code = codeOf(() => verifyAuditReport(tampered, coreAuditMath));
      if (code !== 'AUDIT_SIGNATURE_INVALID') missed.push(`${leaf.path.join('.')}: ${code}`);
      setAt(tampered, leaf.path, leaf.value);
    }
    expect(missed).toEqual([]);
    expect(codeOf(() => verifyAuditReport(tampered, coreAuditMath))).toBe('none');
  }, 240_000);

  it('re-signed with a changed number of the result: AUDIT_RECOMPUTE_MISMATCH naming the field', () => {
    const resultLeaves = leaves(signed.report.result, ['result']).filter((l) => typeof l.value === 'number');
    expect(resultLeaves.length).toBeGreaterThan(300);
    // Each forgery costs a full recompute (seeded bootstrap): 24 numbers spread over the whole result.
    const stride = Math.floor(resultLeaves.length / 24);
    const missed: string[] = [];
    for (let i = 0; i < resultLeaves.length; i += stride) {
      const leaf = resultLeaves[i];
      const b = clone(signed.report);
      setAt(b, leaf.path, oneDigitChanged(leaf.value));
      try {
        verifyAuditReport(signAuditReport(b, key), coreAuditMath);
        missed.push(leaf.path.join('.'));
      } catch (err) {
        if (!isConsortError(err, 'AUDIT_RECOMPUTE_MISMATCH')) missed.push(`${leaf.path.join('.')}: ${String(err)}`);
        else if (!err.message.includes(String(leaf.path.at(-2))) || err.details.recomputed !== canonicalJson(leaf.value)) missed.push(`${leaf.path.join('.')}: ${err.message}`);
      }
    }
    expect(missed).toEqual([]);
  }, 240_000);

  it('re-signed with changed aggregates: the recomputed metrics differ', () => {
    const b = clone(signed.report);
    const cell = (b.aggregates as { groupings: Array<{ id: string; cells: Array<{ confusion: Array<{ tp: number; fn: number }> | null; histPos: number[] | null }> }> })
      .groupings.find((g) => g.id === 'gender')!.cells[0];
    // Move one positive from "caught" to "missed", histogram untouched: TPR and FNR change.
    cell.confusion![0].tp -= 1;
    cell.confusion![0].fn += 1;
    expect(codeOf(() => verifyAuditReport(signAuditReport(b, key), coreAuditMath))).toBe('AUDIT_RECOMPUTE_MISMATCH');
  });

  it('refuses a report whose policy does not hash to its recorded hash, or is not the policy the auditor expects', () => {
    const b = clone(signed.report);
    (b.policy as { band: { lo: number } }).band.lo = 0.7;
    expect(codeOf(() => verifyAuditReport(signAuditReport(b, key), coreAuditMath))).toBe('AUDIT_POLICY_MISMATCH');
    const other = policyHash(syntheticPolicy({ band: { lo: 0.9, hi: 1.1 } }));
    expect(codeOf(() => verifyAuditReport(signed, coreAuditMath, { expectedPolicyHash: other }))).toBe('AUDIT_POLICY_MISMATCH');
    expect(codeOf(() => verifyAuditReport(signed, coreAuditMath, { expectedPolicyHash: policyHash(policy) }))).toBe('none');
  });

  it('refuses a report signed by another key than the trusted one, and malformed signature blocks', () => {
    const other = nacl.sign.keyPair();
    const byOther = signAuditReport(signed.report, { publicKey: other.publicKey, secretKey: other.secretKey });
    expect(codeOf(() => verifyAuditReport(byOther, coreAuditMath))).toBe('none');
    expect(codeOf(() => verifyAuditReport(byOther, coreAuditMath, { trustedPublicKey: key.publicKey }))).toBe('AUDIT_SIGNATURE_INVALID');
    const swapped: SignedAuditReport = { ...signed, signature: { ...signed.signature, publicKey: Buffer.from(other.publicKey).toString('base64') } };
    expect(codeOf(() => verifyAuditReport(swapped, coreAuditMath))).toBe('AUDIT_SIGNATURE_INVALID');
    expect(codeOf(() => verifyAuditReport({ ...signed, signature: { ...signed.signature, value: 'short' } }, coreAuditMath))).toBe('AUDIT_SIGNATURE_INVALID');
  });

  it('the signed bytes are the canonical JSON: key order and whitespace of the file do not matter', () => {
    const pretty = JSON.stringify({ signature: signed.signature, report: signed.report }, null, 2);
    expect(codeOf(() => verifyAuditReport(parseAuditReportFile(pretty, 'p.json'), coreAuditMath))).toBe('none');
    expect(canonicalJson(JSON.parse(pretty))).toBe(auditReportFileText(signed).trim());
  });

  it('parseAuditReportFile says what is wrong with a file that is not a report', () => {
    expect(codeOf(() => parseAuditReportFile('{', 'x.json'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseAuditReportFile('{"report":{}}', 'x.json'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseAuditReportFile(JSON.stringify({ report: { format: 'v0' }, signature: {} }), 'x.json'))).toBe('INVALID_ARGUMENT');
  });

  it('firstDifference finds the first differing leaf, including added or missing keys', () => {
    expect(firstDifference({ a: [1, 2] }, { a: [1, 2] })).toBeUndefined();
    expect(firstDifference({ a: [1, 2] }, { a: [1, 3] })?.path).toBe('$.a[1]');
    expect(firstDifference({ a: 1 }, { a: 1, b: 2 })?.path).toBe('$.b');
    expect(firstDifference({ 'x y': 0.1 }, { 'x y': 0.1 + 2 ** -55 })?.path).toBe('$["x y"]');
  });
});

describe('the differential-privacy section of a report', () => {
  const charges = [
    { round: 1, kind: 'statistics' as const, unit: 'customer' as const, samplingRate: 1, noiseMultiplier: 3, steps: 1 },
    { round: 2, modelVersion: 0, kind: 'train' as const, unit: 'customer' as const, samplingRate: 0.05, noiseMultiplier: 1.1, steps: 20 },
    { round: 3, modelVersion: 1, kind: 'evaluate' as const, unit: 'customer' as const, samplingRate: 1, noiseMultiplier: 8, steps: 1 },
  ];
  const audit = { round: 4, modelVersion: 1, kind: 'audit' as const, unit: 'customer' as const, samplingRate: 1, noiseMultiplier: 4 * Math.sqrt(5 / 6), steps: 1 };
  const dp = auditPrivacySection({
    level: 'customer', delta: 1e-5, budgetEpsilon: 8, noiseMultiplier: 4, policy, invited: 6, survivors: 5, version: 1,
    charges: [...charges, audit], versionCharges: 2,
  });
  const dpBody = (): AuditReportBody => body(dp);

  it('checks resting on counts below 3 noise stds are inconclusive, and a DP report whose result ignores that rule is caught', () => {
    if (!dp.applied) throw new Error('expected a DP section');
    const noisy = (dpBody().result as AuditResult).checks.filter((c) => c.reason.includes('differential-privacy noise std'));
    expect(noisy.length).toBeGreaterThan(0);
    expect(noisy.every((c) => c.verdict === 'inconclusive')).toBe(true);
    const ignoring = body();
    ignoring.privacy.differentialPrivacy = dp;
    expect(codeOf(() => verifyAuditReport(signAuditReport(ignoring, key), coreAuditMath))).toBe('AUDIT_RECOMPUTE_MISMATCH');
  });

  it('states σ, Δ, the audit\'s ε and the ε of the version and of the task after the audit; verify recomputes them', () => {
    if (!dp.applied) throw new Error('expected a DP section');
    expect(dp.audit.chargedNoiseMultiplier).toBeCloseTo(4 * Math.sqrt(5 / 6), 12);
    expect(dp.audit.epsilon).toBeGreaterThan(0);
    expect(dp.modelVersion.epsilon).toBeLessThan(dp.taskAfterAudit.epsilon);
    expect(dp.taskAfterAudit.epsilon).toBeLessThan(dp.modelVersion.epsilon + dp.audit.epsilon + 1e-9);
    expect(codeOf(() => verifyAuditReport(signAuditReport(dpBody(), key), coreAuditMath))).toBe('none');
    // A report without DP says so, in the standard words.
    expect(signed.report.privacy.differentialPrivacy).toEqual({ applied: false, statement: 'no differential privacy: released exactly, protected by secure aggregation and suppression only' });
  });

  it('catches a re-signed report that understates ε, shrinks σ·Δ, drops a charge or hides who dropped out', () => {
    if (!dp.applied) throw new Error('expected a DP section');
    type Applied = Extract<AuditDifferentialPrivacy, { applied: true }>;
    const tampered = (change: (d: Applied) => void) => {
      const b = dpBody();
      const d = structuredClone(dp) as Applied;
      change(d);
      b.privacy.differentialPrivacy = d;
      return codeOf(() => verifyAuditReport(signAuditReport(b, key), coreAuditMath));
    };
    expect(tampered((d) => { d.taskAfterAudit.epsilon = 1; })).toBe('AUDIT_RECOMPUTE_MISMATCH');
    expect(tampered((d) => { d.modelVersion.epsilon /= 2; })).toBe('AUDIT_RECOMPUTE_MISMATCH');
    expect(tampered((d) => { d.audit.sensitivity = 1; })).toBe('AUDIT_RECOMPUTE_MISMATCH');
    expect(tampered((d) => { d.charges.splice(1, 1); })).toBe('AUDIT_RECOMPUTE_MISMATCH');
    // Claiming the full noise although a member dropped: the audit's charge no longer matches.
    expect(tampered((d) => { d.audit.invited = 5; })).toBe('AUDIT_RECOMPUTE_MISMATCH');
    expect(tampered((d) => { d.charges[d.charges.length - 1].kind = 'evaluate'; })).toBe('AUDIT_RECOMPUTE_MISMATCH');
    const b = body();
    b.privacy.differentialPrivacy = { applied: false, statement: 'differential privacy ε = 0.1' as never };
    expect(codeOf(() => verifyAuditReport(signAuditReport(b, key), coreAuditMath))).toBe('AUDIT_RECOMPUTE_MISMATCH');
  });
});

describe('reports signed before Holm-aware reasons', () => {
  const holm = 'Katz-log test of the ratio against the band: outside the band at 95 % on its own (p = 0.0043), but not after the Holm adjustment over 45 checks (adjusted p = 0.19)';
  const earlier = 'Katz-log test of the ratio against the band: the interval overlaps the band edge';
  const reasonAfter = (reported: string, recomputed: string) =>
    (acceptEarlierReasonWording({ checks: [{ reason: reported, verdict: 'inconclusive' }] }, { checks: [{ reason: recomputed, verdict: 'inconclusive' }] }) as { checks: Array<{ reason: string }> }).checks[0].reason;

  it('keep verifying: the earlier wording stands for the Holm-only explanation of the same test', () => {
    expect(reasonAfter(earlier, holm)).toBe(earlier);
  });

  it('only that wording: another method, another text or a real overlap is compared as it is', () => {
    expect(reasonAfter(earlier.replace('Katz-log', 'Newcombe'), holm)).toBe(holm);
    expect(reasonAfter('Katz-log test of the ratio against the band: clearly fine', holm)).toBe(holm);
    expect(reasonAfter(holm, earlier)).toBe(earlier);
  });
});
