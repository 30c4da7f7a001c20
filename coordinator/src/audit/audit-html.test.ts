// The audit page says what its numbers can bear: calibration bins too small to draw, a page that failed verification.
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { syntheticAggregates, syntheticPolicy, syntheticReportContext } from '../../../test/support/audit-consortium.ts';
import { signAuditReport } from './audit-report.ts';
import { coreAuditMath } from './audit-math.ts';
import { renderAuditHtml } from './audit-html.ts';
import { assembleAuditReportBody } from './produce-audit-report.ts';

const kp = nacl.sign.keyPair();
const policy = syntheticPolicy();
const { aggregates } = syntheticAggregates(policy, 5);
const context = syntheticReportContext;
const signed = signAuditReport(assembleAuditReportBody(context, { policy, aggregates, roundIds: ['r'], protocol: 'secure-aggregation', minMembers: 3, mitigations: [] }, coreAuditMath), { publicKey: kp.publicKey, secretKey: kp.secretKey });
const section = (html: string, id: string) => html.slice(html.indexOf(`<section id="${id}">`), html.indexOf('</section>', html.indexOf(`<section id="${id}">`)));

describe('renderAuditHtml', () => {
  it('does not draw calibration bins under minCellCount rows, and says so in the caption', () => {
    const thin = structuredClone(signed);
    type Bin = { count: number; predicted: number | null; observed: number | null };
    const groups = (thin.report.result as { groupings: Array<{ controlled: boolean; attributes: string[]; groups: Array<{ suppressed: unknown; calibration: Bin[] }> }> })
      .groupings.filter((g) => !g.controlled && g.attributes.length === 1).flatMap((g) => g.groups.filter((r) => !r.suppressed));
    const bin = groups[0].calibration.find((b) => b.predicted !== null && b.observed !== null)!;
    Object.assign(bin, { count: policy.minCellCount - 1, predicted: 0.123, observed: 1 });
    const cal = section(renderAuditHtml(thin), 'calibration');
    const small = 1;
    expect(section(renderAuditHtml(signed), 'calibration')).not.toContain('such bin');
    expect(cal).toContain(`fewer than ${policy.minCellCount} rows (the policy's minimum cell count) are not drawn`);
    expect(cal).toContain(`${small} such bin was left out`);
    // Drawn exactly as if the bin were absent; at minCellCount rows it is drawn.
    const svg = (html: string) => html.slice(html.indexOf('<figure'));
    const without = structuredClone(thin);
    const g0 = (without.report.result as typeof thin.report.result & { groupings: Array<{ controlled: boolean; attributes: string[]; groups: Array<{ suppressed: unknown; calibration: Bin[] }> }> })
      .groupings.filter((g) => !g.controlled && g.attributes.length === 1).flatMap((g) => g.groups.filter((r) => !r.suppressed))[0];
    g0.calibration = g0.calibration.filter((b) => b.predicted !== 0.123);
    expect(svg(cal)).toBe(svg(section(renderAuditHtml(without), 'calibration')));
    bin.count = policy.minCellCount;
    expect(svg(section(renderAuditHtml(thin), 'calibration'))).not.toBe(svg(cal));
  });

  it('a page rendered with a failed verification shows UNVERIFIED in place of the verdict; a verified one shows the verdict', () => {
    const bad = renderAuditHtml(signed, { ok: false, detail: 'signature does not verify' });
    expect(section(bad, 'verdict')).toContain('UNVERIFIED — do not rely on this report');
    expect(section(bad, 'verdict').match(/class="badge /g)).toHaveLength(2); // UNVERIFIED and the NOT verified line, no verdict badge
    expect(section(bad, 'summary')).toContain('This report did not verify');
    // Nor a verdict badge in the summary: the claimed verdict is named as a claim.
    expect(section(bad, 'summary')).toMatch(/Overall, as the unverified report claims: (pass|fail|inconclusive)/);
    expect(section(bad, 'summary')).not.toMatch(/class="badge (pass|fail|inconclusive)"/);
    const good = renderAuditHtml(signed, { ok: true, detail: 'ok' });
    expect(good).not.toContain('UNVERIFIED');
    expect(section(good, 'verdict')).toContain(`class="badge ${(signed.report.result as { verdict: string }).verdict}"`);
  });

  it('states the multiple-testing adjustment next to the verdict', () => {
    expect(section(renderAuditHtml(signed), 'verdict')).toMatch(/adjusted \(Holm\) for running \d+ checks at once/);
  });
});
