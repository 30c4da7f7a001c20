// Issue 17 follow-up, against the real coordinator turned hostile: it announces more members than
// take part, so that each member's DP-FedAvg noise share (σS/√n) comes out smaller and the sum
// carries less than the full noise. Members size their share from the key set they verified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLayoutOf, auditNoiseFor, auditSumLayout, dpHistogramGroups, parseAuditPolicy, resolveSecAggParams, unpackVector,
  type AuditWorkOrder, type ModVector, type ModulusBits,
} from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import { CsvLocalWork, type LocalInput, type LocalRound } from '@consort/client-sdk';
import { sqliteDatabase } from '../support/databases.ts';
import { churnTask, startFixture, type Fixture } from '../support/federation-fixture.ts';

const SIGMA = 1000;
const CLIP = 0.001;

/**
 * The stock CSV local work with one change: every N(0, 1) draw is 1, so the noise a member adds
 * to each weight equals its noise std, σS/√n. With S = 0.001 the clipped update moves each
 * weight by at most 0.001, far below the std (0.5 for n = 4, 0.41 for n = 6).
 */
class RecordingWork extends CsvLocalWork {
  readonly shares = new Map<string, number[]>();
  protected override privacyMeans() {
    return { normals: { standardNormal: () => 1 }, uniform32: () => 0x9e3779b9 };
  }
  /** Each audit round's packed vector as this member sent it (noise share included). */
  readonly audits = new Map<string, { order: AuditWorkOrder; values: number[] }>();
  override async auditVector(round: LocalRound, order: AuditWorkOrder, model: () => Promise<Float32Array>, members: number): Promise<ModVector> {
    const vector = await super.auditVector(round, order, model, members);
    this.audits.set(round.open.roundId, { order, values: Array.from(unpackVector(auditSumLayout(order, members), vector).audit) });
    return vector;
  }
  override async contribution(round: LocalRound, model: () => Promise<Float32Array>): Promise<LocalInput> {
    let global: Float32Array | undefined;
    const input = await super.contribution(round, async () => (global = await model()));
    if (round.open.purpose === 'train' && global) {
      this.shares.set(round.open.roundId, Array.from(input.values, (v, i) => v - global![i]));
    }
    return input;
  }
}

