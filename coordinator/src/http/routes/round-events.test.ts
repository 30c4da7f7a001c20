// The live stream's tracker: a round is done only once the event of its closing state was read,
// even when an earlier stage's event was read while the round was in that stage.
import { describe, expect, it } from 'vitest';
import type { AuditEventRecord, RoundRecord, Store } from '../../store/store.ts';
import { RoundEventTracker } from './round-events.ts';

/** Just what the tracker reads: the task's rounds and each round's audit events. */
function fakeStore() {
  const rounds: RoundRecord[] = [];
  const events: AuditEventRecord[] = [];
  const store = {
    async listRounds() { return rounds.map((r) => ({ ...r })); },
    async listAuditEvents(f: { subjectId?: string; afterId?: number }) {
      return events.filter((e) => e.subjectId === f.subjectId && e.id > (f.afterId ?? 0));
    },
  } as unknown as Store;
  const append = (roundId: string, kind: string) => events.push({ id: events.length + 1, seq: events.length + 1, at: new Date(), actor: 'coordinator', kind, subjectType: 'round', subjectId: roundId, detail: {} } as AuditEventRecord);
  return { store, rounds, append };
}

describe('RoundEventTracker', () => {
  it('is not settled when a round is stored as published before its round.published event, and then sends that event', async () => {
    const { store, rounds, append } = fakeStore();
    const now = new Date();
    rounds.push({ id: 'r1', taskId: 't', number: 1, state: 'masked_input', participants: ['a', 'b'], dropped: [], deadlines: {}, startedAt: now, updatedAt: now } as unknown as RoundRecord);
    append('r1', 'round.created');
    append('r1', 'round.masked_input');
    const tracker = new RoundEventTracker(store, 't');
    await tracker.poll(undefined);
    // The runner stores the closing state first; its audit event follows.
    rounds[0] = { ...rounds[0], state: 'published', updatedAt: new Date() };
    await tracker.poll(undefined);
    expect(tracker.settled).toBe(false);
    append('r1', 'round.published');
    const last = await tracker.poll(undefined);
    expect(last.filter((e) => e.event === 'stage').map((e) => e.data.kind)).toEqual(['round.published']);
    expect(tracker.settled).toBe(true);
  });
});
