// The per-peer window counter: limits, window reset and peer-string parsing.
import { describe, expect, it } from 'vitest';
import { PeerLimiter, peerHost } from './peer-limiter.ts';

describe('PeerLimiter', () => {
  it('refuses a peer after its limit until the window ends, others unaffected', () => {
    let t = 0;
    const l = new PeerLimiter(3, 60_000, () => t);
    expect([l.take('a'), l.take('a'), l.take('a'), l.take('a')]).toEqual([true, true, true, false]);
    expect(l.take('b')).toBe(true);
    expect(l.blocked('a')).toBe(true);
    expect(l.secondsLeft('a')).toBe(60);
    l.refund('a');
    expect(l.take('a')).toBe(true);
    t = 60_000;
    expect(l.blocked('a')).toBe(false);
  });

  it('reads the address of grpc-js peer strings without the port', () => {
    expect(peerHost('127.0.0.1:40312')).toBe('127.0.0.1');
    expect(peerHost('ipv4:10.0.0.2:5')).toBe('10.0.0.2');
    expect(peerHost('[::1]:40312')).toBe('::1');
    expect(peerHost(undefined)).toBe('unknown');
  });
});
