// Seed grinding (issue 13, finding 5): round keys are committed before they are revealed, so a
// coordinator running fake members cannot re-draw the neighbour-graph seed after seeing honest keys.
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { CoordinatorSession } from './coordinator-session.ts';
import { graphSeedFor } from './graph.ts';
import { advertiseMessage, commitMessage, generateRoundKeys, sign } from './keys.ts';
import { MemberSession } from './member-session.ts';
import type { AdvertisedKey, AdvertisedKeySet, KeyCommitmentSet } from './messages.ts';
import { resolveSecAggParams } from './params.ts';

const N = 30;
const ids = Array.from({ length: N }, (_, i) => `member-${String(i).padStart(3, '0')}`);
/** The coordinator controls these enrolled identities (sybils); member-000 is the victim. */
const sybils = ids.slice(20);

function setup() {
  const identityKeys = new Map(ids.map((id) => [id, nacl.sign.keyPair()]));
  const identities = new Map(ids.map((id) => [id, identityKeys.get(id)!.publicKey]));
  const params = resolveSecAggParams({ roundId: 'round-7', vectorLength: 8, modulusBits: 32, neighbours: 8 }, N);
  const coordinator = new CoordinatorSession({ params, identities });
  const members = new Map(ids.map((id) => [id, new MemberSession({ memberId: id, identity: identityKeys.get(id)!, params })]));
  return { params, identityKeys, identities, coordinator, members };
}

type Setup = ReturnType<typeof setup>;

/** Runs commitments and reveals honestly up to the key set the coordinator session would broadcast. */
function commitAndReveal(s: Setup): { commitments: KeyCommitmentSet; keySet: AdvertisedKeySet } {
  for (const id of ids) s.coordinator.receiveCommitment(s.members.get(id)!.commitKeys());
  const commitments = s.coordinator.closeCommitments();
  for (const id of ids) s.members.get(id)!.receiveCommitments(commitments, s.identities);
  for (const id of ids) s.coordinator.receiveAdvertisement(s.members.get(id)!.advertiseKeys());
  return { commitments, keySet: s.coordinator.closeAdvertiseKeys() };
}

/** Fresh keys for a sybil, signed with its (coordinator-held) identity: one grinding attempt. */
function regrind(s: Setup, keySet: AdvertisedKeySet, sybil: string): AdvertisedKeySet {
  const fresh = generateRoundKeys();
  const keys: AdvertisedKey[] = keySet.keys.map((k) => (k.memberId !== sybil ? k : {
    ...k,
    encryptionPublicKey: fresh.encryption.publicKey,
    maskPublicKey: fresh.mask.publicKey,
    signature: sign(advertiseMessage(s.params.roundId, sybil, fresh.encryption.publicKey, fresh.mask.publicKey), s.identityKeys.get(sybil)!.secretKey),
  }));
  return { roundId: keySet.roundId, keys, graphSeed: graphSeedFor(s.params.roundId, keys) };
}

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(isConsortError(err, 'SECAGG_VERIFICATION_FAILED')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('the member accepted the key set');
}

