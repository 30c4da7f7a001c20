// One member cannot abort the round: unusable keys, bad share bundles and complaints (true and false) between members.
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { CoordinatorSession } from './coordinator-session.ts';
import { graphSeedFor } from './graph.ts';
import { advertiseMessage, complaintMessage, generateX25519KeyPair, sharedSecret, sign, x25519KeyProblem } from './keys.ts';
import { MemberSession } from './member-session.ts';
import type { AdvertisedKeySet, Complaint } from './messages.ts';
import { addInto, zeroVector, type ModVector } from './mod-vector.ts';
import { resolveSecAggParams } from './params.ts';

const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const P = 2n ** 255n - 19n;
const le = (x: bigint) => { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) b[i] = Number((x >> BigInt(8 * i)) & 0xffn); return b; };
/** Small-order u-coordinates (RFC 7748 curve and twist), canonical and with the ignored top bit set. */
const SMALL_ORDER = [0n, 1n, P - 1n, P, P + 1n].map(le)
  .concat([hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'), hex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157')]);

function setup(n: number) {
  const ids = Array.from({ length: n }, (_, i) => `member-${i}`);
  const identityKeys = new Map(ids.map((id) => [id, nacl.sign.keyPair()]));
  const identities = new Map(ids.map((id) => [id, identityKeys.get(id)!.publicKey]));
  const params = resolveSecAggParams({ roundId: 'round-1', vectorLength: 8, modulusBits: 32, minMembers: 3 }, n);
  const coordinator = new CoordinatorSession({ params, identities });
  const members = new Map(ids.map((id) => [id, new MemberSession({ memberId: id, identity: identityKeys.get(id)!, params })]));
  return { ids, identityKeys, identities, params, coordinator, members };
}

function input(seed: number): ModVector {
  const v = zeroVector(32, 8);
  for (let i = 0; i < 8; i++) v.words[i] = (seed * 1000 + i) >>> 0;
  return v;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return isConsortError(err) ? `${err.code}: ${err.message}` : String(err);
  }
  return 'no error';
}

