// Every round warning end to end over gRPC: members send odd inputs (misbehaving local work), the coordinator
// names the warning in the round it belongs to — in the admin stream, in members' RoundClosed and
// in the stored round — and a sound run raises none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalInput } from '@consort/client-sdk';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import type { RoundClosed__Output } from '@consort/protos/types/RoundClosed';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import { formatRoundLine, renderRoundsReport } from '@consort/coordinator';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

type Odd = 'none' | 'clip-weights' | 'huge-statistic' | 'nan-update' | 'exploding-loss' | 'constant-scores' | 'inverted-scores';

/** All held-out rows of a member in one score bin (the middle one). */
function oneBin(h: number[], total: number): number[] {
  return h.map((_, i) => (i === Math.floor(h.length / 2) ? total : 0));
}

function tamper(odd: Odd, member: number, input: LocalInput, open: RoundOpen__Output): LocalInput {
  switch (odd) {
    case 'clip-weights':
      if (open.purpose === 'train' && member === 0) { const v = input.values.slice(); v[0] = 100; v[1] = -100; return { ...input, values: v }; }
      return input;
    case 'huge-statistic':
      // Far beyond a 32-bit limb of the exact statistics: refused by the member's packing, never clipped.
      if (open.purpose === 'statistics' && member === 1) { const v = input.values.slice(); v[1] = 1e15; return { ...input, values: v }; }
      return input;
    case 'nan-update':
      if (open.purpose === 'train' && member === 2) { const v = input.values.slice(); v[0] = Number.NaN; return { ...input, values: v }; }
      return input;
    case 'exploding-loss':
      // A loss sum no log-loss can reach: the clamp artefact of unscaled money columns.
      if (open.purpose === 'train') return { ...input, trainLossSum: 1e12 };
      return input;
    case 'constant-scores':
      if (open.purpose === 'evaluate') {
        const total = input.evalHistPos.reduce((a, b) => a + b, 0) + input.evalHistNeg.reduce((a, b) => a + b, 0);
        const pos = input.evalHistPos.reduce((a, b) => a + b, 0);
        return { ...input, evalHistPos: oneBin(input.evalHistPos, pos), evalHistNeg: oneBin(input.evalHistNeg, total - pos) };
      }
      return input;
    case 'inverted-scores':
      // Positives and negatives swap histograms: AUC becomes 1 − AUC, far below the best so far.
      if (open.purpose === 'evaluate') return { ...input, evalHistPos: input.evalHistNeg, evalHistNeg: input.evalHistPos };
      return input;
    default:
      return input;
  }
}