describe('commit-then-reveal: the coordinator cannot re-draw the graph seed', () => {
  it('a sybil re-keyed after the commitments (a grinding attempt, seed recomputed) is refused by the victim', () => {
    const s = setup();
    const { keySet } = commitAndReveal(s);
    const ground = regrind(s, keySet, sybils[0]);
    expect(ground.graphSeed).not.toEqual(keySet.graphSeed);
    const victim = s.members.get('member-000')!;
    expect(refusal(() => victim.receiveKeySet(ground, s.identities))).toMatch(`member ${sybils[0]} revealed keys other than those it committed to`);
    expect(victim.stage).toBe('aborted');
  });

  it('the coordinator session itself refuses a reveal that does not match its commitment', () => {
    const s = setup();
    for (const id of ids) s.coordinator.receiveCommitment(s.members.get(id)!.commitKeys());
    s.coordinator.closeCommitments();
    const fresh = generateRoundKeys();
    const sybil = sybils[1];
    expect(() => s.coordinator.receiveAdvertisement({
      memberId: sybil, encryptionPublicKey: fresh.encryption.publicKey, maskPublicKey: fresh.mask.publicKey,
      signature: sign(advertiseMessage(s.params.roundId, sybil, fresh.encryption.publicKey, fresh.mask.publicKey), s.identityKeys.get(sybil)!.secretKey),
    })).toThrow(/revealed keys other than those it committed to/);
  });

  it('leaving out a committed member (pretending it dropped) re-draws the seed and is refused', () => {
    const s = setup();
    const { keySet } = commitAndReveal(s);
    const keys = keySet.keys.filter((k) => k.memberId !== 'member-013');
    const shrunk = { roundId: keySet.roundId, keys, graphSeed: graphSeedFor(s.params.roundId, keys) };
    expect(refusal(() => s.members.get('member-000')!.receiveKeySet(shrunk, s.identities))).toMatch('leaves out member member-013, which committed to keys');
  });

  it('adding a member that did not commit is refused', () => {
    const s = setup();
    for (const id of ids.slice(0, 29)) s.coordinator.receiveCommitment(s.members.get(id)!.commitKeys());
    const commitments = s.coordinator.closeCommitments();
    const late = 'member-029';
    for (const id of ids.slice(0, 29)) s.members.get(id)!.receiveCommitments(commitments, s.identities);
    for (const id of ids.slice(0, 29)) s.coordinator.receiveAdvertisement(s.members.get(id)!.advertiseKeys());
    const honest = s.coordinator.closeAdvertiseKeys();
    const lateKeys = s.members.get(late)!.advertiseKeys();
    const keys = [...honest.keys, lateKeys];
    const grown = { roundId: honest.roundId, keys, graphSeed: graphSeedFor(s.params.roundId, keys) };
    expect(refusal(() => s.members.get('member-000')!.receiveKeySet(grown, s.identities))).toMatch(`adds member ${late}, which did not commit`);
  });

  it('a member does not reveal its keys before the commitment set, nor accept a set that changed its commitment', () => {
    const s = setup();
    const m = s.members.get('member-001')!;
    m.commitKeys();
    expect(() => m.advertiseKeys()).toThrow(/revealed only after the coordinator sent the fixed commitment set/);
    const other = s.members.get('member-002')!.commitKeys();
    const commitment = new Uint8Array(32).fill(7);
    const forged = { memberId: 'member-001', commitment, signature: sign(commitMessage(s.params.roundId, 'member-001', commitment), s.identityKeys.get('member-001')!.secretKey) };
    const set = { roundId: s.params.roundId, commitments: [forged, other, ...ids.slice(3).map((id) => s.members.get(id)!.commitKeys())] };
    expect(refusal(() => m.receiveCommitments(set, s.identities))).toMatch("changed this member's own commitment");
  });

  it('a committed member that does not reveal aborts the round naming it (dropping it would re-draw the seed)', () => {
    const s = setup();
    for (const id of ids) s.coordinator.receiveCommitment(s.members.get(id)!.commitKeys());
    const commitments = s.coordinator.closeCommitments();
    for (const id of ids) s.members.get(id)!.receiveCommitments(commitments, s.identities);
    for (const id of ids.filter((i) => i !== 'member-004')) s.coordinator.receiveAdvertisement(s.members.get(id)!.advertiseKeys());
    expect(() => s.coordinator.closeAdvertiseKeys()).toThrow(/member\(s\) member-004 committed to keys but did not reveal them/);
    expect(s.coordinator.stage).toBe('aborted');
  });

  it('a committed member revealing an unusable key stays in the key set (the seed is unchanged); honest members leave it out and share', async () => {
    const s = setup();
    const evil = sybils[2];
    const zero = { publicKey: new Uint8Array(32), secretKey: new Uint8Array(32) };
    (s.members.get(evil) as unknown as { keys: unknown }).keys = { encryption: zero, mask: zero };
    for (const id of ids) s.coordinator.receiveCommitment(s.members.get(id)!.commitKeys());
    const commitments = s.coordinator.closeCommitments();
    for (const id of ids) s.members.get(id)!.receiveCommitments(commitments, s.identities);
    for (const id of ids.filter((i) => i !== evil)) s.coordinator.receiveAdvertisement(s.members.get(id)!.advertiseKeys());
    expect(() => s.coordinator.receiveAdvertisement(s.members.get(evil)!.advertiseKeys())).toThrow(/unusable X25519 key/);
    const keySet = s.coordinator.closeAdvertiseKeys();
    expect(keySet.keys.map((k) => k.memberId)).toEqual(ids);
    const honest = ids.filter((i) => i !== evil);
    for (const id of honest) s.members.get(id)!.receiveKeySet(keySet, s.identities);
    for (const id of honest) {
      const m = s.members.get(id)!;
      for (const c of m.takeComplaints()) s.coordinator.receiveComplaint(c);
      expect(s.coordinator.receiveShares(id, await m.shareKeys())).toBe(true);
    }
    expect([...s.coordinator.closeShareKeys().keys()].sort()).toEqual(honest);
  });
});