describe('adversarial: a coordinator that inflates the member count of a DP round', () => {
  let fx: Fixture;
  const works: RecordingWork[] = [];
  const logs: string[][] = [[], [], [], []];

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: sqliteDatabase().url, members: 4, customers: 1200, seed: 17,
      hooks: (i, dataFile) => {
        works[i] = new RecordingWork({ dataFile });
        return { localWork: works[i], logger: { info: (m: string) => logs[i].push(m), warn: (m: string) => logs[i].push(m) } };
      },
    });
  });
  afterAll(async () => { await fx?.close(); });

  /** Inflates the invited count of the task's rounds of `purpose` to 6 (k and t as members compute them for 6) until restored. */
  function inflate(taskId: string, purpose: string): () => void {
    const connections = fx.coordinator.connections;
    const send = connections.send.bind(connections);
    connections.send = (memberId: string, event: CoordinatorEvent) => {
      const open = event.roundOpen;
      if (!open || open.taskId !== taskId || open.purpose !== purpose || !open.secagg) return send(memberId, event);
      const s = open.secagg;
      const inflated = resolveSecAggParams({
        roundId: open.roundId!, vectorLength: Number(s.vectorLength), modulusBits: s.modulusBits as ModulusBits, minMembers: s.minMembers!, dropoutTolerance: 0.2,
      }, 6);
      return send(memberId, { roundOpen: { ...open, secagg: { ...s, invitedMembers: 6, neighbours: inflated.neighbours, threshold: inflated.threshold } } });
    };
    return () => { connections.send = send; };
  }

  function noiseOf(roundId: string): number[] {
    return works.map((w) => {
      const d = w.shares.get(roundId);
      expect(d, `member recorded round ${roundId}`).toBeDefined();
      return d!.reduce((a, b) => a + b, 0) / d!.length;
    });
  }

  it('honest round: each member adds σS/√4 per weight', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'dp-honest', aggregation: 'secure', minMembers: 3, seed: 3, earlyStopping: false,
      privacy: { level: 'member', epsilon: 50, noiseMultiplier: SIGMA, clipNorm: CLIP },
    }));
    const reports = await fx.admin.runRounds(task.id, 1, 20);
    expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['statistics:published', 'train:published', 'evaluate:published']);
    for (const mean of noiseOf(reports[1].roundId)) expect(mean).toBeCloseTo((SIGMA * CLIP) / 2, 2);
  });

  it('announcing 6 members when 4 take part does not shrink any noise share: each stays σS/√4', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'dp-inflated', aggregation: 'secure', minMembers: 3, seed: 5, earlyStopping: false,
      privacy: { level: 'member', epsilon: 50, noiseMultiplier: SIGMA, clipNorm: CLIP },
    }));
    // The coordinator's one changed behaviour: training rounds announce 6 invited members, with the
    // neighbours k and threshold t members compute for 6 (so their policy check passes). The
    // transport still signs what it is given.
    const restore = inflate(task.id, 'train');
    let trainId = '';
    try {
      const reports = await fx.admin.runRounds(task.id, 1, 20);
      trainId = reports[1].roundId;
      // The real coordinator's own shares threshold is for 4 members, so this round cannot unmask
      // either; what matters is what each member put into its masked input.
      expect(reports[1]).toMatchObject({ purpose: 'train', state: 'aborted' });
    } finally {
      restore();
    }
    // Every member trained and added its share, sized for the 4 members of the verified key set.
    const shares = noiseOf(trainId);
    for (const mean of shares) {
      expect(mean).toBeCloseTo((SIGMA * CLIP) / 2, 2);
      expect(mean).toBeGreaterThan((SIGMA * CLIP) / Math.sqrt(6) + 0.05);
    }
    for (const lines of logs) {
      expect(lines.join('\n')).toMatch(new RegExp(`round 2 \\(train, secure\\) announced 6 members but its verified key set holds 4: this member's noise share is sized for 4`));
    }
  });

  it('an audit round announcing 6 members when 4 take part: each member\'s noise share on the counts stays σ_aΔ/√4', async () => {
    const policy = parseAuditPolicy({ attributes: [{ name: 'gender', column: 'gender', groups: ['female', 'male', 'other'] }], histogramBins: 100, bootstrap: { resamples: 100, seed: 1 } });
    const SIGMA_A = 100;
    const task = await fx.admin.createTask(fx.federationId, churnTask({
      name: 'dp-audit-inflated', aggregation: 'secure', minMembers: 3, seed: 7, earlyStopping: false,
      privacy: { level: 'member', epsilon: 50, noiseMultiplier: SIGMA, clipNorm: CLIP, auditNoiseMultiplier: SIGMA_A },
    }));
    await fx.admin.runRounds(task.id, 1, 20);
    const restore = inflate(task.id, 'audit');
    try {
      const [round] = await fx.coordinator.rounds.runWorkflow('audit', task.id, { audit: { policy, signingKey: fx.coordinator.coordinatorKey } }, { waitForMembersMs: 20_000 });
      expect(round).toMatchObject({ purpose: 'audit', state: 'aborted' });
      // Every normal draw is 1, so each noised entry carries round(σ_aΔ/√n): 71 for n = 4, 58 for n = 6
      // (Δ = √2: one grouping, one threshold). Within a cell the four
      // confusion counts and the 2 × 20 merged bins hold the same rows: their difference is (4 − 40)·r.
      const noise = auditNoiseFor(policy, SIGMA_A);
      const layout = auditLayoutOf({ kind: 'audit', policy, policyHash: '', maxRows: 1 });
      const groups = dpHistogramGroups(policy.histogramBins);
      for (const w of works) {
        const sent = w.audits.get(round.roundId);
        expect(sent?.order.noise).toEqual(noise);
        for (const s of layout.slots[0]) {
          const confusion = sent!.values.slice(s.confusion, s.confusion + 4).reduce((a, b) => a + b, 0);
          const bins = sent!.values.slice(s.histogram, s.histogram + 2 * policy.histogramBins).reduce((a, b) => a + b, 0);
          expect((bins - confusion) / (2 * groups - 4)).toBe(Math.round((SIGMA_A * noise.sensitivity) / 2));
        }
      }
    } finally {
      restore();
    }
  });
});
