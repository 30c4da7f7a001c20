// End-to-end tests of the member and coordinator sessions: exact sums, dropouts, attacks, uniformity.
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { isConsortError, type ErrorCode } from '../errors/consort-error.ts';
import { CoordinatorSession, type SecAggResult } from './coordinator-session.ts';
import { consistencyMessage } from './keys.ts';
import { MemberSession } from './member-session.ts';
import type { AdvertisedKeySet, ConsistencyRequest, RoutedShares, UnmaskRequest } from './messages.ts';
import { addInto, zeroVector, type ModulusBits, type ModVector } from './mod-vector.ts';
import { resolveSecAggParams, type SecAggOptions, type SecAggParams } from './params.ts';
import { dequantize, modulusBitsFor, quantize } from './quantize.ts';
import { sign } from './keys.ts';

type Stage = 'advertise_keys' | 'share_keys' | 'masked_input' | 'consistency_check' | 'unmask';
const ORDER: Stage[] = ['advertise_keys', 'share_keys', 'masked_input', 'consistency_check', 'unmask'];

interface Round {
  params: SecAggParams;
  ids: string[];
  coordinator: CoordinatorSession;
  members: Map<string, MemberSession>;
  identityKeys: Map<string, nacl.SignKeyPair>;
  identities: Map<string, Uint8Array>;
}

function setup(n: number, options: Partial<SecAggOptions> = {}): Round {
  const ids = Array.from({ length: n }, (_, i) => `member-${String(i).padStart(3, '0')}`);
  const identityKeys = new Map(ids.map((id) => [id, nacl.sign.keyPair()]));
  const identities = new Map(ids.map((id) => [id, identityKeys.get(id)!.publicKey]));
  const params = resolveSecAggParams({ roundId: 'round-1', vectorLength: 64, modulusBits: 32, ...options }, n);
  const coordinator = new CoordinatorSession({ params, identities });
  const members = new Map(ids.map((id) => [id, new MemberSession({ memberId: id, identity: identityKeys.get(id)!, params })]));
  return { params, ids, coordinator, members, identityKeys, identities };
}

function randomInput(bits: ModulusBits, d: number, magnitude = 2 ** 20): ModVector {
  const v = zeroVector(bits, d);
  for (let i = 0; i < d; i++) {
    const x = Math.floor(Math.random() * 2 * magnitude) - magnitude;
    if (bits === 32) v.words[i] = x >>> 0;
    else {
      v.words[2 * i] = x >>> 0;
      v.words[2 * i + 1] = x < 0 ? 0xffffffff : 0;
    }
  }
  return v;
}

interface RunOptions {
  inputs?: Map<string, ModVector>;
  /** Members that stop responding from the given stage on. */
  drop?: Partial<Record<Stage, string[]>>;
  /** Tamper hooks (a malicious coordinator). */
  tamperKeySet?: (ks: AdvertisedKeySet) => AdvertisedKeySet;
  tamperRouted?: (routed: Map<string, RoutedShares>) => void;
  tamperConsistency?: (req: ConsistencyRequest) => ConsistencyRequest;
  /** Members that expand their masks ahead of their input (prepareMask, as while training runs). */
  prepare?: string[];
  tamperUnmask?: (req: UnmaskRequest, member: string) => UnmaskRequest;
  /** Members commit to their keys before revealing them (commit-then-reveal). */
  commitReveal?: boolean;
}

