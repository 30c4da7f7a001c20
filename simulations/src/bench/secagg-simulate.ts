// In-process simulation of one secure-aggregation round (all members + coordinator) with timings and bytes: the secagg benchmark's protocol-cost grid.
import { generateKeyPairSync } from 'node:crypto';
import {
  ConsortError, CoordinatorSession, MemberSession, SECAGG_WORKING_STAGES, SeededRandom, addInto, quantize, resolveSecAggParams, signEd25519 as sign, zeroVector,
  type ModVector, type ModulusBits, type SecAggWorkingStage,
} from '@consort/core';

/** Options of `simulateSecureRound`. */
export interface SimulateOptions {
  /** Members invited. */
  n: number;
  /** Vector length. */
  d: number;
  /** Fraction of members that drop out at `dropoutStage` (rounded down). */
  dropoutFraction: number;
  /** Stage at which they drop (they send nothing from then on). Default masked_input, the costliest for the coordinator. */
  dropoutStage?: 'share_keys' | 'masked_input' | 'consistency_check' | 'unmask';
  /** Neighbours k (default: resolveSecAggParams). */
  neighbours?: number;
  /** Dropout tolerance that sets the default k (see resolveSecAggParams; default 0.1). */
  dropoutTolerance?: number;
  /** Shamir threshold t (default floor(k/2) + 1). */
  threshold?: number;
  /** Minimum survivors (default 5). */
  minMembers?: number;
  /** 32 (default) or 64. */
  modulusBits?: ModulusBits;
  /** Seeds the inputs and the choice of dropouts (keys are always fresh random). */
  seed: number;
}

/** Milliseconds spent in one stage: mean and max per member, and the coordinator's total. */
export interface StageTiming {
  memberMeanMs: number;
  memberMaxMs: number;
  coordinatorMs: number;
}

export interface SimulationReport {
  params: { n: number; d: number; neighbours: number; threshold: number; modulusBits: ModulusBits };
  survivors: number;
  dropped: number;
  /** True when the unmasked sum equals the plain sum of the survivors' inputs exactly. */
  exact: boolean;
  timings: Record<SecAggWorkingStage, StageTiming>;
  /** Mean payload bytes per member (fields only, no framing). */
  bytesPerMember: { sent: number; received: number };
}

type StageName = SecAggWorkingStage;
const STAGES = SECAGG_WORKING_STAGES;

/** Payload size of a message: bytes of every byte field, string and vector. */
function sizeOf(value: unknown): number {
  if (value instanceof Uint8Array || value instanceof Uint32Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return 8;
  if (Array.isArray(value)) return value.reduce((s: number, v) => s + sizeOf(v), 0);
  if (value instanceof Map) return [...value.values()].reduce((s: number, v) => s + sizeOf(v), 0);
  if (value && typeof value === 'object') return Object.values(value).reduce((s: number, v) => s + sizeOf(v), 0);
  return 0;
}

/** An Ed25519 identity in tweetnacl's format (seed || public key), drawn by node:crypto (setup only, ~20x faster). */
function identityKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  return { publicKey: new Uint8Array(pub), secretKey: new Uint8Array(Buffer.concat([seed, pub])) };
}

