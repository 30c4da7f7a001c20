// Members see who takes part: count and pseudonyms per round, a warning when unseen members joined.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { membershipReport, pseudonym } from './membership.ts';
import { PeerPins } from './peer-pins.ts';

const federation = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`m${i}`, nacl.sign.keyPair().publicKey] as [string, Uint8Array]));

describe('membership seen by a member', () => {
  it('logs count and pseudonyms, and warns when members it never saw joined since its last round (persisted with the pins)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'consort-members-')), 'peer-pins.json');
    const first = federation(6);
    const pins = new PeerPins(file);
    const r1 = pins.check(first);
    const report1 = membershipReport('round 1 (train, secure)', first, r1.fresh, r1.knownBefore);
    expect(report1.info).toBe(`round 1 (train, secure): 6 members committed to keys (pseudonyms ${[...first.values()].map(pseudonym).sort().join(', ')})`);
    expect(report1.warning).toBeUndefined(); // the first round seen: nothing to compare with

    // Same members again, after a restart: no warning.
    const again = new PeerPins(file).check(first);
    expect(membershipReport('round 2', first, again.fresh, again.knownBefore).warning).toBeUndefined();

    // The coordinator mints three members.
    const grown = new Map([...first, ...federation(3).entries()].map(([id, k], i) => [i < 6 ? id : `sybil${i}`, k] as [string, Uint8Array]));
    const r3 = new PeerPins(file).check(grown);
    const report3 = membershipReport('round 3', grown, r3.fresh, r3.knownBefore);
    expect(report3.info).toMatch(/^round 3: 9 members committed to keys/);
    const minted = ['sybil6', 'sybil7', 'sybil8'].map((id) => pseudonym(grown.get(id)!)).sort();
    expect(report3.warning).toBe(`round 3: 3 member(s) not seen in earlier rounds joined (${minted.join(', ')}); this member has now seen 9 members, 6 before. `
      + 'If the federation did not recruit new businesses, ask the operator who they are: members the coordinator enrolls itself can surround a member in secure aggregation');
  });

  it('pseudonyms are 12 hex digits and differ between members', () => {
    const [a, b] = [...federation(2).values()];
    expect(pseudonym(a)).toMatch(/^[0-9a-f]{12}$/);
    expect(pseudonym(a)).not.toBe(pseudonym(b));
  });
});
