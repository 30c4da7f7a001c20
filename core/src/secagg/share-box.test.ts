// Tests of member-to-member share encryption and its (round, from, to) binding.
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { boxKey, openShares, sealShares } from './share-box.ts';

const bundle = { selfSeedShare: new Uint8Array(33).fill(1), maskKeyShare: new Uint8Array(33).fill(2) };

describe('share box', () => {
  const alice = nacl.box.keyPair();
  const bob = nacl.box.keyPair();
  const carol = nacl.box.keyPair();

  it('boxKey equals nacl.box.before', () => {
    expect(boxKey(bob.publicKey, alice.secretKey)).toEqual(nacl.box.before(bob.publicKey, alice.secretKey));
    expect(boxKey(new Uint8Array(32), alice.secretKey)).toBeNull();
  });

  it('round-trips and interoperates with plain nacl.box.open', () => {
    const msg = sealShares('r1', 'alice', 'bob', bundle, alice.secretKey, bob.publicKey);
    expect(openShares('r1', 'alice', 'bob', msg, alice.publicKey, bob.secretKey)).toEqual(bundle);
    expect(nacl.box.open(msg.ciphertext, msg.nonce, alice.publicKey, bob.secretKey)).not.toBeNull();
  });

  it('rejects a re-addressed, replayed (other round) or tampered ciphertext', () => {
    const msg = sealShares('r1', 'alice', 'bob', bundle, alice.secretKey, bob.publicKey);
    const attempts: Array<() => unknown> = [
      () => openShares('r2', 'alice', 'bob', msg, alice.publicKey, bob.secretKey),
      () => openShares('r1', 'alice', 'carol', { ...msg, toMemberId: 'carol' }, alice.publicKey, carol.secretKey),
      () => openShares('r1', 'dave', 'bob', { ...msg, fromMemberId: 'dave' }, alice.publicKey, bob.secretKey),
      () => openShares('r1', 'alice', 'bob', { ...msg, ciphertext: msg.ciphertext.map((b, i) => (i === 40 ? b ^ 1 : b)) }, alice.publicKey, bob.secretKey),
    ];
    for (const attempt of attempts) {
      expect(() => attempt()).toThrow();
      try {
        attempt();
      } catch (e) {
        expect(isConsortError(e, 'SECAGG_VERIFICATION_FAILED')).toBe(true);
      }
    }
  });
});