async function run(r: Round, opts: RunOptions = {}): Promise<{ result: SecAggResult; expected: ModVector; keySet: AdvertisedKeySet }> {
  const { params, coordinator, members, identities } = r;
  const inputs = opts.inputs ?? new Map(r.ids.map((id) => [id, randomInput(params.modulusBits, params.vectorLength)]));
  const droppedAt = (id: string, stage: Stage) =>
    ORDER.slice(0, ORDER.indexOf(stage) + 1).some((s) => (opts.drop?.[s] ?? []).includes(id));
  let live = r.ids.filter((id) => !droppedAt(id, 'advertise_keys'));
  if (opts.commitReveal) {
    for (const id of live) coordinator.receiveCommitment(members.get(id)!.commitKeys());
    const commitments = coordinator.closeCommitments();
    for (const id of live) members.get(id)!.receiveCommitments(commitments, identities);
  }
  for (const id of live) coordinator.receiveAdvertisement(members.get(id)!.advertiseKeys());
  let keySet = coordinator.closeAdvertiseKeys();
  if (opts.tamperKeySet) keySet = opts.tamperKeySet(keySet);
  for (const id of live) members.get(id)!.receiveKeySet(keySet, identities);

  live = live.filter((id) => !droppedAt(id, 'share_keys'));
  for (const id of live) coordinator.receiveShares(id, await members.get(id)!.shareKeys());
  const routed = coordinator.closeShareKeys();
  opts.tamperRouted?.(routed);
  for (const id of live) members.get(id)!.receiveShares(routed.get(id)!);

  live = live.filter((id) => !droppedAt(id, 'masked_input'));
  const expected = zeroVector(params.modulusBits, params.vectorLength);
  // Twice: a second call within the stage must change nothing.
  for (const id of opts.prepare ?? []) if (live.includes(id)) for (let i = 0; i < 2; i++) members.get(id)!.prepareMask();
  for (const id of live) {
    const masked = members.get(id)!.maskInput(inputs.get(id)!);
    addInto(expected, inputs.get(id)!);
    coordinator.receiveMaskedInput(id, masked.vector);
  }
  const consistency = coordinator.closeMaskedInput();

  live = live.filter((id) => !droppedAt(id, 'consistency_check'));
  for (const id of live) coordinator.receiveConsistencySignature(members.get(id)!.signSurvivors(opts.tamperConsistency ? opts.tamperConsistency(consistency) : consistency));
  const request = coordinator.closeConsistencyCheck();

  live = live.filter((id) => !droppedAt(id, 'unmask'));
  for (const id of live) {
    const req = opts.tamperUnmask ? opts.tamperUnmask(request, id) : request;
    coordinator.receiveUnmaskShares(members.get(id)!.revealShares(req));
  }
  const result = await coordinator.finish();
  return { result, expected, keySet };
}

async function expectRejects(p: Promise<unknown> | (() => unknown), code: ErrorCode, pattern?: RegExp): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(isConsortError(err, code), String(err)).toBe(true);
    if (pattern) expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error(`expected a ConsortError ${code}`);
}

describe('secure aggregation: exact sums', () => {
  for (const [n, options] of [
    [5, {}],
    [12, {}],
    [40, { neighbours: 10 }],
  ] as const) {
    it(`unmasked sum equals the plain integer sum exactly (n=${n}${'neighbours' in options ? ', sparse graph' : ''})`, async () => {
      const r = setup(n, { ...options, vectorLength: 1000 });
      const { result, expected } = await run(r);
      expect(result.survivors).toHaveLength(n);
      expect(result.sum.words).toEqual(expected.words);
      if (n === 40) {
        expect(r.coordinator.neighbourGraph!.complete).toBe(false);
        for (const [id, m] of r.members) expect(m.neighbours).toEqual(r.coordinator.neighbourGraph!.neighbours.get(id));
      }
    });
  }

  it('dequantized sum is within n / 2^s of the float sum', async () => {
    const n = 8;
    const d = 500;
    const scaleBits = 16;
    const bits = modulusBitsFor({ members: n, clip: 2, scaleBits });
    const r = setup(n, { vectorLength: d, modulusBits: bits });
    const floats = new Map(r.ids.map((id) => [id, Float64Array.from({ length: d }, () => Math.random() * 4 - 2)]));
    const inputs = new Map(r.ids.map((id) => [id, quantize(floats.get(id)!, { clip: 2, scaleBits, modulusBits: bits }).vector]));
    const { result } = await run(r, { inputs });
    const got = dequantize(result.sum, { scaleBits });
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (const id of r.ids) s += floats.get(id)![i];
      expect(Math.abs(got[i] - s)).toBeLessThanOrEqual(n * 2 ** -scaleBits);
    }
  });

  it('uses the 64-bit path when the headroom demands it, exactly', async () => {
    const n = 6;
    const bits = modulusBitsFor({ members: n, clip: 1000, scaleBits: 24 });
    expect(bits).toBe(64);
    const r = setup(n, { vectorLength: 300, modulusBits: bits });
    const floats = new Map(r.ids.map((id) => [id, Float64Array.from({ length: 300 }, () => Math.random() * 2000 - 1000)]));
    const inputs = new Map(r.ids.map((id) => [id, quantize(floats.get(id)!, { clip: 1000, scaleBits: 24, modulusBits: 64 }).vector]));
    const { result, expected } = await run(r, { inputs });
    expect(result.sum.words).toEqual(expected.words);
    const got = dequantize(result.sum, { scaleBits: 24 });
    let s = 0;
    for (const id of r.ids) s += floats.get(id)![7];
    expect(Math.abs(got[7] - s)).toBeLessThanOrEqual(n * 2 ** -24);
    // The same sum in 32 bits would have wrapped: some element exceeds 2^31 quantization units.
    const maxAbs = Math.max(...Array.from(got, (x) => Math.abs(x * 2 ** 24)));
    expect(maxAbs).toBeGreaterThan(2 ** 31);
  });
});

