// Peer identity pins: a key seen once may never change, also across agent restarts (pin file).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerPins } from './peer-pins.ts';

describe('peer pins', () => {
  it('refuse a known member presented with another key, after a restart too', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'consort-peers-')), 'peer-pins.json');
    new PeerPins(path).check([['m1', new Uint8Array(32).fill(1)], ['m2', new Uint8Array(32).fill(2)]]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const restarted = new PeerPins(path);
    expect(() => restarted.check([['m1', new Uint8Array(32).fill(1)], ['m3', new Uint8Array(32).fill(3)]])).not.toThrow();
    expect(() => new PeerPins(path).check([['m2', new Uint8Array(32).fill(9)]])).toThrow(/different identity key for member m2/);
  });
});
