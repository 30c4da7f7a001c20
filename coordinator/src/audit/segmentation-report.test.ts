// A segmentation model's report: verifies, a result that does not follow from its counts is caught
// even when signed, no score mitigation is planned from it, and its page names the segments.
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { buildAuditLayout, decodeAuditAggregates, memberAuditVector, parseAuditPolicy, releaseAggregates, type AuditResult, type AuditRow } from '@consort/core';
import { signAuditReport } from './audit-report.ts';
import { coreAuditMath } from './audit-math.ts';
import { renderAuditHtml } from './audit-html.ts';
import { planMitigation } from './mitigation-plan.ts';
import { assembleAuditReportBody } from './produce-audit-report.ts';
import { verifyAuditReport } from './verify-audit-report.ts';

const kp = nacl.sign.keyPair();
const key = { publicKey: kp.publicKey, secretKey: kp.secretKey };
const policy = parseAuditPolicy({ attributes: [{ name: 'age', kind: 'banded', bands: [65], bandLabels: ['<65', '65+'] }], minCellCount: 10, minMembers: 3 });
const layout = buildAuditLayout(policy, { kind: 'segmentation', segments: 2 });
const rows = (n: number, segment: number, age: number): AuditRow[] => Array.from({ length: n }, () => ({ segment, values: { age } }));
// Three members with the worked example's customers split between them.
const members = [0, 1, 2].map((m) => [...rows(20, 0, 70), ...rows(47 - (m === 0 ? 1 : 0), 0, 40), ...rows(20, 1, 70), ...rows(246 + (m === 0 ? 2 : 0), 1, 40)]);
const sum = new Array<number>(layout.length).fill(0);
for (const r of members) memberAuditVector(r, layout).forEach((x, i) => { sum[i] += x; });
const aggregates = releaseAggregates(decodeAuditAggregates(sum, layout), policy);
const names = ['lapsed big spenders', 'loyal regulars'];
const context = {
  model: { taskId: 't', taskName: 'offers', kind: 'segmentation', modelVersionId: 'mv1', version: 1, sha256: 'ab'.repeat(32), segmentNames: names },
  task: { intendedUse: 'offers', labelDefinition: 'no label', dataWindow: 'H1' },
  contributors: ['a1', 'a2', 'a3'], dropped: [],
};
const body = () => assembleAuditReportBody(context, { policy, aggregates, roundIds: ['r'], protocol: 'secure-aggregation', minMembers: 3 }, coreAuditMath);

describe('segmentation audit report', () => {
  it('verifies, and a signed result that does not follow from its counts is named', () => {
    const signed = signAuditReport(body(), key);
    expect(verifyAuditReport(signed, coreAuditMath).modelVersionId).toBe('mv1');
    const forged = body();
    const result = forged.result as AuditResult;
    // A coordinator shrinking the over-represented group's ratio (and its check) to look fair.
    result.groupings[0].groups[1].segments![0].representationRatio.value = 1.1;
    expect(() => verifyAuditReport(signAuditReport(forged, key), coreAuditMath)).toThrow(/groupings\[0\]\.groups\[1\]\.segments\[0\]\.representationRatio\.value is 1\.1 in the report/);
  });

  it('plans no score mitigation, and the page shows the segments by name', () => {
    const signed = signAuditReport(body(), key);
    expect(() => planMitigation(signed, { grouping: 'age', kind: 'reweighing' })).toThrow(/segmentation model/);
    const html = renderAuditHtml(signed);
    expect(html).toContain('id="segments"');
    expect(html).not.toContain('id="groups"');
    expect(html).toContain('make up 12.0 % of all customers but 30.0 % of segment "lapsed big spenders"');
    expect((html.match(/class="rep-cell"/g) ?? []).length).toBe(4);
  });
});