describe('secure aggregation: commit-then-reveal of round keys', () => {
  it('gives the same exact sum on a sparse graph, with a member dropping after sharing its keys', async () => {
    const r = setup(40, { neighbours: 10, vectorLength: 200 });
    const { result, expected } = await run(r, { commitReveal: true, drop: { masked_input: ['member-007'] } });
    expect(result.sum.words).toEqual(expected.words);
    expect(result.dropped).toEqual(['member-007']);
    for (const [id, m] of r.members) if (id !== 'member-007') expect(m.neighbours).toEqual(r.coordinator.neighbourGraph!.neighbours.get(id));
  });
});

describe('secure aggregation: dropouts', () => {
  for (const stage of ORDER) {
    it(`one member drops at ${stage}: the sum of the others (or all, if its input is in) is exact`, async () => {
      const r = setup(12, { vectorLength: 200 });
      const { result, expected } = await run(r, { drop: { [stage]: ['member-003'] } });
      expect(result.sum.words).toEqual(expected.words);
      const inSum = stage === 'consistency_check' || stage === 'unmask';
      expect(result.survivors.includes('member-003')).toBe(inSum);
    });
  }

  it('t - 1 = k - t neighbours of one member drop after sharing keys (sparse graph, k = 11, t = 6): still exact', async () => {
    const r = setup(40, { vectorLength: 200, neighbours: 11, minMembers: 5 });
    const t = r.params.threshold;
    expect(t).toBe(6);
    // The graph exists only once keys are in, so pick the dropouts when shares are routed.
    const target = 'member-000';
    const drop: string[] = [];
    const { result, expected } = await run(r, {
      tamperRouted: () => {
        drop.push(...r.coordinator.neighbourGraph!.neighbours.get(target)!.slice(0, t - 1));
      },
      drop: { masked_input: drop },
    });
    expect(drop).toHaveLength(t - 1);
    expect(result.dropped.sort()).toEqual(drop.slice().sort());
    expect(result.sum.words).toEqual(expected.words);
  });

  it('too many neighbours of one member drop: clean abort naming the member', async () => {
    const r = setup(40, { vectorLength: 50, neighbours: 10, minMembers: 5 });
    const target = 'member-000';
    const drop: string[] = [];
    await expectRejects(
      run(r, {
        tamperRouted: () => {
          const ns = r.coordinator.neighbourGraph!.neighbours.get(target)!;
          drop.push(...ns.slice(0, ns.length - r.params.threshold + 1));
        },
        drop: { masked_input: drop },
      }),
      'TOO_FEW_MEMBERS',
      /member-000/,
    );
    expect(r.coordinator.stage).toBe('aborted');
    expect(r.coordinator.reason).toMatch(/masked_input/);
    // …and says what to change: the task's tolerance (more neighbours) or its deadline.
    expect(r.coordinator.reason).toMatch(/raise dropoutTolerance in the task.*stageTimeoutSeconds/);
  });

  it('too many members drop: abort below the minimum, with the reason', async () => {
    const r = setup(7, { vectorLength: 50 });
    await expectRejects(run(r, { drop: { masked_input: ['member-000', 'member-001', 'member-002'] } }), 'TOO_FEW_MEMBERS', /at least 5/);
    expect(r.coordinator.stage).toBe('aborted');
  });

  it('too few members advertise keys: abort at advertise_keys', async () => {
    const r = setup(6, { vectorLength: 50 });
    await expectRejects(run(r, { drop: { advertise_keys: ['member-000', 'member-001'] } }), 'TOO_FEW_MEMBERS', /advertise_keys/);
  });

  it('late messages after a stage closed are ignored; calls for a later stage are refused', async () => {
    const r = setup(6, { vectorLength: 50 });
    const late = r.members.get('member-005')!;
    for (const id of r.ids.slice(0, 5)) r.coordinator.receiveAdvertisement(r.members.get(id)!.advertiseKeys());
    await expectRejects(() => r.coordinator.closeMaskedInput(), 'WRONG_STAGE');
    await expectRejects(() => r.coordinator.receiveMaskedInput('member-000', zeroVector(32, 50)), 'WRONG_STAGE');
    r.coordinator.closeAdvertiseKeys();
    expect(r.coordinator.receiveAdvertisement(late.advertiseKeys())).toBe(false);
    await expectRejects(() => late.shareKeys(), 'WRONG_STAGE');
  });
});