describe('round warnings end to end', () => {
  let fx: Fixture;
  let odd: Odd = 'none';
  const closed: RoundClosed__Output[] = [];

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: sqliteDatabase().url, members: 3, customers: 1500, seed: 5,
      hooks: (i) => ({
        misbehave: { input: (input: LocalInput, open: RoundOpen__Output) => tamper(odd, i, input, open) },
        onRoundClosed: (c: RoundClosed__Output) => { if (i === 0) closed.push(c); },
      }),
    });
  });
  afterAll(async () => { await fx?.close(); });

  async function run(name: string, mode: Odd, trainRounds = 1, over: Parameters<typeof churnTask>[0] = {}): Promise<RoundReport__Output[]> {
    odd = mode;
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name, aggregation: 'secure', minMembers: 3, ...over }));
    const reports = await fx.admin.runRounds(task.id, trainRounds, 20);
    odd = 'none';
    for (const r of reports) expect(r.state, `${r.purpose}: ${r.reason}`).toBe('published');
    return reports;
  }

  const codesOf = (r: RoundReport__Output | undefined) => (r?.metrics?.warnings ?? []).map((w) => w.code);
  const byPurpose = (reports: RoundReport__Output[], purpose: string) => reports.filter((r) => r.purpose === purpose);

  /** The stored round and what members were told carry the same warnings as the admin stream. */
  async function expectEverywhere(r: RoundReport__Output, code: string): Promise<void> {
    expect(codesOf(r)).toContain(code);
    const stored = await fx.coordinator.store.getRound(r.roundId);
    expect((stored.metrics as { warnings: { code: string }[] }).warnings.map((w) => w.code)).toContain(code);
    const told = closed.find((c) => c.roundId === r.roundId);
    expect(told?.metrics?.warnings.map((w) => w.code)).toContain(code);
    expect(formatRoundLine(r)).toContain(`warning ${code}: `);
  }

  it('a sound run raises no warning, and non-training rounds carry no training loss or AUC', async () => {
    const reports = await run('sound', 'none', 2);
    for (const r of reports) expect(codesOf(r), r.purpose).toEqual([]);
    const [stats] = byPurpose(reports, 'statistics');
    expect(stats.metrics!.trainLoss).toBeUndefined();
    expect(stats.metrics!.evalAuc).toBeUndefined();
    expect(formatRoundLine(stats)).toContain('train loss —, held-out loss —, AUC —');
    const [evaluation] = byPurpose(reports, 'evaluate');
    expect(evaluation.metrics!.trainLoss).toBeUndefined();
    expect(evaluation.metrics!.evalAuc).toBeGreaterThan(0.6);
    const stored = await fx.coordinator.store.getRound(stats.roundId);
    expect(stored.metrics).toMatchObject({ trainLoss: null, evalAuc: null, warnings: [] });
  });

  it('WEIGHTS_CLIPPED: names the count and share of clipped weights', async () => {
    const reports = await run('clip', 'clip-weights');
    const [train] = byPurpose(reports, 'train');
    await expectEverywhere(train, 'WEIGHTS_CLIPPED');
    expect(train.metrics!.warnings[0].message).toMatch(/^2 of \d+ model weights \(\d+\.\d%\) were clipped to ±16/);
  });

  it('a statistic out of the secure range is refused with its member, never clipped into the sum', async () => {
    // Exact statistics have no clip: the member's packing refuses the value, so with 3 of 3
    // members required the round aborts instead of publishing a distorted pipeline.
    odd = 'huge-statistic';
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'stats-range', aggregation: 'secure', minMembers: 3, stageTimeoutSeconds: 5 }));
    const reports = await fx.admin.runRounds(task.id, 1, 20);
    odd = 'none';
    const [stats] = byPurpose(reports, 'statistics');
    expect(stats.state).toBe('aborted');
    expect(stats.reason).toMatch(/only 2 masked inputs arrived/);
    expect((await fx.coordinator.store.getTask(task.id)).pipeline).toBeFalsy();
  });

  it('NON_FINITE_VALUES: a NaN update is left out of the secure sum and named', async () => {
    const reports = await run('nan', 'nan-update');
    const [train] = byPurpose(reports, 'train');
    await expectEverywhere(train, 'NON_FINITE_VALUES');
    // The member stayed in the protocol (no dropout), its rows left the sum.
    expect(train.dropped).toEqual([]);
    const [stats] = byPurpose(reports, 'statistics');
    expect(train.metrics!.numExamples).toBeLessThan(stats.metrics!.numExamples);
    const model = await fx.coordinator.store.getModelVersion(train.modelVersionId);
    expect(Array.from(model.weights).every(Number.isFinite)).toBe(true);
  });

  it('NON_FINITE_VALUES on plain aggregation names the member left out', async () => {
    const reports = await run('nan-plain', 'nan-update', 1, { aggregation: 'plain', minMembers: 2 });
    const [train] = byPurpose(reports, 'train');
    await expectEverywhere(train, 'NON_FINITE_VALUES');
    expect(train.metrics!.warnings[0].message).toContain(fx.agents[2].memberId);
  });

  it('LOSS_DIVERGED: a training loss above log-loss\'s ceiling (the clamp artefact)', async () => {
    const reports = await run('loss', 'exploding-loss');
    const [train] = byPurpose(reports, 'train');
    await expectEverywhere(train, 'LOSS_DIVERGED');
    expect(train.metrics!.trainLoss).toBeGreaterThan(100);
  });

  it('CONSTANT_SCORES: every held-out row in one score bin', async () => {
    const reports = await run('constant', 'constant-scores');
    const [evaluation] = byPurpose(reports, 'evaluate');
    await expectEverywhere(evaluation, 'CONSTANT_SCORES');
    expect(evaluation.metrics!.evalAuc).toBeCloseTo(0.5, 6);
  });

  it('AUC_DROPPED: held-out AUC ≥ 0.05 below the best so far, and the HTML report lists every warning', async () => {
    const reports = await run('auc', 'inverted-scores', 2);
    const [evaluation] = byPurpose(reports, 'evaluate');
    await expectEverywhere(evaluation, 'AUC_DROPPED');
    const html = await renderRoundsReport(fx.coordinator.store, evaluation.roundId ? (await fx.coordinator.store.getRound(evaluation.roundId)).taskId : '');
    expect(html).toContain('<table id="warnings">');
    expect(html).toContain('<code>AUC_DROPPED</code>');
  });
});
