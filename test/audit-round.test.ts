// The audit round over real gRPC: members score their held-out rows with the published model, only
// the secure sum of their audit vectors reaches the coordinator, and a signed report is stored with
// the version. One member vanishes mid-round; one age band exists at one member only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import {
  auditLayoutOf, decodeAuditAggregates, parseAuditPolicy, policyHash, unpackVector,
  type AuditAggregates, type AuditPolicy, type AuditResult, type AuditWorkOrder,
} from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { coreAuditMath, issueApiToken, memberPseudonym, parseAuditReportFile, auditReportFileText, planMitigation, signedReportOf, verifyAuditReport } from '@consort/coordinator';
import { sqliteDatabase } from './support/databases.ts';
import { CLI, runCli } from './support/cli.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

const MEMBERS = 5;
const VANISHING = 4;

const POLICY_INPUT = {
  attributes: [
    { name: 'gender', column: 'gender', groups: ['female', 'male', 'other'], reference: 'male' },
    { name: 'age', column: 'age_band', groups: ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] },
  ],
  intersections: [['gender', 'age']],
  histogramBins: 100,
  minCellCount: 10,
  minMembers: 3,
  bootstrap: { resamples: 100, seed: 3 },
};
const policy: AuditPolicy = parseAuditPolicy(POLICY_INPUT);

/**
 * Moves every "65+" customer of members 1..n to "55-64", and member 0's customers aged 35-64 to "65+":
 * the band is then present at member 0 only, with enough of its rows to pass the minimum cell count.
 */
function onlyFirstMemberHasOldest(files: string[]): void {
  files.slice(1).forEach((f) => writeFileSync(f, readFileSync(f, 'utf8').replace(/,65\+,/g, ',55-64,')));
  writeFileSync(files[0], readFileSync(files[0], 'utf8').replace(/,(55-64|45-54|35-44),/g, ',65+,'));
}

