// Secure aggregation end to end over gRPC: the stored model equals the plain run up to
// quantization, equals the weighted mean of what members sent, survives a member vanishing
// mid-protocol, aborts cleanly when too many vanish, and no member vector reaches disk or logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LocalInput } from '@consort/client-sdk';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

type Scenario = 'normal' | 'one-vanishes' | 'three-vanish';

describe('secure aggregation end to end', () => {
  let fx: Fixture;
  let scenario: Scenario = 'normal';
  const db = sqliteDatabase();
  const logLines: string[] = [];
  const sent = new Map<string, { weights: Float32Array; n: number }[]>();

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: db.url, members: 5, customers: 2000, seed: 21,
      logSink: (line) => logLines.push(line),
      hooks: (i) => ({
        misbehave: {
          input: (input: LocalInput, open: RoundOpen__Output) => {
            if (open.purpose !== 'train') return input;
            const vanish = (scenario === 'one-vanishes' && i === 4) || (scenario === 'three-vanish' && i >= 2);
            if (vanish) {
              // Keys and shares were exchanged: the member disappears before its masked input.
              fx.agents[i].stop();
              throw new Error('member vanished (test)');
            }
            const list = sent.get(open.roundId) ?? [];
            list.push({ weights: new Float32Array(input.values as Float32Array), n: input.numExamples });
            sent.set(open.roundId, list);
            return input;
          },
        },
      }),
    });
  });
  afterAll(async () => { await fx?.close(); });

  async function maxDeviationFromWeightedMean(roundId: string, modelVersionId: string): Promise<{ err: number; members: number }> {
    const inputs = sent.get(roundId)!;
    const total = inputs.reduce((s, m) => s + m.n, 0);
    const model = await fx.coordinator.store.getModelVersion(modelVersionId);
    let err = 0;
    for (let j = 0; j < model.weights.length; j++) {
      let expected = 0;
      for (const m of inputs) expected += (m.n / total) * m.weights[j];
      err = Math.max(err, Math.abs(expected - model.weights[j]));
    }
    return { err, members: inputs.length };
  }

  it('gives the same model as the plain run up to quantization error', async () => {
    const secure = await fx.admin.createTask(fx.federationId, churnTask({ name: 'secure', aggregation: 'secure', minMembers: 4, seed: 5 }));
    const plain = await fx.admin.createTask(fx.federationId, churnTask({ name: 'plain', aggregation: 'plain', minMembers: 4, seed: 5 }));
    const secureReports = await fx.admin.runRounds(secure.id, 2, 20);
    const plainReports = await fx.admin.runRounds(plain.id, 2, 20);
    expect(secureReports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['statistics:published', 'train:published', 'train:published', 'evaluate:published']);
    // Operators see where each secure round's time went in the reports the admin API streams.
    for (const r of secureReports) expect(Object.keys(r.metrics!.stageSeconds).sort(), r.purpose).toEqual(['advertise_keys', 'consistency_check', 'masked_input', 'share_keys', 'unmask']);
    for (const r of plainReports) expect(r.metrics!.stageSeconds).toEqual({});
    expect(plainReports.map((r) => r.state)).toEqual(['published', 'published', 'published', 'published']);

    // The secure sum is the weighted mean of what members sent, within 2^-16 per member.
    for (const r of secureReports.filter((x) => x.purpose === 'train')) {
      const { err, members } = await maxDeviationFromWeightedMean(r.roundId, r.modelVersionId);
      expect(members).toBe(5);
      expect(err).toBeLessThan(1e-5);
    }
    const s = await fx.coordinator.store.getModelVersion(secureReports[2].modelVersionId);
    const p = await fx.coordinator.store.getModelVersion(plainReports[2].modelVersionId);
    let diff = 0;
    for (let j = 0; j < s.weights.length; j++) diff = Math.max(diff, Math.abs(s.weights[j] - p.weights[j]));
    expect(diff).toBeLessThan(1e-3);
    expect(Math.abs(secureReports[3].metrics!.evalAuc! - plainReports[3].metrics!.evalAuc!)).toBeLessThan(0.005);
    expect(secureReports[3].metrics!.evalExamples).toBe(plainReports[3].metrics!.evalExamples);

    // Round metadata says how it was aggregated and with what minimum.
    const round = await fx.coordinator.store.getRound(secureReports[1].roundId);
    expect(round.metrics).toMatchObject({ aggregation: 'secure', minMembers: 4, participants: 5, clipped: 0 });
    // …and how long each stage waited for its members, within the round's own duration.
    const stages = (round.metrics as { stageSeconds: Record<string, number> }).stageSeconds;
    expect(Object.keys(stages)).toEqual(['advertise_keys', 'share_keys', 'masked_input', 'consistency_check', 'unmask']);
    for (const s of Object.values(stages)) expect(s).toBeGreaterThan(0);
    expect(Object.values(stages).reduce((a, b) => a + b, 0)).toBeLessThan((round.finishedAt!.getTime() - round.startedAt.getTime()) / 1000);
    expect(round.secagg).toMatchObject({ threshold: 3, neighbours: 4, minMembers: 4, modulusBits: 64 });
  });

  it('never writes or logs a member\'s vector', async () => {
    const file = fileURLToPath(db.url);
    // The write-ahead log holds recent pages when the database uses WAL: read it too.
    const dbBytes = Buffer.concat([readFileSync(file), ...(existsSync(`${file}-wal`) ? [readFileSync(`${file}-wal`)] : [])]);
    const logs = Buffer.from(logLines.join('\n'));
    let checked = 0;
    for (const inputs of sent.values()) {
      for (const m of inputs) {
        // A 16-byte window of the member's float32 weights must appear nowhere.
        const window = Buffer.from(m.weights.buffer, 8, 16);
        expect(dbBytes.indexOf(window)).toBe(-1);
        expect(logs.includes(m.weights[2].toString())).toBe(false);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(logLines.length).toBeGreaterThan(10);
  });

  it('completes a round when a member vanishes after sharing its keys', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'dropout', aggregation: 'secure', minMembers: 4, stageTimeoutSeconds: 5 }));
    scenario = 'one-vanishes';
    const reports = await fx.admin.runRounds(task.id, 1, 20);
    const train = reports.find((r) => r.purpose === 'train')!;
    expect(train.state).toBe('published');
    expect(train.metrics!.participants).toBe(4);
    expect(train.dropped.join('\n')).toContain(fx.agents[4].memberId);
    const { err, members } = await maxDeviationFromWeightedMean(train.roundId, train.modelVersionId);
    expect(members).toBe(4);
    expect(err).toBeLessThan(1e-5);
  });

  it('aborts with a reason and stores no model when too few members are left', async () => {
    scenario = 'three-vanish';
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'abort', aggregation: 'secure', minMembers: 3, stageTimeoutSeconds: 5 }));
    // Member 4 is gone since the last test; members 2 and 3 vanish before their masked input.
    const reports = await fx.admin.runRounds(task.id, 1, 10);
    const train = reports.find((r) => r.purpose === 'train')!;
    expect(train.state).toBe('aborted');
    // Training runs while keys are exchanged: the members vanish at share_keys or at masked_input.
    expect(train.reason).toMatch(/only 2 (members shared keys|masked inputs arrived), at least 3 are required/);
    expect((await fx.coordinator.store.listModelVersions(task.id)).map((v) => v.version)).toEqual([0]);
  });
});