describe('secure aggregation: stage discipline and memory', () => {
  it('members that expand their masks ahead of their input (while training) give the same exact sum, dropouts included', async () => {
    for (const bits of [32, 64] as const) {
      const r = setup(30, { vectorLength: 37, modulusBits: bits });
      const { result, expected } = await run(r, { prepare: r.ids.filter((_, i) => i % 2 === 0), drop: { masked_input: ['member-003', 'member-004'] } });
      expect(result.sum.words).toEqual(expected.words);
      expect(result.survivors).toHaveLength(28);
    }
  });

  it('prepareMask is refused before masked_input and after the input was masked', async () => {
    const r = setup(5, { vectorLength: 8 });
    const m = r.members.get('member-000')!;
    await expectRejects(() => m.prepareMask(), 'WRONG_STAGE');
    const { result, expected } = await run(r, { prepare: ['member-000'] });
    expect(result.sum.words).toEqual(expected.words);
    await expectRejects(() => m.prepareMask(), 'WRONG_STAGE');
  });

  it('member methods called out of order are refused with WRONG_STAGE', async () => {
    const r = setup(5, { vectorLength: 8 });
    const m = r.members.get('member-000')!;
    await expectRejects(() => m.maskInput(zeroVector(32, 8)), 'WRONG_STAGE', /masked_input/);
    await expectRejects(() => m.receiveShares({ roundId: 'round-1', shares: [] }), 'WRONG_STAGE');
    await expectRejects(() => m.receiveKeySet({ roundId: 'round-1', keys: [], graphSeed: new Uint8Array(32) }, r.identities), 'SECAGG_PROTOCOL_VIOLATION', /before/);
    m.advertiseKeys();
    await expectRejects(() => m.advertiseKeys(), 'SECAGG_PROTOCOL_VIOLATION', /already/);
  });

  it('the coordinator adds each masked input on receipt and keeps no reference to it', async () => {
    const r = setup(5, { vectorLength: 100 });
    const { coordinator, members, identities, ids } = r;
    for (const id of ids) coordinator.receiveAdvertisement(members.get(id)!.advertiseKeys());
    const ks = coordinator.closeAdvertiseKeys();
    for (const id of ids) members.get(id)!.receiveKeySet(ks, identities);
    for (const id of ids) coordinator.receiveShares(id, await members.get(id)!.shareKeys());
    const routed = coordinator.closeShareKeys();
    for (const id of ids) members.get(id)!.receiveShares(routed.get(id)!);
    const expected = zeroVector(32, 100);
    for (const id of ids) {
      const input = randomInput(32, 100);
      addInto(expected, input);
      const masked = members.get(id)!.maskInput(input);
      coordinator.receiveMaskedInput(id, masked.vector);
      masked.vector.words.fill(0xdeadbeef); // the transport buffer is reused: the sum must not change
    }
    await expectRejects(() => coordinator.receiveMaskedInput('member-000', zeroVector(32, 100)), 'DUPLICATE_SUBMISSION');
    const req = coordinator.closeMaskedInput();
    for (const id of ids) coordinator.receiveConsistencySignature(members.get(id)!.signSurvivors(req));
    const unmask = coordinator.closeConsistencyCheck();
    for (const id of ids) coordinator.receiveUnmaskShares(members.get(id)!.revealShares(unmask));
    const result = await coordinator.finish();
    expect(result.sum.words).toEqual(expected.words);
    expect(coordinator.stage).toBe('completed');
  });
});

