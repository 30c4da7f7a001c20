// What goes into the audit log from the HTTP API: every change and refusal, a repeated read once per window.
import { describe, expect, it } from 'vitest';
import { ReadRecordThrottle } from './read-record-throttle.ts';

const read = (now: number, o: Partial<{ actor: string; path: string; status: number; method: string }> = {}) => ({
  actor: o.actor ?? 'auditor:alice', routeId: 'rounds.list', method: o.method ?? 'GET', path: o.path ?? '/api/v1/tasks/t1/rounds', status: o.status ?? 200, now,
});

describe('ReadRecordThrottle', () => {
  it('records a read once per window and says how many identical reads the next record stands for', () => {
    const t = new ReadRecordThrottle(60_000);
    expect(t.decide(read(0))).toEqual({ record: true, skipped: 0 });
    expect(t.decide(read(15_000)).record).toBe(false);
    expect(t.decide(read(30_000)).record).toBe(false);
    expect(t.decide(read(60_000))).toEqual({ record: true, skipped: 2 });
    expect(t.decide(read(61_000)).record).toBe(false);
  });

  it('always records changes, refusals and errors, and keeps accounts and paths apart', () => {
    const t = new ReadRecordThrottle(60_000);
    t.decide(read(0));
    expect(t.decide(read(1, { method: 'POST' })).record).toBe(true);
    expect(t.decide(read(2, { status: 404 })).record).toBe(true);
    expect(t.decide(read(3, { status: 403 })).record).toBe(true);
    expect(t.decide(read(4, { actor: 'operator:olga' })).record).toBe(true);
    expect(t.decide(read(5, { path: '/api/v1/tasks/t2/rounds' })).record).toBe(true);
    expect(t.decide(read(6)).record).toBe(false);
  });

  it('keeps its memory bounded: a forgotten key is simply recorded again', () => {
    const t = new ReadRecordThrottle(60_000, 2);
    t.decide(read(0, { path: '/a' }));
    t.decide(read(0, { path: '/b' }));
    t.decide(read(0, { path: '/c' }));
    expect(t.decide(read(1, { path: '/a' })).record).toBe(true);
    expect(t.decide(read(1, { path: '/c' })).record).toBe(false);
  });
});