describe('audit round', () => {
  let fx: Fixture;
  const db = sqliteDatabase();
  let vanish = false;
  const purposeOf = new Map<number, string>();
  /** Each surviving member's own audit vector, as it packed it before masking (test hook). */
  const sent = new Map<number, number[]>();

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: db.url, members: MEMBERS, customers: 2500, seed: 31,
      hooks: (i) => ({ misbehave: {
        takesPart: (open: RoundOpen__Output) => {
          purposeOf.set(i, open.purpose);
          return true;
        },
        packed: (vector, layout) => {
          if (purposeOf.get(i) !== 'audit') return;
          if (vanish && i === VANISHING) {
            // Keys and shares were exchanged: the member disappears before its masked input.
            fx.agents[i].stop();
            throw new Error('member vanished during the audit round (test)');
          }
          sent.set(i, Array.from(unpackVector(layout, vector).audit));
        },
      } }),
    });
    onlyFirstMemberHasOldest(fx.files);
  }, 120_000);
  afterAll(async () => { await fx?.close(); });

  it('stores a signed report whose numbers are the survivors\' summed vectors, verifiable offline', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'audited', aggregation: 'secure', minMembers: 3, stageTimeoutSeconds: 6 }));
    const trained = await fx.admin.runRounds(task.id, 2, 20);
    const published = trained.filter((r) => r.state === 'published' && r.modelVersionId && r.purpose === 'train').at(-1)!;
    expect(published).toBeDefined();

    vanish = true;
    const reports = await fx.coordinator.rounds.runWorkflow('audit', task.id, {
      audit: {
        policy, signingKey: fx.coordinator.coordinatorKey,
        declaration: { intendedUse: 'rank customers for a retention call', dataWindow: 'synthetic, seed 31' },
      },
    }, { waitForMembersMs: 20_000 });
    expect(reports).toHaveLength(1);
    const round = reports[0];
    expect(round.purpose).toBe('audit');
    expect(round.state).toBe('published');
    expect(round.dropped.map((d) => d.memberId)).toEqual([fx.agents[VANISHING].memberId]);

    // Stored with the audited version, and the audit trail fixed the policy before the round.
    const record = (await fx.coordinator.store.getAuditReportForModelVersion(published.modelVersionId))!;
    expect(record).toBeDefined();
    expect(record.policyHash).toBe(policyHash(policy));
    const events = await fx.coordinator.store.listAuditEvents({ subjectId: published.modelVersionId });
    const kinds = events.map((e) => e.kind).filter((k) => k.startsWith('audit.'));
    expect(kinds).toEqual(['audit.policy_fixed', 'audit.reported']);

    // The auditor's check: from the file alone, pinned to the coordinator's key and the policy.
    const signed = parseAuditReportFile(auditReportFileText(signedReportOf(record)), 'audit.json');
    const v = verifyAuditReport(signed, coreAuditMath, { trustedPublicKey: fx.coordinator.coordinatorKey.publicKey, expectedPolicyHash: policyHash(policy) });
    expect(v.modelVersionId).toBe(published.modelVersionId);

    const body = signed.report;
    const members = await fx.coordinator.store.listMembers(fx.federationId);
    const pseudonym = (i: number) => memberPseudonym(members.find((m) => m.id === fx.agents[i].memberId)!.identityPublicKey);
    expect(body.members.count).toBe(MEMBERS - 1);
    expect(body.members.pseudonyms).toEqual([0, 1, 2, 3].map(pseudonym).sort());
    expect(body.privacy.droppedPseudonyms).toEqual([pseudonym(VANISHING)]);
    expect(body.privacy.protocol).toBe('secure-aggregation');
    // A task without privacy: says so instead of an ε.
    expect(body.privacy.differentialPrivacy).toEqual({ applied: false, statement: 'no differential privacy: released exactly, protected by secure aggregation and suppression only' });
    expect(JSON.stringify(body)).not.toMatch(/Shop|member-0\d/i); // pseudonyms, never names
    expect(body.model.sha256).toBe((await fx.coordinator.store.getModelVersionMeta(published.modelVersionId)).sha256);

    // The secure sum equals the plain sum of the four survivors' vectors (the vanished one is not in it).
    expect([...sent.keys()].sort()).toEqual([0, 1, 2, 3]);
    const order: AuditWorkOrder = { kind: 'audit', policy, policyHash: policyHash(policy), maxRows: 1 };
    const plainSum = [...sent.values()].reduce((acc, v) => acc.map((x, j) => x + v[j]));
    const expected = decodeAuditAggregates(plainSum, auditLayoutOf(order));
    const aggregates = body.aggregates as AuditAggregates;
    expect(aggregates.members).toBe(4);
    for (const [g, grouping] of aggregates.groupings.entries()) {
      for (const [c, cell] of grouping.cells.entries()) {
        const exp = expected.groupings[g].cells[c];
        expect(cell.members).toBe(exp.members);
        if (!cell.suppressed) {
          expect(cell.n).toBe(exp.n);
          expect(cell.confusion).toEqual(exp.confusion);
          expect(cell.histPos).toEqual(exp.histPos);
        }
      }
    }

    // "65+" lives at member 0 only: its cells are withheld and none of its checks passes.
    const result = body.result as AuditResult;
    const oldest = result.groupings.find((g) => g.id === 'age')!.groups.find((g) => g.key[0] === '65+')!;
    expect(oldest.members).toBe(1);
    expect(oldest.suppressed).toBe('below-min-members');
    expect(result.checks.filter((c) => c.group.includes('65+')).every((c) => c.verdict === 'inconclusive')).toBe(true);
    expect(result.checks.length).toBeGreaterThan(0);
    expect(['pass', 'fail', 'inconclusive']).toContain(result.verdict);

    // The auditor's commands against the coordinator database: list (audited or not released), export, verify.
    const list = await runCli(CLI.audit, ['list', '--task', task.id, '--database-url', db.url, '--json'], { cwd: fx.workDir });
    expect(list.stderr).toBe('');
    const listed = (JSON.parse(list.stdout) as { versions: Array<{ modelVersionId: string; released: boolean; report: { verdict: string } | null }> }).versions;
    expect(listed.filter((x) => x.released).map((x) => x.modelVersionId)).toEqual([published.modelVersionId]);
    expect(listed.find((x) => x.released)!.report!.verdict).toBe(record.verdict);
    const unaudited = listed.find((x) => !x.released)!;
    const missing = await runCli(CLI.audit, ['export', '--model-version', unaudited.modelVersionId, '--out', 'a.json', '--database-url', db.url], { cwd: fx.workDir });
    expect(missing.code).toBe(6);
    expect(missing.stderr).toMatch(/^AUDIT_MISSING: model version \S+ has no audit report; it is not released until its audit round has run/);
    // By task and version number, as `list` shows them (no --version: the latest audited one).
    const exported = await runCli(CLI.audit, ['export', '--task', task.id, '--out', 'audit.json', '--database-url', db.url, '--json'], { cwd: fx.workDir });
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ modelVersionId: published.modelVersionId });
    const verified = await runCli(CLI.audit, ['verify', 'audit.json', '--public-key', Buffer.from(fx.coordinator.coordinatorKey.publicKey).toString('base64')], { cwd: fx.workDir });
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);

    // A policy whose group values match nobody's prepared data counts no customer: refused, nothing stored.
    const v1 = unaudited.modelVersionId;
    const nobody = parseAuditPolicy({ ...POLICY_INPUT, attributes: [{ name: 'gender', column: 'gender', groups: ['F', 'M'] }], intersections: [] });
    const empty = await fx.coordinator.rounds.runWorkflow('audit', task.id, { version: (await fx.coordinator.store.getModelVersionMeta(v1)).version, audit: { policy: nobody, signingKey: fx.coordinator.coordinatorKey } }, { waitForMembersMs: 20_000 });
    expect(empty.map((r) => r.state)).toEqual(['aborted']);
    expect(empty[0].reason).toMatch(/counted no customer in any group of gender: the policy's columns or group values do not match/);
    expect(await fx.coordinator.store.getAuditReportForModelVersion(v1)).toBeUndefined();

    // The operator's command audits the earlier version over the admin API (the vanished member stays away).
    writeFileSync(`${fx.workDir}/policy.json`, JSON.stringify(POLICY_INPUT));
    const version1 = (await fx.coordinator.store.getModelVersionMeta(v1)).version;
    const cli = await runCli(CLI.coordinator, ['audit', '--task', task.id, '--policy', 'policy.json', '--model-version', String(version1), '--intended-use', 'retention calls',
      '--coordinator', fx.coordinator.adminAddress, '--token', fx.coordinator.adminToken], { cwd: fx.workDir });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^round \d+ audit published/m);
    const second = (await fx.coordinator.store.getAuditReportForModelVersion(v1))!;
    expect(JSON.parse(second.bodyJson)).toMatchObject({ task: { intendedUse: 'retention calls' }, model: { modelVersionId: v1 }, policyHash: policyHash(policy) });

    // One report per version: a second audit of the same version is refused before any round, nothing overwritten.
    const roundsBefore = (await fx.coordinator.store.listRounds(task.id)).length;
    await expect(fx.coordinator.rounds.runWorkflow('audit', task.id, { audit: { policy, signingKey: fx.coordinator.coordinatorKey } }, { waitForMembersMs: 20_000 }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/already has its audit report/) });
    expect(await fx.coordinator.store.listRounds(task.id)).toHaveLength(roundsBefore);
  }, 300_000);

  it('run --audit-policy trains, then audits the new version; a bad policy is refused before any round', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'run-and-audit', aggregation: 'secure', minMembers: 3, stageTimeoutSeconds: 6 }));
    const conn = ['--coordinator', fx.coordinator.adminAddress, '--token', fx.coordinator.adminToken];
    writeFileSync(`${fx.workDir}/bad-policy.yaml`, 'attributes: []\n');
    const bad = await runCli(CLI.coordinator, ['run', '--task', task.id, '--rounds', '2', '--audit-policy', 'bad-policy.yaml', ...conn], { cwd: fx.workDir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^INVALID_ARGUMENT: .*attributes/);
    // A declaration or a plan without a policy, for a task without one of its own, is refused too (not dropped);
    // an unreadable plan file is named.
    const undescribed = await runCli(CLI.coordinator, ['run', '--task', task.id, '--rounds', '2', '--intended-use', 'credit decisions', ...conn], { cwd: fx.workDir });
    expect(undescribed.code).toBe(2);
    expect(undescribed.stderr).toMatch(/^INVALID_ARGUMENT: task \S+ has no audit policy of its own, so --intended-use, --data-window and --mitigation have no audit to describe/);
    writeFileSync(`${fx.workDir}/policy.json`, JSON.stringify(POLICY_INPUT));
    const missingPlan = await runCli(CLI.coordinator, ['run', '--task', task.id, '--rounds', '2', '--audit-policy', 'policy.json', '--mitigation', 'no-such-plan.json', ...conn], { cwd: fx.workDir });
    expect(missingPlan.code).toBe(2);
    expect(missingPlan.stderr).toMatch(/^INVALID_ARGUMENT: cannot read mitigation plan no-such-plan\.json/);
    expect(await fx.coordinator.store.listRounds(task.id)).toEqual([]);

    writeFileSync(`${fx.workDir}/policy.json`, JSON.stringify(POLICY_INPUT));
    // A mitigation planned from an earlier report, marked in the new one.
    const earlier = (await fx.coordinator.store.listAuditReports((await fx.coordinator.store.listTasks(fx.federationId))[0].id))[0];
    const plan = planMitigation(signedReportOf(await fx.coordinator.store.getAuditReport(earlier.id)), { grouping: 'gender', kind: 'thresholds' });
    writeFileSync(`${fx.workDir}/plan.json`, JSON.stringify(plan));
    const r = await runCli(CLI.coordinator, ['run', '--task', task.id, '--rounds', '2', '--audit-policy', 'policy.json', '--data-window', 'H1 2026', '--mitigation', 'plan.json', ...conn], { cwd: fx.workDir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^round \d+ audit published/m);
    const latest = (await fx.coordinator.store.latestModelVersion(task.id))!;
    const record = (await fx.coordinator.store.getAuditReportForModelVersion(latest.id))!;
    expect(record.policyHash).toBe(policyHash(policy));
    expect(JSON.parse(record.bodyJson)).toMatchObject({ task: { dataWindow: 'H1 2026' }, model: { version: latest.version }, mitigations: [{ kind: 'per-group-thresholds', grouping: 'gender' }] });
  }, 300_000);
  it('a task that declares its audit (policy file pinned at create-task) gets it on every run\'s final version: gRPC run, HTTP run, HTTP audit', async () => {
    const conn = ['--coordinator', fx.coordinator.adminAddress, '--token', fx.coordinator.adminToken];
    // The task file names its policy file, relative to the task file; create-task embeds and pins it.
    mkdirSync(`${fx.workDir}/tasks`, { recursive: true });
    writeFileSync(`${fx.workDir}/tasks/fairness.yaml`, JSON.stringify(POLICY_INPUT));
    const def = churnTask({ name: 'auto-audited', aggregation: 'secure', minMembers: 3, stageTimeoutSeconds: 6 });
    writeFileSync(`${fx.workDir}/tasks/auto.json`, JSON.stringify({ ...def, audit: { policyFile: 'fairness.yaml', intendedUse: 'retention calls' } }));
    const created = await runCli(CLI.coordinator, ['create-task', '--federation', fx.federationId, '--file', 'tasks/auto.json', '--json', ...conn], { cwd: fx.workDir });
    expect(created.stderr).toBe('');
    const taskId = (JSON.parse(created.stdout) as { id: string }).id;
    const stored = await fx.coordinator.store.getTask(taskId);
    expect(stored.definition.kind === 'model' && stored.definition.audit?.policyHash).toBe(policyHash(policy));

    // 1. A plain gRPC run (no audit flag): training, the evaluation, then the audit of the final version.
    const reports = await fx.admin.runRounds(taskId, 1, 20);
    expect(reports.map((r) => r.purpose)).toEqual(['statistics', 'train', 'evaluate', 'audit']);
    expect(reports.at(-1)!.state).toBe('published');
    const first = (await fx.coordinator.store.latestModelVersion(taskId))!;
    const firstReport = (await fx.coordinator.store.getAuditReportForModelVersion(first.id))!;
    expect(firstReport.policyHash).toBe(policyHash(policy));
    expect(JSON.parse(firstReport.bodyJson)).toMatchObject({ task: { intendedUse: 'retention calls' }, model: { modelVersionId: first.id } });
    const fixed = (await fx.coordinator.store.listAuditEvents({ subjectId: first.id })).find((e) => e.kind === 'audit.policy_fixed')!;
    expect(fixed).toMatchObject({ actor: 'coordinator', detail: { policySource: 'task', policyHash: policyHash(policy) } });

    // 2. A run started over the HTTP API audits its final version too.
    const { token } = await issueApiToken(fx.coordinator.store, { name: 'ops', role: 'operator', issuedBy: 'test' });
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${fx.coordinator.httpUrl}${path}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    };
    const finished = async () => {
      for (;;) {
        const { run } = (await api('GET', `/api/v1/tasks/${taskId}/run`)).body as { run: { finishedAt: string | null; state: string; error: string | null; reports: { purpose: string; state: string }[] } };
        if (run.finishedAt) return run;
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    expect((await api('POST', `/api/v1/tasks/${taskId}/runs`, { rounds: 2, waitSeconds: 20 })).status).toBe(202);
    const httpRun = await finished();
    expect(httpRun.error).toBeNull();
    expect(httpRun.reports.map((r) => `${r.purpose} ${r.state}`)).toEqual(['train published', 'train published', 'evaluate published', 'audit published']);
    const second = (await fx.coordinator.store.latestModelVersion(taskId))!;
    expect(second.version).toBeGreaterThan(first.version);
    expect((await fx.coordinator.store.getAuditReportForModelVersion(second.id))?.policyHash).toBe(policyHash(policy));

    // 3. An audit over the HTTP API with the operator's own policy (refused first when the policy is bad, before any round).
    const bad = await api('POST', `/api/v1/tasks/${taskId}/runs`, { workflow: 'audit', audit: { policy: { attributes: [] } } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_ARGUMENT' });
    // The HTTP run's first version has no report (only a run's final version is audited).
    const older = (await fx.coordinator.store.listModelVersions(taskId)).find((v) => v.version > first.version && v.version < second.version)!;
    expect(await fx.coordinator.store.getAuditReportForModelVersion(older.id)).toBeUndefined();
    // Not released: export-model refuses it (gRPC and HTTP API alike) unless told --unaudited.
    const exportArgs = ['export-model', '--task', taskId, '--version', String(older.version), '--out', 'older.json'];
    const refused = await runCli(CLI.coordinator, [...exportArgs, ...conn], { cwd: fx.workDir });
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^AUDIT_MISSING: version \d+ of task \S+ has no audit report and the task requires one/);
    const refusedApi = await runCli(CLI.coordinator, [...exportArgs, '--api', fx.coordinator.httpUrl!, '--token', token], { cwd: fx.workDir });
    expect(refusedApi.stderr).toMatch(/^AUDIT_MISSING: /);
    const forced = await runCli(CLI.coordinator, [...exportArgs, '--unaudited', ...conn], { cwd: fx.workDir });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/^warning: --unaudited/);
    expect((await fx.coordinator.store.listAuditEvents({ subjectId: older.id })).find((e) => e.kind === 'model.exported')?.detail).toMatchObject({ unaudited: true });
    const audited = await runCli(CLI.coordinator, ['export-model', '--task', taskId, '--out', 'latest.json', ...conn], { cwd: fx.workDir });
    expect(audited.stderr).toBe('');
    const stricter = parseAuditPolicy({ ...POLICY_INPUT, minCellCount: 20 });
    const started = await api('POST', `/api/v1/tasks/${taskId}/runs`, { workflow: 'audit', modelVersion: older.version, waitSeconds: 20, audit: { policy: JSON.stringify({ ...POLICY_INPUT, minCellCount: 20 }), dataWindow: 'synthetic' } });
    expect(started.status).toBe(202);
    const auditRun = await finished();
    expect(auditRun.reports.map((r) => `${r.purpose} ${r.state}`)).toEqual(['audit published']);
    const third = (await fx.coordinator.store.getAuditReportForModelVersion(older.id))!;
    expect(third.policyHash).toBe(policyHash(stricter));
    expect(JSON.parse(third.bodyJson)).toMatchObject({ task: { dataWindow: 'synthetic', intendedUse: 'retention calls' } });

    // The auditor's list names the task and the version number, not only ids.
    const listed = (await api('GET', '/api/v1/audits')).body as { reports: { id: string; taskName?: string; modelVersion?: number }[] };
    expect(listed.reports.find((r) => r.id === third.id)).toMatchObject({ taskName: expect.any(String), modelVersion: older.version });

    // 4. A CLI run with a declaration but no policy flag: the task's own policy, the run's declaration.
    const declared = await runCli(CLI.coordinator, ['run', '--task', taskId, '--rounds', '1', '--intended-use', 'churn outreach', '--data-window', 'Q3 2026', ...conn], { cwd: fx.workDir });
    expect(declared.stderr).toBe('');
    expect(declared.code).toBe(0);
    const fourth = (await fx.coordinator.store.getAuditReportForModelVersion((await fx.coordinator.store.latestModelVersion(taskId))!.id))!;
    expect(fourth.policyHash).toBe(policyHash(policy));
    expect(JSON.parse(fourth.bodyJson)).toMatchObject({ task: { intendedUse: 'churn outreach', dataWindow: 'Q3 2026' } });
  }, 300_000);
});