describe('secure aggregation: a malicious coordinator or peer is refused', () => {
  it('a forged advertisement signature is rejected by the coordinator and by members', async () => {
    const r = setup(6, { vectorLength: 16 });
    const msg = r.members.get('member-001')!.advertiseKeys();
    const forged = { ...msg, signature: sign(new Uint8Array([1, 2, 3]), nacl.sign.keyPair().secretKey) };
    await expectRejects(() => r.coordinator.receiveAdvertisement(forged), 'SECAGG_VERIFICATION_FAILED');

    const r2 = setup(6, { vectorLength: 16 });
    await expectRejects(
      run(r2, {
        tamperKeySet: (ks) => ({
          ...ks,
          keys: ks.keys.map((k) => (k.memberId === 'member-002' ? { ...k, signature: new Uint8Array(64) } : k)),
        }),
      }),
      'SECAGG_VERIFICATION_FAILED',
      /member-002/,
    );
  });

  it('in a sparse graph, exactly the neighbours of a member whose advertisement was forged refuse the key set', () => {
    const r = setup(30, { vectorLength: 16, neighbours: 6 });
    const ads = r.ids.map((id) => r.members.get(id)!.advertiseKeys());
    for (const ad of ads) r.coordinator.receiveAdvertisement(ad);
    const keySet = r.coordinator.closeAdvertiseKeys();
    const victim = 'member-007';
    // A coordinator replaces the victim's signature (the keys, hence the graph, stay the same).
    const tampered = { ...keySet, keys: keySet.keys.map((k) => (k.memberId === victim ? { ...k, signature: new Uint8Array(64) } : k)) };
    const refused: string[] = [];
    for (const id of r.ids) {
      try {
        r.members.get(id)!.receiveKeySet(tampered, r.identities);
      } catch (err) {
        expect(isConsortError(err) && err.code).toBe('SECAGG_VERIFICATION_FAILED');
        expect(String(err)).toContain(victim);
        refused.push(id);
      }
    }
    const neighbours = [...r.coordinator.neighbourGraph!.neighbours.get(victim)!].sort();
    expect(refused.sort()).toEqual(neighbours);
    expect(neighbours.length).toBeGreaterThanOrEqual(6);
  });

  it('swapped keys between members are rejected', async () => {
    const r = setup(6, { vectorLength: 16 });
    await expectRejects(
      run(r, {
        tamperKeySet: (ks) => {
          const a = ks.keys[1];
          const b = ks.keys[2];
          const keys = ks.keys.slice();
          keys[1] = { ...a, maskPublicKey: b.maskPublicKey };
          keys[2] = { ...b, maskPublicKey: a.maskPublicKey };
          return { ...ks, keys };
        },
      }),
      'SECAGG_VERIFICATION_FAILED',
    );
  });

  it("a key set missing the member, with duplicates, with its own key changed, or with a chosen graph seed is refused", async () => {
    const cases: Array<[(ks: AdvertisedKeySet) => AdvertisedKeySet, ErrorCode, RegExp]> = [
      [(ks) => ({ ...ks, keys: ks.keys.filter((k) => k.memberId !== 'member-000') }), 'SECAGG_PROTOCOL_VIOLATION', /leaves this member out/],
      [(ks) => ({ ...ks, keys: [...ks.keys, ks.keys[3]] }), 'SECAGG_PROTOCOL_VIOLATION', /twice/],
      [(ks) => ({ ...ks, graphSeed: new Uint8Array(32) }), 'SECAGG_VERIFICATION_FAILED', /graph seed/],
    ];
    for (const [tamper, code, pattern] of cases) {
      const r = setup(6, { vectorLength: 16 });
      await expectRejects(run(r, { tamperKeySet: tamper }), code, pattern);
      expect(r.members.get('member-000')!.stage).toBe('aborted');
    }
    // Own key changed: the coordinator substitutes member-000's key with another valid advertisement of it.
    const r = setup(6, { vectorLength: 16 });
    const other = new MemberSession({ memberId: 'member-000', identity: r.identityKeys.get('member-000')!, params: r.params });
    const substitute = other.advertiseKeys();
    await expectRejects(
      run(r, { tamperKeySet: (ks) => ({ ...ks, keys: ks.keys.map((k) => (k.memberId === 'member-000' ? { ...k, ...substitute } : k)) }) }),
      'SECAGG_VERIFICATION_FAILED',
    );
  });

  it('a key set smaller than the threshold needs is refused', async () => {
    // t = 4 for k = 7: with 3 members each has only 2 neighbours.
    const r2 = setup(8, { vectorLength: 16, minMembers: 3 });
    expect(r2.params.threshold).toBe(4);
    await expectRejects(run(r2, { drop: { advertise_keys: ['member-003', 'member-004', 'member-005', 'member-006', 'member-007'] } }), 'TOO_FEW_MEMBERS', /threshold/);
  });

  it('a replayed or swapped share ciphertext does not open: the member complains, holds no share of the sender, and the round completes', async () => {
    const swap = setup(6, { vectorLength: 16 });
    const swapped = await run(swap, {
      tamperRouted: (routed) => {
        // Give member-000 the bundle member-001 received from member-002, re-addressed.
        const stolen = routed.get('member-001')!.shares.find((s) => s.fromMemberId === 'member-002')!;
        const box = routed.get('member-000')!;
        box.shares = box.shares.map((s) => (s.fromMemberId === 'member-002' ? { ...stolen, toMemberId: 'member-000' } : s));
      },
    });
    expect(swapped.result.sum.words).toEqual(swapped.expected.words);
    const victim = swap.members.get('member-000')!;
    expect(victim.heldNeighbours).not.toContain('member-002');
    expect(victim.liveNeighbours).toContain('member-002'); // it still masks with the sender
    const [complaint, ...more] = victim.takeComplaints();
    expect(more).toEqual([]);
    expect(complaint).toMatchObject({ memberId: 'member-000', accusedMemberId: 'member-002', kind: 'bad_share_bundle' });
    expect(complaint.detail).toMatch(/member-002.*(does not decrypt|swapped)/);
    expect(victim.takeComplaints()).toEqual([]); // each complaint is handed out once

    // Replay from a previous round: same identities, new round id.
    const first = setup(6, { vectorLength: 16, roundId: 'round-A' });
    let oldShares: RoutedShares | undefined;
    await run(first, { tamperRouted: (routed) => (oldShares = structuredClone(routed.get('member-000'))) });
    const second = setup(6, { vectorLength: 16, roundId: 'round-B' });
    const replayed = await run(second, { tamperRouted: (routed) => routed.set('member-000', { ...oldShares!, roundId: 'round-B' }) });
    expect(replayed.result.sum.words).toEqual(replayed.expected.words);
    expect(second.members.get('member-000')!.takeComplaints().map((c) => c.accusedMemberId)).toEqual(['member-001', 'member-002', 'member-003', 'member-004', 'member-005']);
  });

  it('asking for both secrets of the same peer is refused', async () => {
    const r = setup(6, { vectorLength: 16 });
    await expectRejects(
      run(r, { tamperUnmask: (req) => ({ ...req, dropped: [...req.dropped, req.survivors[1]] }) }),
      'SECAGG_PROTOCOL_VIOLATION',
      /both/,
    );
  });

  it('asking for the mask key of a member it saw survive (dropping it from the survivor list) is refused', async () => {
    const r = setup(6, { vectorLength: 16 });
    await expectRejects(
      run(r, {
        tamperUnmask: (req, member) => {
          const victim = req.survivors.find((s) => s !== member)!;
          return { ...req, survivors: req.survivors.filter((s) => s !== victim), dropped: [...req.dropped, victim] };
        },
      }),
      'SECAGG_PROTOCOL_VIOLATION',
      /signed it as a survivor/,
    );
  });

  it('a forged survivor signature in the unmask request is refused', async () => {
    const r = setup(6, { vectorLength: 16 });
    await expectRejects(
      run(r, {
        tamperUnmask: (req) => ({
          ...req,
          signatures: req.signatures.map((s, i) => (i === 2 ? { ...s, signature: sign(consistencyMessage(req.roundId, ['x']), r.identityKeys.get(s.memberId)!.secretKey) } : s)),
        }),
      }),
      'SECAGG_VERIFICATION_FAILED',
      /consistency signature/,
    );
  });

  it('a survivor list naming a member that never advertised keys is refused (sparse graph: members keep only neighbours\' keys)', async () => {
    const r = setup(30, { vectorLength: 16 });
    expect(r.params.neighbours).toBeLessThan(29);
    await expectRejects(
      run(r, { tamperConsistency: (req) => ({ ...req, survivors: [...req.survivors, 'member-999'] }) }),
      'SECAGG_PROTOCOL_VIOLATION',
      /member-999 never advertised keys/,
    );
  });

  it('too few survivor signatures are refused', async () => {
    const r = setup(6, { vectorLength: 16 });
    await expectRejects(
      run(r, { tamperUnmask: (req) => ({ ...req, signatures: req.signatures.slice(0, r.params.threshold - 1) }) }),
      'SECAGG_VERIFICATION_FAILED',
      /valid consistency signatures/,
    );
  });

  /** Corrupts the shares of `owner` revealed by the first `count` revealers that hold one (whoever the random graph made its neighbours). */
  function firstHolders(owner: string, count: number): { corrupt: (revealer: string, shareOwner: string) => boolean; picked: Set<string> } {
    const picked = new Set<string>();
    const corrupt = (revealer: string, shareOwner: string) => {
      if (shareOwner !== owner) return false;
      if (!picked.has(revealer) && picked.size < count) picked.add(revealer);
      return picked.has(revealer);
    };
    return { corrupt, picked };
  }

  async function revealCorrupted(corrupt: (revealer: string, owner: string) => boolean): Promise<{ r: Round; finished: Promise<SecAggResult>; expected: ModVector }> {
    const r = setup(8, { vectorLength: 16 });
    const { coordinator, members, identities, ids } = r;
    for (const id of ids) coordinator.receiveAdvertisement(members.get(id)!.advertiseKeys());
    const ks = coordinator.closeAdvertiseKeys();
    for (const id of ids) members.get(id)!.receiveKeySet(ks, identities);
    for (const id of ids) coordinator.receiveShares(id, await members.get(id)!.shareKeys());
    const routed = coordinator.closeShareKeys();
    for (const id of ids) members.get(id)!.receiveShares(routed.get(id)!);
    const expected = zeroVector(32, 16);
    for (const id of ids) {
      const input = randomInput(32, 16);
      addInto(expected, input);
      coordinator.receiveMaskedInput(id, members.get(id)!.maskInput(input).vector);
    }
    const req = coordinator.closeMaskedInput();
    for (const id of ids) coordinator.receiveConsistencySignature(members.get(id)!.signSurvivors(req));
    const unmask = coordinator.closeConsistencyCheck();
    for (const id of ids) {
      const reveal = members.get(id)!.revealShares(unmask);
      reveal.shares = reveal.shares.map((s) => (corrupt(id, s.ownerMemberId) ? { ...s, share: s.share.map((b, i) => (i === 0 ? b ^ 1 : b)) } : s));
      coordinator.receiveUnmaskShares(reveal);
    }
    return { r, finished: coordinator.finish(), expected };
  }

  it('a peer revealing a corrupted self-seed share is left out and named; the sum is still exact', async () => {
    // The neighbour graph is random: corrupt the share of the first revealer that holds one of member-005's.
    const holder = firstHolders('member-005', 1);
    const { finished, expected } = await revealCorrupted(holder.corrupt);
    const result = await finished;
    const [revealer] = [...holder.picked];
    expect(result.sum.words).toEqual(expected.words);
    expect(result.blamed).toEqual([expect.objectContaining({ memberId: revealer, owner: 'member-005' })]);
    expect(result.blamed[0].reason).toMatch(new RegExp(`${revealer} revealed a share of member-005's self-mask seed that disagrees`));
  });

  it('shares too corrupted to single out one revealer make the coordinator abort naming the owner, never publish a wrong sum', async () => {
    // The neighbour graph is random: corrupt the first two revealers that hold a share of member-005.
    const { r, finished } = await revealCorrupted(firstHolders('member-005', 2).corrupt);
    await expectRejects(finished, 'SECAGG_VERIFICATION_FAILED', /member-005 is named responsible/);
    expect(r.coordinator.stage).toBe('aborted');
  });

  it('a member refuses to reveal twice (no second request can extract the other secret)', async () => {
    const r = setup(5, { vectorLength: 16 });
    let captured: UnmaskRequest | undefined;
    await run(r, { tamperUnmask: (req) => (captured = req) });
    await expectRejects(() => r.members.get('member-000')!.revealShares({ ...captured!, survivors: [], dropped: captured!.survivors }), 'WRONG_STAGE');
  });
});

