// A model of several million parameters crosses gRPC in chunks both ways (no 4 MiB limit).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { AdminClient, startCoordinator, type Coordinator } from '@consort/coordinator';
import { MemberClient, enrollMember } from '@consort/client-sdk';
import { localFeatureStats } from '@consort/core';
import type { CoordinatorEvent__Output } from '@consort/protos/types/CoordinatorEvent';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask } from './support/federation-fixture.ts';
import { churnTaskSchema } from '@consort/simulations';

describe('large models over gRPC', () => {
  let coordinator: Coordinator;
  let admin: AdminClient;
  const clients: MemberClient[] = [];

  beforeAll(async () => {
    coordinator = await startCoordinator({ databaseUrl: sqliteDatabase().url, port: 0, logger: pino({ level: 'silent' }), adminToken: 't', dataDir: `${process.env.TMPDIR ?? '/tmp'}/consort-large` });
    admin = new AdminClient(coordinator.adminAddress, coordinator.adminToken);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    admin.close();
    await coordinator.close();
  });

  it('downloads and aggregates a 4.25M-parameter model sent by two members', async () => {
    const fed = await admin.createFederation('large');
    const tokens = await admin.createEnrollmentTokens(fed.id, 2);
    const schema = churnTaskSchema();
    const task = await admin.createTask(fed.id, churnTask({ minMembers: 2, model: { kind: 'mlp', task: 'binary', hidden: [2048, 2048] } }));
    expect(task.parameterCount).toBeGreaterThan(4_000_000);
    const sentWeights: Float32Array[] = [];
    const examples = [300, 100];
    let downloadedChunks = 0;
    const memberErrors: string[] = [];
    for (let i = 0; i < 2; i++) {
      const identity = await enrollMember(coordinator.address, tokens[i], `Member ${i}`);
      const client = new MemberClient(coordinator.address, identity);
      clients.push(client);
      const stream = client.connect('none', 'test');
      stream.on('data', (e: CoordinatorEvent__Output) => {
        const open = e.roundOpen;
        if (!open) return;
        (async () => {
          if (open.purpose === 'statistics') {
            const record = Object.fromEntries([...schema.numeric.map((c) => [c, String(i + 1)]), ...Object.entries(schema.vocabularies).map(([c, v]) => [c, v[0]])]);
            const stats = localFeatureStats({ ...schema }, schema.vocabularies, [record, record]);
            await client.uploadInput({ roundId: open.roundId, plain: { numExamples: 2, trainLossSum: 0, evalLossSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [], dtype: 'float64', rowsSkipped: 0 } }, new Uint8Array(stats.buffer));
            return;
          }
          if (open.purpose === 'evaluate') {
            await client.uploadInput({ roundId: open.roundId, plain: { numExamples: 1, trainLossSum: 0, evalLossSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [], dtype: 'float32', rowsSkipped: 0 } }, new Uint8Array(0));
            return;
          }
          const model = await client.downloadModel(open.modelVersionId, open.modelSha256);
          downloadedChunks = Math.ceil(model.weights.byteLength / (1 << 20));
          const w = new Float32Array(model.weights.length);
          for (let j = 0; j < w.length; j++) w[j] = model.weights[j] + (i === 0 ? 0.5 : -0.25) * ((j % 7) / 7);
          sentWeights[i] = w;
          await client.uploadInput({ roundId: open.roundId, plain: { numExamples: examples[i], trainLossSum: 1, evalLossSum: 0, evalExamples: 0, evalHistPos: [], evalHistNeg: [], dtype: 'float32', rowsSkipped: 0 } }, new Uint8Array(w.buffer));
        })().catch((err: Error) => { memberErrors.push(err.message); });
      });
      await new Promise((r) => stream.once('data', r));
    }
    const reports = await admin.runRounds(task.id, 1, 10);
    const train = reports.find((r) => r.purpose === 'train')!;
    expect(memberErrors).toEqual([]);
    expect(reports.map((r) => r.state)).toEqual(['published', 'published', 'published']);
    expect(train.state).toBe('published');
    expect(downloadedChunks).toBeGreaterThanOrEqual(16);
    const stored = await coordinator.store.getModelVersion(train.modelVersionId);
    expect(stored.weights.length).toBe(task.parameterCount);
    let maxErr = 0;
    for (let j = 0; j < stored.weights.length; j += 97) {
      const expected = (300 * sentWeights[0][j] + 100 * sentWeights[1][j]) / 400;
      maxErr = Math.max(maxErr, Math.abs(expected - stored.weights[j]));
    }
    expect(maxErr).toBeLessThan(1e-6);
  });

  it('serves a 4.25M-parameter model to 20 members at once (more downloads than transfer slots), each intact', async () => {
    const fed = await admin.createFederation('many downloads');
    const task = await admin.createTask(fed.id, churnTask({ minMembers: 2, model: { kind: 'mlp', task: 'binary', hidden: [2048, 2048] } }));
    const tokens = await admin.createEnrollmentTokens(fed.id, 20);
    const members = await Promise.all(tokens.map(async (token, i) => {
      const client = new MemberClient(coordinator.address, await enrollMember(coordinator.address, token, `Downloader ${i}`));
      clients.push(client);
      return client;
    }));
    // 20 concurrent downloads against 8 slots: the rest wait for a slot instead of buffering the model each.
    const models = await Promise.all(members.map((c) => c.downloadModel(task.initialModelVersionId)));
    for (const m of models) {
      expect(m.weights.length).toBe(task.parameterCount);
      expect(m.sha256.equals(models[0].sha256)).toBe(true);
    }
  }, 120_000);

  it('a member that abandons its download gives its transfer slot back', async () => {
    const fed = await admin.createFederation('abandoned downloads');
    const task = await admin.createTask(fed.id, churnTask({ minMembers: 2, model: { kind: 'mlp', task: 'binary', hidden: [2048, 2048] } }));
    const [token] = await admin.createEnrollmentTokens(fed.id, 1);
    const client = new MemberClient(coordinator.address, await enrollMember(coordinator.address, token, 'Quitter'));
    clients.push(client);
    // Twelve downloads (more than the 8 slots) each cancelled after the first chunk...
    for (let i = 0; i < 12; i++) {
      await new Promise<void>((resolve) => {
        const req = { modelVersionId: task.initialModelVersionId };
        const call = client.client.DownloadModel(req, client.signedMetadata('DownloadModel', [req]));
        call.on('data', () => { call.cancel(); resolve(); });
        call.on('error', () => resolve());
      });
    }
    // ...and a full download still gets a slot.
    const model = await client.downloadModel(task.initialModelVersionId);
    expect(model.weights.length).toBe(task.parameterCount);
  }, 120_000);
});
