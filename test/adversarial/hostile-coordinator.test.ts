// Issue 13, finding 1, against the real coordinator: one that asks for plain aggregation, and
// one (the real server code with one behaviour changed) that alters a task between rounds and
// signs the altered RoundOpen with its own key. Unmodified agents refuse; no model comes of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTask, encodeTask, taskSha256 } from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import { sqliteDatabase } from '../support/databases.ts';
import { churnTask, startFixture, type Fixture } from '../support/federation-fixture.ts';

describe('adversarial: the real coordinator, turned hostile', () => {
  let fx: Fixture;
  const logs: string[][] = [[], [], []];

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: sqliteDatabase().url, members: 3, customers: 900, seed: 13,
      // The members' own operators did not allow plain rounds.
      hooks: (i) => ({ allowPlain: false, logger: { info: (m: string) => logs[i].push(m), warn: (m: string) => logs[i].push(m) } }),
    });
  });
  afterAll(async () => { await fx?.close(); });

  it('a plain task gets no member input: every agent refuses and the round aborts', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'plain-downgrade', aggregation: 'plain', minMembers: 3, stageTimeoutSeconds: 2 }));
    const [stats] = await fx.admin.runRounds(task.id, 1, 10);
    expect(stats).toMatchObject({ purpose: 'statistics', state: 'aborted' });
    expect(stats.reason).toMatch(/too few members survived the input stage: 0 of 3/);
    for (const lines of logs) {
      expect(lines.join('\n')).toMatch(new RegExp(`round ${stats.roundId} refused: ROUND_POLICY_REFUSED: .*plain aggregation`));
      expect(lines.join('\n')).not.toMatch(/loaded \d+ rows/);
    }
    expect(await fx.coordinator.store.latestModelVersion(task.id)).toMatchObject({ version: 0 });
  });

  it('a task altered after the first round is refused by every member (TASK_MISMATCH), though signed', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'altered', aggregation: 'secure', minMembers: 3, stageTimeoutSeconds: 2 }));
    // The coordinator's one changed behaviour: from the training round on, the protected
    // attribute "gender" becomes a model input. The transport still signs what it is given.
    const connections = fx.coordinator.connections;
    const send = connections.send.bind(connections);
    connections.send = (memberId: string, event: CoordinatorEvent) => {
      const open = event.roundOpen;
      if (!open || open.taskId !== task.id || open.purpose === 'statistics') return send(memberId, event);
      const def = decodeTask(open.task as Buffer);
      if (def.kind !== 'model') return send(memberId, event);
      const altered = encodeTask({ ...def, numeric: [...def.numeric, 'gender'], protected: def.protected.filter((p) => p !== 'gender') });
      return send(memberId, { roundOpen: { ...open, task: Buffer.from(altered), taskSha256: taskSha256(altered) } });
    };
    try {
      const reports = await fx.admin.runRounds(task.id, 1, 10);
      expect(reports.map((r) => [r.purpose, r.state])).toEqual([['statistics', 'published'], ['train', 'aborted'], ['evaluate', 'aborted']]);
      for (const lines of logs) {
        const text = lines.join('\n');
        expect(text).toMatch(new RegExp(`agreed to task ${task.id} \\(pinned.*protected gender, age_band`));
        expect(text).toMatch(new RegExp(`round ${reports[1].roundId} refused: TASK_MISMATCH: .*numeric: pinned .*protected: pinned \\["gender","age_band"\\], now \\["age_band"\\]`));
      }
      // Only the statistics round's model version (the fitted pipeline's start) exists: no training result.
      const rounds = await fx.coordinator.store.listRounds(task.id);
      expect(rounds.filter((r) => r.state === 'published').map((r) => r.id)).toEqual([reports[0].roundId]);
    } finally {
      connections.send = send;
    }
  });
});
