// Trust-on-first-use pins of peers' identity keys: the coordinator relays each peer's enrolled
// Ed25519 key with the key set; once seen, a key may never change, so a coordinator cannot
// later swap in keys of its own to impersonate a member. Optionally persisted beside the identity.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ConsortError } from '@consort/core';

export class PeerPins {
  private readonly pins = new Map<string, string>();

  constructor(private readonly path?: string) {
    if (path && existsSync(path)) {
      for (const [id, key] of Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>)) this.pins.set(id, key);
    }
  }

  /**
   * Throws SECAGG_VERIFICATION_FAILED if a known member arrives with another identity key.
   * Returns the members pinned now for the first time and how many were pinned before.
   */
  check(peers: Iterable<[string, Uint8Array]>): { fresh: string[]; knownBefore: number } {
    const knownBefore = this.pins.size;
    const fresh: [string, string][] = [];
    for (const [id, key] of peers) {
      const hex = Buffer.from(key).toString('hex');
      const pinned = this.pins.get(id);
      if (pinned && pinned !== hex) {
        throw new ConsortError('SECAGG_VERIFICATION_FAILED',
          `the coordinator presented a different identity key for member ${id} than in earlier rounds; refusing the round (ask the operator whether that member re-enrolled)`,
          { memberId: id });
      }
      if (!pinned) fresh.push([id, hex]);
    }
    for (const [id, hex] of fresh) this.pins.set(id, hex);
    if (fresh.length && this.path) writeFileSync(this.path, JSON.stringify(Object.fromEntries(this.pins), null, 2), { mode: 0o600 });
    return { fresh: fresh.map(([id]) => id), knownBefore };
  }
}