/** Runs every member and the coordinator in-process through one round; throws if the round aborts. */
export async function simulateSecureRound(opts: SimulateOptions): Promise<SimulationReport> {
  const { n, d, seed } = opts;
  const modulusBits = opts.modulusBits ?? 32;
  // Seeds the inputs and the choice of dropouts only: keys are always fresh random.
  const random = new SeededRandom(seed);
  const rand = () => random.next();
  const ids = Array.from({ length: n }, (_, i) => `member-${String(i).padStart(4, '0')}`);
  const identityPairs = new Map(ids.map((id) => [id, identityKeyPair()]));
  // A member agent loads its identity once and signs every request with it: import each key into
  // node:crypto here (untimed) so the round's timings do not include that one-off per-process cost.
  for (const pair of identityPairs.values()) sign(new Uint8Array(1), pair.secretKey);
  const identities = new Map(ids.map((id) => [id, identityPairs.get(id)!.publicKey]));
  const params = resolveSecAggParams(
    {
      roundId: `sim-${seed}`, vectorLength: d, modulusBits, neighbours: opts.neighbours, threshold: opts.threshold, minMembers: opts.minMembers,
      dropoutTolerance: opts.dropoutTolerance,
    },
    n,
  );
  const coordinator = new CoordinatorSession({ params, identities });
  // Sessions are created inside the members' timed advertise step: creating one draws its round keys.
  const members = new Map<string, MemberSession>();
  const dropCount = Math.floor(n * opts.dropoutFraction);
  const shuffled = ids.slice();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const droppers = new Set(shuffled.slice(0, dropCount));
  const dropStage: StageName = opts.dropoutStage ?? 'masked_input';
  const active = (id: string, stage: StageName) => !(droppers.has(id) && STAGES.indexOf(stage) >= STAGES.indexOf(dropStage));

  const timings = Object.fromEntries(STAGES.map((s) => [s, { memberMeanMs: 0, memberMaxMs: 0, coordinatorMs: 0 }])) as SimulationReport['timings'];
  const sent = new Map(ids.map((id) => [id, 0]));
  const received = new Map(ids.map((id) => [id, 0]));
  const memberTimes = new Map<string, number>();
  const timeMember = async <T>(id: string, fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    memberTimes.set(id, (memberTimes.get(id) ?? 0) + performance.now() - t0);
    return out;
  };
  const timeCoordinator = async <T>(stage: StageName, fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    timings[stage].coordinatorMs += performance.now() - t0;
    return out;
  };
  const closeMemberStage = (stage: StageName) => {
    const values = [...memberTimes.values()];
    timings[stage].memberMeanMs = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
    timings[stage].memberMaxMs = values.length ? Math.max(...values) : 0;
    memberTimes.clear();
  };
  const count = (map: Map<string, number>, id: string, msg: unknown) => map.set(id, map.get(id)! + sizeOf(msg));

  // Inputs: model-like floats in [-1, 1), quantized by each member inside its timed masked-input
  // step (clip 1, 2^20 steps per unit, stochastic rounding), so that n of them never overflow 32 bits.
  const inputs = new Map<string, Float32Array>();
  for (const id of ids) {
    const v = new Float32Array(d);
    for (let i = 0; i < d; i++) v[i] = rand() * 2 - 1;
    inputs.set(id, v);
  }

  // advertise_keys
  let live = ids.filter((id) => active(id, 'advertise_keys'));
  for (const id of live) {
    const msg = await timeMember(id, () => {
      const session = new MemberSession({ memberId: id, identity: identityPairs.get(id)!, params });
      members.set(id, session);
      return session.advertiseKeys();
    });
    count(sent, id, msg);
    await timeCoordinator('advertise_keys', () => coordinator.receiveAdvertisement(msg));
  }
  const keySet = await timeCoordinator('advertise_keys', () => coordinator.closeAdvertiseKeys());
  for (const id of live) {
    count(received, id, keySet);
    await timeMember(id, () => members.get(id)!.receiveKeySet(keySet, identities));
  }
  closeMemberStage('advertise_keys');

  // share_keys
  live = live.filter((id) => active(id, 'share_keys'));
  for (const id of live) {
    const shares = await timeMember(id, () => members.get(id)!.shareKeys());
    count(sent, id, shares);
    await timeCoordinator('share_keys', () => coordinator.receiveShares(id, shares));
  }
  const routed = await timeCoordinator('share_keys', () => coordinator.closeShareKeys());
  for (const id of live) {
    count(received, id, routed.get(id)!);
    await timeMember(id, () => members.get(id)!.receiveShares(routed.get(id)!));
  }
  closeMemberStage('share_keys');

  // masked_input
  live = live.filter((id) => active(id, 'masked_input'));
  const expected = zeroVector(modulusBits, d);
  for (const id of live) {
    let quantized!: ModVector;
    const masked = await timeMember(id, () => {
      quantized = quantize(inputs.get(id)!, { clip: 1, scaleBits: 20, modulusBits }).vector;
      return members.get(id)!.maskInput(quantized);
    });
    count(sent, id, masked);
    addInto(expected, quantized);
    await timeCoordinator('masked_input', () => coordinator.receiveMaskedInput(id, masked.vector));
  }
  const consistency = await timeCoordinator('masked_input', () => coordinator.closeMaskedInput());
  closeMemberStage('masked_input');

  // consistency_check
  live = live.filter((id) => active(id, 'consistency_check'));
  for (const id of live) {
    count(received, id, consistency);
    const sig = await timeMember(id, () => members.get(id)!.signSurvivors(consistency));
    count(sent, id, sig);
    await timeCoordinator('consistency_check', () => coordinator.receiveConsistencySignature(sig));
  }
  const unmaskRequest = await timeCoordinator('consistency_check', () => coordinator.closeConsistencyCheck());
  closeMemberStage('consistency_check');

  // unmask
  live = live.filter((id) => active(id, 'unmask'));
  for (const id of live) {
    count(received, id, unmaskRequest);
    const reveal = await timeMember(id, () => members.get(id)!.revealShares(unmaskRequest));
    count(sent, id, reveal);
    await timeCoordinator('unmask', () => coordinator.receiveUnmaskShares(reveal));
  }
  const result = await timeCoordinator('unmask', () => coordinator.finish());
  closeMemberStage('unmask');

  if (result.sum.words.length !== expected.words.length) throw new ConsortError('INTERNAL', 'simulation: sum shape mismatch');
  const exact = result.sum.words.every((w, i) => w === expected.words[i]);
  const mean = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0) / n;
  return {
    params: { n, d, neighbours: params.neighbours, threshold: params.threshold, modulusBits },
    survivors: result.survivors.length,
    dropped: result.dropped.length,
    exact,
    timings,
    bytesPerMember: { sent: Math.round(mean(sent)), received: Math.round(mean(received)) },
  };
}