describe('unusable X25519 keys', () => {
  it('every small-order point (and its top-bit variant) gives an all-zero shared secret and is refused; fresh keys pass', () => {
    const mine = generateX25519KeyPair();
    for (const point of SMALL_ORDER) {
      expect(sharedSecret(mine.secretKey, point), Buffer.from(point).toString('hex')).toBeNull();
      expect(x25519KeyProblem(point)).toMatch(/small-order|canonical/);
      const high = point.slice();
      high[31] |= 0x80;
      expect(x25519KeyProblem(high)).toMatch(/canonical/);
    }
    expect(x25519KeyProblem(le(P + 5n))).toMatch(/u >= 2\^255 - 19/);
    expect(x25519KeyProblem(new Uint8Array(31))).toMatch(/31 bytes/);
    for (let i = 0; i < 50; i++) expect(x25519KeyProblem(generateX25519KeyPair().publicKey)).toBeUndefined();
  });

  it('the coordinator refuses a signed all-zero key at advertise_keys, naming the member; the others go on', () => {
    const { ids, identityKeys, coordinator, members, params } = setup(5);
    const zero = new Uint8Array(32);
    const forged: { memberId: string; encryptionPublicKey: Uint8Array; maskPublicKey: Uint8Array; signature: Uint8Array } = {
      memberId: 'member-2', encryptionPublicKey: zero, maskPublicKey: generateX25519KeyPair().publicKey, signature: new Uint8Array(),
    };
    forged.signature = sign(advertiseMessage(params.roundId, 'member-2', forged.encryptionPublicKey, forged.maskPublicKey), identityKeys.get('member-2')!.secretKey);
    expect(codeOf(() => coordinator.receiveAdvertisement(forged))).toMatch(/^SECAGG_VERIFICATION_FAILED: Member member-2, stage advertise_keys .*unusable X25519 key \(its encryption key is a small-order/);
    for (const id of ids.filter((i) => i !== 'member-2')) coordinator.receiveAdvertisement(members.get(id)!.advertiseKeys());
    expect(coordinator.closeAdvertiseKeys().keys.map((k) => k.memberId)).toEqual(['member-0', 'member-1', 'member-3', 'member-4']);
  });

  it('a member given a neighbour with a low-order key (by a coordinator that let it through) leaves that peer out and complains instead of throwing', async () => {
    const { ids, identityKeys, identities, coordinator, members, params } = setup(5);
    for (const id of ids) coordinator.receiveAdvertisement(members.get(id)!.advertiseKeys());
    const honest = coordinator.closeAdvertiseKeys();
    // The key set a malicious coordinator builds: member-3's keys replaced by low-order ones member-3 signed.
    const bad = { encryptionPublicKey: new Uint8Array(32), maskPublicKey: le(1n) };
    const keys = honest.keys.map((k) => (k.memberId !== 'member-3' ? k : {
      ...k, ...bad, signature: sign(advertiseMessage(params.roundId, 'member-3', bad.encryptionPublicKey, bad.maskPublicKey), identityKeys.get('member-3')!.secretKey),
    }));
    const keySet: AdvertisedKeySet = { roundId: params.roundId, keys, graphSeed: graphSeedFor(params.roundId, keys) };
    const m0 = members.get('member-0')!;
    m0.receiveKeySet(keySet, identities);
    expect(m0.neighbours).toEqual(['member-1', 'member-2', 'member-4']);
    const shares = await m0.shareKeys();
    expect(shares.map((s) => s.toMemberId)).toEqual(['member-1', 'member-2', 'member-4']);
    const [complaint] = m0.takeComplaints();
    expect(complaint).toMatchObject({ memberId: 'member-0', accusedMemberId: 'member-3', kind: 'invalid_key' });
    expect(complaint.detail).toMatch(/encryption key is a small-order/);

    // The honest coordinator, whose set has only valid keys, refuses the same complaint as false and names the complainer.
    expect(codeOf(() => coordinator.receiveComplaint(complaint))).toMatch(/^SECAGG_PROTOCOL_VIOLATION: Member member-0, stage share_keys .*falsely complained that member-3 advertised an unusable key/);
  });
});

describe('bad share bundles and complaints', () => {
  /** Runs to masked_input with `liar`'s ciphertexts to `victims` corrupted in transit (or by the liar). */
  async function toMaskedInput(n: number, liar: string, victims: (id: string) => boolean) {
    const r = setup(n);
    const { ids, identities, coordinator, members } = r;
    for (const id of ids) coordinator.receiveAdvertisement(members.get(id)!.advertiseKeys());
    const ks = coordinator.closeAdvertiseKeys();
    for (const id of ids) members.get(id)!.receiveKeySet(ks, identities);
    for (const id of ids) {
      let shares = await members.get(id)!.shareKeys();
      if (id === liar) shares = shares.map((s) => (victims(s.toMemberId) ? { ...s, ciphertext: s.ciphertext.map((b, i) => (i === 5 ? b ^ 0xff : b)) } : s));
      coordinator.receiveShares(id, shares);
    }
    const routed = coordinator.closeShareKeys();
    const complaints: Complaint[] = [];
    for (const id of ids) {
      members.get(id)!.receiveShares(routed.get(id)!);
      complaints.push(...members.get(id)!.takeComplaints());
    }
    return { ...r, complaints };
  }

  async function finishRound(r: Awaited<ReturnType<typeof toMaskedInput>>, skip: string[]) {
    const { ids, coordinator, members } = r;
    const live = ids.filter((id) => !skip.includes(id));
    const expected = zeroVector(32, 8);
    for (const [i, id] of live.entries()) {
      addInto(expected, input(i + 1));
      coordinator.receiveMaskedInput(id, members.get(id)!.maskInput(input(i + 1)).vector);
    }
    const req = coordinator.closeMaskedInput();
    for (const id of live) coordinator.receiveConsistencySignature(members.get(id)!.signSurvivors(req));
    const unmask = coordinator.closeConsistencyCheck();
    for (const id of live) coordinator.receiveUnmaskShares(members.get(id)!.revealShares(unmask));
    return { result: await coordinator.finish(), expected };
  }

  it('a member whose bundles never open is accused by its neighbours, evicted before its input, and the round completes exactly without it', async () => {
    const r = await toMaskedInput(6, 'member-5', () => true);
    expect(r.complaints.map((c) => `${c.memberId}->${c.accusedMemberId}:${c.kind}`)).toEqual(
      ['member-0', 'member-1', 'member-2', 'member-3', 'member-4'].map((m) => `${m}->member-5:bad_share_bundle`));
    const outcomes = r.complaints.map((c) => r.coordinator.receiveComplaint(c));
    // k = 5, t = 3: after the third complaint only 2 neighbours still hold member-5's shares.
    expect(outcomes.map((o) => o.evicted)).toEqual([false, false, true, false, false]);
    expect(outcomes[2].summary).toMatch(/member-5 is accused by member-0, member-1, member-2 \(bad_share_bundle\)/);
    expect(codeOf(() => r.coordinator.receiveMaskedInput('member-5', r.members.get('member-5')!.maskInput(input(9)).vector)))
      .toMatch(/^SECAGG_VERIFICATION_FAILED: Member member-5, stage masked_input .*was removed from the round/);
    // The complainers masked with member-5 and reveal s_uv instead of shares they do not hold.
    const { result, expected } = await finishRound(r, ['member-5']);
    expect(result.survivors).toEqual(['member-0', 'member-1', 'member-2', 'member-3', 'member-4']);
    expect(result.dropped).toEqual(['member-5']);
    expect(result.sum.words).toEqual(expected.words);
  });

  it('a member with bad bundles whose input got in first cannot be removed from the sum: the round aborts naming it and its accusers', async () => {
    const r = await toMaskedInput(6, 'member-5', () => true);
    r.coordinator.receiveMaskedInput('member-5', r.members.get('member-5')!.maskInput(input(9)).vector);
    expect(r.complaints.map((c) => r.coordinator.receiveComplaint(c).evicted)).toEqual([false, false, false, false, false]);
    for (const id of r.ids.slice(0, 5)) r.coordinator.receiveMaskedInput(id, r.members.get(id)!.maskInput(input(1)).vector);
    expect(codeOf(() => r.coordinator.closeMaskedInput())).toMatch(
      /^SECAGG_VERIFICATION_FAILED: Round round-1 aborted in masked_input: only 0 neighbours of member member-5 .*accused by member-0, member-1, member-2, member-3, member-4 .*Member member-5 is named responsible/);
    expect(r.coordinator.stage).toBe('aborted');
  });

  it('one false complaint does not evict an honest member: both are on record and the sum is exact', async () => {
    const r = await toMaskedInput(6, 'nobody', () => false);
    const liar = r.members.get('member-1')!;
    // member-1 lies: it signs a complaint about an honest neighbour whose bundle opened fine.
    const detail = 'made up';
    const signature = sign(complaintMessage(r.params.roundId, 'member-1', 'member-4', 'bad_share_bundle', detail), r.identityKeys.get('member-1')!.secretKey);
    const outcome = r.coordinator.receiveComplaint({ memberId: 'member-1', accusedMemberId: 'member-4', kind: 'bad_share_bundle', detail, signature });
    expect(outcome).toEqual({ evicted: false, summary: 'member member-1 complains that member-4 sent it a share bundle that does not decrypt or verify' });
    expect(liar.takeComplaints()).toEqual([]);
    const { result, expected } = await finishRound(r, []);
    expect(result.survivors).toHaveLength(6);
    expect(result.sum.words).toEqual(expected.words);
  });

  it('refuses a forged, a duplicate and an out-of-place complaint, naming the sender', async () => {
    const r = await toMaskedInput(6, 'member-5', (to) => to === 'member-0');
    const [c] = r.complaints;
    expect(codeOf(() => r.coordinator.receiveComplaint({ ...c, detail: 'edited' }))).toMatch(/^SECAGG_VERIFICATION_FAILED: Member member-0.*signature does not verify/);
    r.coordinator.receiveComplaint(c);
    expect(codeOf(() => r.coordinator.receiveComplaint(c))).toMatch(/^DUPLICATE_SUBMISSION: Member member-0/);
    expect(codeOf(() => r.coordinator.receiveComplaint({ ...c, memberId: 'member-1' }))).toMatch(/^SECAGG_VERIFICATION_FAILED: Member member-1/);
    // One complaint is not enough to evict: member-5 stays, member-0 holds none of its shares and the others unmask it.
    const { result, expected } = await finishRound(r, []);
    expect(result.survivors).toHaveLength(6);
    expect(result.sum.words).toEqual(expected.words);
  });
});