describe('secure aggregation: masked vectors look uniform', () => {
  // chi-square with 255 degrees of freedom: the 0.999 quantile is 330.5.
  const CRITICAL = 330.5;
  function chiSquareBytes(bytes: Uint8Array): number {
    const counts = new Float64Array(256);
    for (const b of bytes) counts[b]++;
    const expected = bytes.length / 256;
    let chi = 0;
    for (const c of counts) chi += (c - expected) ** 2 / expected;
    return chi;
  }
  function chiSquareHighBytes(words: Uint32Array): number {
    return chiSquareBytes(Uint8Array.from(words, (w) => w >>> 24));
  }

  it('an all-zero input is indistinguishable from uniform after masking, but not before', async () => {
    const d = 100_000;
    const r = setup(5, { vectorLength: d });
    const zero = zeroVector(32, d);
    const inputs = new Map(r.ids.map((id) => [id, zero]));
    const { coordinator, members, identities, ids } = r;
    for (const id of ids) coordinator.receiveAdvertisement(members.get(id)!.advertiseKeys());
    const ks = coordinator.closeAdvertiseKeys();
    for (const id of ids) members.get(id)!.receiveKeySet(ks, identities);
    for (const id of ids) coordinator.receiveShares(id, await members.get(id)!.shareKeys());
    const routed = coordinator.closeShareKeys();
    for (const id of ids) members.get(id)!.receiveShares(routed.get(id)!);
    const masked = members.get('member-000')!.maskInput(inputs.get('member-000')!).vector;
    const bytesChi = chiSquareBytes(new Uint8Array(masked.words.buffer));
    const highChi = chiSquareHighBytes(masked.words);
    expect(bytesChi).toBeLessThan(CRITICAL);
    expect(highChi).toBeLessThan(CRITICAL);
    expect(chiSquareBytes(new Uint8Array(zero.words.buffer))).toBeGreaterThan(CRITICAL);
    // A small non-zero input (e.g. quantized weights) fails too before masking.
    const small = quantize(Float64Array.from({ length: d }, () => Math.random() - 0.5), { clip: 1, scaleBits: 16, modulusBits: 32 }).vector;
    expect(chiSquareHighBytes(small.words)).toBeGreaterThan(CRITICAL);
  });
});
