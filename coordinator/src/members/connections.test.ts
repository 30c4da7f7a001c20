// Tests of the registry of member streams: one stream per member, a replaced stream goes offline.
import { describe, expect, it } from 'vitest';
import { MemberConnections } from './connections.ts';

const sink = () => {
  const s = { written: [] as string[], ended: false, write: (e: string) => { s.written.push(e); return true; }, end: () => { s.ended = true; } };
  return s;
};

describe('MemberConnections', () => {
  it('replaces a member\'s stream, reporting the old one offline before the new one online', () => {
    const c = new MemberConnections<string>();
    const events: string[] = [];
    c.on('online', (m) => events.push(`online ${m}`));
    c.on('offline', (m) => events.push(`offline ${m}`));
    const first = sink();
    const second = sink();
    c.attach('m1', 'f1', 'wasm', first);
    c.attach('m1', 'f1', 'cpu', second);
    expect(first.ended).toBe(true);
    expect(events).toEqual(['online m1', 'offline m1', 'online m1']);
    expect(c.send('m1', 'hello')).toBe(true);
    expect([first.written, second.written]).toEqual([[], ['hello']]);
    // The old stream's late close changes nothing; the current one's does.
    c.detach('m1', first);
    expect(c.isOnline('m1')).toBe(true);
    c.detach('m1', second);
    expect([c.isOnline('m1'), events.at(-1)]).toEqual([false, 'offline m1']);
  });

  it('knows when a member was last seen: now while connected, when its stream ended after it left', () => {
    const c = new MemberConnections<string>();
    const s = sink();
    expect(c.lastSeen('m1')).toBeUndefined();
    c.attach('m1', 'f1', 'cpu', s);
    const now = new Date('2030-01-01T00:00:00Z');
    expect(c.lastSeen('m1', now)).toBe(now);
    const before = Date.now();
    c.detach('m1', s);
    const left = c.lastSeen('m1', now);
    expect(left!.getTime()).toBeGreaterThanOrEqual(before);
    expect(left!.getTime()).toBeLessThanOrEqual(Date.now());
  });
});
