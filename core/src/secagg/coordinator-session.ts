// The coordinator side of one secure-aggregation round as a pure object (Bonawitz et al., CCS 2017; Bell et al., CCS 2020).
//
// Stages: advertise_keys (receiveAdvertisement, closeAdvertiseKeys) -> share_keys (receiveShares,
// closeShareKeys) -> masked_input (receiveMaskedInput, closeMaskedInput) -> consistency_check
// (receiveConsistencySignature, closeConsistencyCheck) -> unmask (receiveUnmaskShares, finish)
// -> completed; any stage -> aborted(reason). The coordinator only routes ciphertext, keeps a
// running sum of masked inputs (O(d) memory), and learns nothing but the sum of the survivors.
import { ConsortError, type ErrorCode } from '../errors/consort-error.ts';
import { bytesEqual, compareIds, sortedIds } from './encoding.ts';
import { buildNeighbourGraph, graphSeedFor, type NeighbourGraph } from './graph.ts';
import { advertiseMessage, commitMessage, complaintMessage, consistencyMessage, keyCommitment, pairwiseSeed, publicKeyOf, verify, x25519KeyProblem } from './keys.ts';
import type {
  AdvertiseKeys,
  AdvertisedKeySet,
  Complaint,
  ConsistencyRequest,
  KeyCommitment,
  KeyCommitmentSet,
  RoutedShares,
  SurvivorSignature,
  UnmaskRequest,
  UnmaskShares,
} from './messages.ts';
import { zeroVector, addWords, type ModVector } from './mod-vector.ts';
import { validateSecAggParams, type SecAggParams } from './params.ts';
import { addMasks, type MaskTerm } from './prg.ts';
import { combineShares, SHARE_BYTES } from './shamir.ts';
import type { EncryptedShare } from './share-box.ts';
import { secaggStageIndex, transitionSecAgg, wrongStage, type SecAggStage } from './stages.ts';

/** Options of a coordinator session. */
export interface CoordinatorSessionOptions {
  params: SecAggParams;
  /** Enrolled Ed25519 identity public keys of the members invited to this round. */
  identities: ReadonlyMap<string, Uint8Array>;
}

/** The outcome of a completed round. */
export interface SecAggResult {
  /** Sum of the survivors' quantized inputs, modulo 2^bits (decode with dequantize/unpackVector). */
  sum: ModVector;
  /** Members whose inputs are in the sum. */
  survivors: string[];
  /** Members that shared keys but whose inputs are not in the sum (their masks were removed). */
  dropped: string[];
  /** Revealed shares that disagreed with the others and were left out, naming who revealed them. */
  blamed: Blame[];
}

/** A revealer whose share of `owner`'s secret was left out of the reconstruction. */
export interface Blame {
  memberId: string;
  owner: string;
  reason: string;
}

/** What a recorded complaint did to the round. */
export interface ComplaintOutcome {
  /** The accused can no longer be unmasked and had sent no input: it leaves the round. */
  evicted: boolean;
  /** A sentence for the drop reason and the audit trail. */
  summary: string;
}

/** A revealed share with the member who revealed it. */
interface Revealed {
  from: string;
  share: Uint8Array;
}

/** What an operator can do when more of one member's neighbours left than the graph tolerates. */
const NEIGHBOURS_GONE_ADVICE = 'More members left than the task\'s dropoutTolerance provides for: if that is normal for this '
  + 'federation, raise dropoutTolerance in the task (each member then gets more neighbours); if members were slow rather than gone, '
  + 'lengthen stageTimeoutSeconds; then start a fresh round (fresh keys).';

/** One round on the coordinator. Not reusable: create one per round. */
export class CoordinatorSession {
  readonly params: SecAggParams;
  private readonly identities: ReadonlyMap<string, Uint8Array>;
  private currentStage: SecAggStage = 'advertise_keys';
  private abortReason?: string;
  private readonly advertised = new Map<string, AdvertiseKeys>();
  /** Commit-then-reveal: commitments received, and whether the set was closed and broadcast. */
  private readonly commitments = new Map<string, KeyCommitment>();
  private commitmentsClosed = false;
  /** Committed members whose revealed key is unusable: in the key set, but nobody shares with them. */
  private readonly unusable = new Set<string>();
  private graph?: NeighbourGraph;
  private readonly outbox = new Map<string, EncryptedShare[]>();
  private readonly sharers = new Set<string>();
  private sum: ModVector;
  private readonly maskedFrom = new Set<string>();
  private survivorsList: string[] = [];
  private droppedList: string[] = [];
  private readonly signatures = new Map<string, Uint8Array>();
  private readonly responders = new Set<string>();
  private readonly seedShares = new Map<string, Revealed[]>();
  private readonly keyShares = new Map<string, Revealed[]>();
  /** Pairwise seeds s_uv revealed by complainers u, by dropped owner v then u. */
  private readonly pairSeeds = new Map<string, Map<string, Uint8Array>>();
  /** Complaints by accused member, then complainer. */
  private readonly complaints = new Map<string, Map<string, Complaint>>();
  /** Accused members removed before their input arrived (nobody could unmask it). */
  private readonly evicted = new Set<string>();
  private readonly blamed: Blame[] = [];

  constructor(options: CoordinatorSessionOptions) {
    validateSecAggParams(options.params);
    this.params = options.params;
    this.identities = options.identities;
    this.sum = zeroVector(options.params.modulusBits, options.params.vectorLength);
  }

  get stage(): SecAggStage {
    return this.currentStage;
  }

  /** Why the round aborted, if it did. */
  get reason(): string | undefined {
    return this.abortReason;
  }

  /** The neighbour graph (after closeAdvertiseKeys). */
  get neighbourGraph(): NeighbourGraph | undefined {
    return this.graph;
  }

  /** Aborts the round (deadline passed, operator request...). */
  abort(reason: string): void {
    if (this.currentStage === 'completed' || this.currentStage === 'aborted') return;
    this.abortReason = reason;
    this.currentStage = transitionSecAgg(this.currentStage, 'aborted');
  }

  /** Stage advertise_keys, first step: verifies and records a member's key commitment. False when it arrives after the commitments closed. */
  receiveCommitment(msg: KeyCommitment): boolean {
    if (!this.accepts('advertise_keys', 'receiveCommitment') || this.commitmentsClosed) return false;
    const identity = this.identities.get(msg.memberId);
    if (!identity) throw this.error('NOT_A_PARTICIPANT', msg.memberId, 'advertise_keys', 'is not invited to this round');
    if (this.commitments.has(msg.memberId)) throw this.error('DUPLICATE_SUBMISSION', msg.memberId, 'advertise_keys', 'already committed to keys');
    if (msg.commitment.length !== 32 || !verify(commitMessage(this.params.roundId, msg.memberId, msg.commitment), msg.signature, identity)) {
      throw this.error('SECAGG_VERIFICATION_FAILED', msg.memberId, 'advertise_keys', 'sent a key commitment whose signature does not verify');
    }
    this.commitments.set(msg.memberId, msg);
    return true;
  }

  /**
   * Closes the commitments: the round's member set is fixed (members refuse any other key set),
   * and the set is broadcast so members reveal their keys.
   */
  closeCommitments(): KeyCommitmentSet {
    this.expect('advertise_keys', 'closeCommitments');
    if (this.commitmentsClosed) throw new ConsortError('SECAGG_PROTOCOL_VIOLATION', `Round ${this.params.roundId}: the commitments were already closed.`);
    const { roundId, minMembers } = this.params;
    if (this.commitments.size < minMembers) {
      this.fail('TOO_FEW_MEMBERS', `only ${this.commitments.size} members committed to keys, at least ${minMembers} are required`);
    }
    this.commitmentsClosed = true;
    return { roundId, commitments: sortedIds(this.commitments.keys()).map((id) => this.commitments.get(id)!) };
  }

  /** Stage advertise_keys: verifies and records a member's keys. False when it arrives after the stage closed. */
  receiveAdvertisement(msg: AdvertiseKeys): boolean {
    if (!this.accepts('advertise_keys', 'receiveAdvertisement')) return false;
    const identity = this.identities.get(msg.memberId);
    if (!identity) throw this.error('NOT_A_PARTICIPANT', msg.memberId, 'advertise_keys', 'is not invited to this round');
    if (this.commitments.size > 0 && !this.commitmentsClosed) {
      throw this.error('WRONG_STAGE', msg.memberId, 'advertise_keys', 'revealed keys before the commitments closed');
    }
    if (this.commitmentsClosed) {
      const c = this.commitments.get(msg.memberId);
      if (!c) throw this.error('NOT_A_PARTICIPANT', msg.memberId, 'advertise_keys', 'did not commit to keys before the commitments closed');
      if (!bytesEqual(c.commitment, keyCommitment(this.params.roundId, msg.memberId, msg.encryptionPublicKey, msg.maskPublicKey))) {
        throw this.error('SECAGG_VERIFICATION_FAILED', msg.memberId, 'advertise_keys', 'revealed keys other than those it committed to');
      }
    }
    if (this.advertised.has(msg.memberId)) throw this.error('DUPLICATE_SUBMISSION', msg.memberId, 'advertise_keys', 'already advertised keys');
    if (
      msg.encryptionPublicKey.length !== 32 ||
      msg.maskPublicKey.length !== 32 ||
      !verify(advertiseMessage(this.params.roundId, msg.memberId, msg.encryptionPublicKey, msg.maskPublicKey), msg.signature, identity)
    ) {
      throw this.error('SECAGG_VERIFICATION_FAILED', msg.memberId, 'advertise_keys', 'sent keys whose signature does not verify');
    }
    const encProblem = x25519KeyProblem(msg.encryptionPublicKey);
    const maskProblem = x25519KeyProblem(msg.maskPublicKey);
    if (encProblem || maskProblem) {
      // Signed by the member itself: it is the culprit, and it leaves before anybody uses the key.
      // Once commitments are fixed its (committed) keys stay in the key set, so the set and the
      // graph seed stay those of the commitments: members leave it out themselves (invalid_key).
      if (this.commitmentsClosed) {
        this.advertised.set(msg.memberId, msg);
        this.unusable.add(msg.memberId);
      }
      throw this.error('SECAGG_VERIFICATION_FAILED', msg.memberId, 'advertise_keys',
        `advertised an unusable X25519 key (its ${encProblem ? `encryption key ${encProblem}` : `mask key ${maskProblem}`})`);
    }
    this.advertised.set(msg.memberId, msg);
    return true;
  }

  /** Closes advertise_keys: fixes the graph seed from the key set and broadcasts the set. */
  closeAdvertiseKeys(): AdvertisedKeySet {
    this.expect('advertise_keys', 'closeAdvertiseKeys');
    const { roundId, minMembers, neighbours, threshold } = this.params;
    if (this.advertised.size < minMembers) {
      this.fail('TOO_FEW_MEMBERS', `only ${this.advertised.size} members advertised keys, at least ${minMembers} are required`);
    }
    if (this.commitmentsClosed) {
      // Members refuse a key set other than the committed one: dropping a silent member here
      // would re-draw the graph seed, so the round aborts naming it and a fresh round starts.
      const silent = sortedIds(this.commitments.keys()).filter((id) => !this.advertised.has(id));
      if (silent.length > 0) this.fail('TOO_FEW_MEMBERS', `member(s) ${silent.join(', ')} committed to keys but did not reveal them`);
    }
    const keys = sortedIds(this.advertised.keys()).map((id) => ({ ...this.advertised.get(id)!, identityPublicKey: this.identities.get(id)! }));
    const graphSeed = graphSeedFor(roundId, keys);
    const graph = buildNeighbourGraph(keys.map((k) => k.memberId), graphSeed, neighbours);
    for (const [id, ns] of graph.neighbours) {
      if (ns.length < threshold) this.fail('TOO_FEW_MEMBERS', `member ${id} has ${ns.length} neighbours, fewer than the threshold ${threshold}`);
    }
    this.graph = graph;
    this.currentStage = transitionSecAgg(this.currentStage, 'share_keys');
    return { roundId, keys, graphSeed };
  }

  /** Stage share_keys: accepts exactly one ciphertext per graph neighbour of the sender. */
  receiveShares(memberId: string, shares: readonly EncryptedShare[]): boolean {
    if (!this.accepts('share_keys', 'receiveShares')) return false;
    if (!this.advertised.has(memberId)) throw this.error('NOT_A_PARTICIPANT', memberId, 'share_keys', 'did not advertise keys this round');
    if (this.sharers.has(memberId)) throw this.error('DUPLICATE_SUBMISSION', memberId, 'share_keys', 'already sent its shares');
    if (this.unusable.has(memberId)) throw this.error('SECAGG_VERIFICATION_FAILED', memberId, 'share_keys', 'advertised an unusable key and takes no part');
    // Neighbours with an unusable key get no shares: members leave them out (invalid_key).
    const expected = this.graph!.neighbours.get(memberId)!.filter((v) => !this.unusable.has(v));
    const targets = new Set<string>();
    for (const s of shares) {
      if (s.fromMemberId !== memberId) throw this.error('SECAGG_PROTOCOL_VIOLATION', memberId, 'share_keys', `sent a share claiming to be from ${s.fromMemberId}`);
      if (!expected.includes(s.toMemberId) || targets.has(s.toMemberId)) {
        throw this.error('SECAGG_PROTOCOL_VIOLATION', memberId, 'share_keys', `sent a share to ${s.toMemberId}, who is not a neighbour or got two`);
      }
      targets.add(s.toMemberId);
    }
    if (targets.size !== expected.length) {
      throw this.error('SECAGG_PROTOCOL_VIOLATION', memberId, 'share_keys', `sent ${targets.size} shares for ${expected.length} neighbours`);
    }
    this.sharers.add(memberId);
    for (const s of shares) {
      const box = this.outbox.get(s.toMemberId) ?? [];
      box.push(s);
      this.outbox.set(s.toMemberId, box);
    }
    return true;
  }

  /** Closes share_keys: routes ciphertexts between members that both shared keys. */
  closeShareKeys(): Map<string, RoutedShares> {
    this.expect('share_keys', 'closeShareKeys');
    const { roundId, minMembers, threshold } = this.params;
    if (this.sharers.size < minMembers) this.fail('TOO_FEW_MEMBERS', `only ${this.sharers.size} members shared keys, at least ${minMembers} are required`);
    for (const u of sortedIds(this.sharers)) {
      const live = this.liveNeighbours(u, this.sharers);
      if (live < threshold) this.fail('TOO_FEW_MEMBERS', `member ${u} has ${live} neighbours left after share_keys, fewer than the threshold ${threshold}`);
    }
    const routed = new Map<string, RoutedShares>();
    for (const u of sortedIds(this.sharers)) {
      const shares = (this.outbox.get(u) ?? []).filter((s) => this.sharers.has(s.fromMemberId));
      routed.set(u, { roundId, shares });
    }
    this.outbox.clear();
    this.currentStage = transitionSecAgg(this.currentStage, 'masked_input');
    return routed;
  }

  /** Stage masked_input: adds the vector to the running sum (no per-member vector is kept). */
  receiveMaskedInput(memberId: string, vector: ModVector): boolean {
    if (!this.accepts('masked_input', 'receiveMaskedInput')) return false;
    if (!this.sharers.has(memberId)) throw this.error('NOT_A_PARTICIPANT', memberId, 'masked_input', 'did not share keys this round');
    if (this.evicted.has(memberId)) throw this.error('SECAGG_VERIFICATION_FAILED', memberId, 'masked_input', `was removed from the round: ${this.accusation(memberId)}`);
    if (this.maskedFrom.has(memberId)) throw this.error('DUPLICATE_SUBMISSION', memberId, 'masked_input', 'already sent its masked input');
    const { modulusBits, vectorLength } = this.params;
    if (vector.bits !== modulusBits || vector.length !== vectorLength || vector.words.length !== this.sum.words.length) {
      throw this.error('UPDATE_SHAPE_MISMATCH', memberId, 'masked_input', `sent Z_2^${vector.bits}[${vector.length}], the round expects Z_2^${modulusBits}[${vectorLength}]`);
    }
    addWords(this.sum.words, vector.words, modulusBits, 1);
    this.maskedFrom.add(memberId);
    return true;
  }

  /** Closes masked_input: the survivors (inputs in the sum) must meet the minimum and be recoverable. */
  closeMaskedInput(): ConsistencyRequest {
    this.expect('masked_input', 'closeMaskedInput');
    const { roundId, minMembers, threshold } = this.params;
    const survivors = sortedIds(this.maskedFrom);
    if (survivors.length < minMembers) this.fail('TOO_FEW_MEMBERS', `only ${survivors.length} masked inputs arrived, at least ${minMembers} are required`);
    this.survivorsList = survivors;
    this.droppedList = sortedIds([...this.sharers].filter((u) => !this.maskedFrom.has(u)));
    for (const owner of this.ownersToRecover()) {
      const live = this.liveNeighbours(owner, this.maskedFrom);
      if (live < threshold) this.fail('TOO_FEW_MEMBERS', `only ${live} neighbours of member ${owner} survived masked_input, ${threshold} are needed to unmask`, NEIGHBOURS_GONE_ADVICE);
      this.checkHolders(owner, this.maskedFrom, 'survived masked_input');
    }
    this.currentStage = transitionSecAgg(this.currentStage, 'consistency_check');
    return { roundId, survivors };
  }

  /** Stage consistency_check: records a survivor's signature over the survivor list. */
  receiveConsistencySignature(sig: SurvivorSignature): boolean {
    if (!this.accepts('consistency_check', 'receiveConsistencySignature')) return false;
    const id = sig.memberId;
    if (!this.maskedFrom.has(id)) throw this.error('NOT_A_PARTICIPANT', id, 'consistency_check', 'is not a survivor of masked_input');
    if (this.signatures.has(id)) throw this.error('DUPLICATE_SUBMISSION', id, 'consistency_check', 'already signed');
    if (!verify(consistencyMessage(this.params.roundId, this.survivorsList), sig.signature, this.identities.get(id)!)) {
      throw this.error('SECAGG_VERIFICATION_FAILED', id, 'consistency_check', 'sent a signature that does not verify over the survivor list');
    }
    this.signatures.set(id, sig.signature);
    return true;
  }

  /** Closes consistency_check: every secret to recover needs t signers among its owner's neighbours. */
  closeConsistencyCheck(): UnmaskRequest {
    this.expect('consistency_check', 'closeConsistencyCheck');
    const { roundId, threshold } = this.params;
    const signers = new Set(this.signatures.keys());
    if (signers.size < threshold) this.fail('TOO_FEW_MEMBERS', `only ${signers.size} survivors signed the survivor list, ${threshold} are required`);
    for (const owner of this.ownersToRecover()) {
      const live = this.liveNeighbours(owner, signers);
      if (live < threshold) this.fail('TOO_FEW_MEMBERS', `only ${live} neighbours of member ${owner} passed the consistency check, ${threshold} are needed to unmask`, NEIGHBOURS_GONE_ADVICE);
      this.checkHolders(owner, signers, 'passed the consistency check');
    }
    this.currentStage = transitionSecAgg(this.currentStage, 'unmask');
    const signatures = sortedIds(signers).map((memberId) => ({ memberId, signature: this.signatures.get(memberId)! }));
    return { roundId, survivors: this.survivorsList.slice(), dropped: this.droppedList.slice(), signatures };
  }

  /** Stage unmask: records revealed shares (each of the kind the request asked for, from a neighbour of its owner). */
  receiveUnmaskShares(msg: UnmaskShares): boolean {
    if (!this.accepts('unmask', 'receiveUnmaskShares')) return false;
    const id = msg.memberId;
    if (!this.signatures.has(id)) throw this.error('NOT_A_PARTICIPANT', id, 'unmask', 'did not pass the consistency check');
    if (this.responders.has(id)) throw this.error('DUPLICATE_SUBMISSION', id, 'unmask', 'already revealed its shares');
    const survivors = new Set(this.survivorsList);
    const dropped = new Set(this.droppedList);
    const mine = new Set(this.graph!.neighbours.get(id)!);
    const owners = new Set<string>();
    for (const s of msg.shares) {
      const ok =
        mine.has(s.ownerMemberId) &&
        !owners.has(s.ownerMemberId) &&
        (s.kind === 'pairwise_seed'
          ? s.share.length === 32 && dropped.has(s.ownerMemberId) && this.complained(id, s.ownerMemberId)
          : s.share.length === SHARE_BYTES && ((s.kind === 'self_mask_seed' && survivors.has(s.ownerMemberId)) || (s.kind === 'mask_private_key' && dropped.has(s.ownerMemberId))));
      if (!ok) throw this.error('SECAGG_PROTOCOL_VIOLATION', id, 'unmask', `revealed an unexpected ${s.kind} share of ${s.ownerMemberId}`);
      owners.add(s.ownerMemberId);
    }
    this.responders.add(id);
    for (const s of msg.shares) {
      if (s.kind === 'pairwise_seed') {
        const seeds = this.pairSeeds.get(s.ownerMemberId) ?? new Map<string, Uint8Array>();
        seeds.set(id, s.share);
        this.pairSeeds.set(s.ownerMemberId, seeds);
        continue;
      }
      const store = s.kind === 'self_mask_seed' ? this.seedShares : this.keyShares;
      const list = store.get(s.ownerMemberId) ?? [];
      list.push({ from: id, share: s.share });
      store.set(s.ownerMemberId, list);
    }
    return true;
  }

  /**
   * Finishes unmask: reconstructs each survivor's self-mask seed and each dropped member's mask key
   * (checked against its advertised public key), removes those masks from the running sum and
   * returns the exact sum of the survivors' inputs.
   */
  async finish(): Promise<SecAggResult> {
    this.expect('unmask', 'finish');
    const { roundId, threshold } = this.params;
    try {
      // Every mask to remove is collected first, then removed in one pass over the running sum.
      const masks: MaskTerm[] = [];
      for (const u of this.survivorsList) {
        const seed = await this.reconstruct(u, 'self-mask seed', this.seedShares.get(u) ?? [], async (shares, candidate) => {
          // A seed has no public commitment: a leave-one-out candidate is only trusted when a
          // spare share cross-checks it.
          if (candidate && shares.length <= threshold) return undefined;
          return combineShares(shares, threshold, u, { crossCheck: true });
        });
        masks.push({ seed, sign: -1 });
      }
      const survivors = new Set(this.survivorsList);
      for (const v of this.droppedList) {
        const affected = this.graph!.neighbours.get(v)!.filter((u) => survivors.has(u));
        const seeds = this.pairSeeds.get(v);
        // Complainers revealed s_uv themselves; the others' masks need v's reconstructed key.
        const needKey = affected.filter((u) => !seeds?.has(u));
        const secretKey = needKey.length === 0 ? undefined
          : await this.reconstruct(v, 'mask key', this.keyShares.get(v) ?? [], async (shares) => {
            const key = await combineShares(shares, threshold, v);
            if (bytesEqual(publicKeyOf(key), this.advertised.get(v)!.maskPublicKey)) return key;
            return undefined;
          });
        for (const u of affected) {
          // u added sign(u, v) * PRG(s_uv) with no matching term from v: remove it.
          const seed = seeds?.get(u) ?? pairwiseSeed(roundId, v, secretKey!, u, this.advertised.get(u)!.maskPublicKey);
          masks.push({ seed, sign: compareIds(u, v) < 0 ? -1 : 1 });
        }
      }
      addMasks(this.sum, masks);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.abort(`unmask failed: ${reason}`);
      throw err;
    }
    this.currentStage = transitionSecAgg(this.currentStage, 'completed');
    return { sum: this.sum, survivors: this.survivorsList.slice(), dropped: this.droppedList.slice(), blamed: this.blamed.slice() };
  }

  /**
   * Stage share_keys or masked_input: a member's signed complaint about a neighbour. An
   * `invalid_key` complaint is checked against the advertised key (this coordinator refuses such
   * keys at advertise_keys, so here one is always false: the complainer is refused). A
   * `bad_share_bundle` complaint cannot be checked (nacl.box is deniable): it is recorded, the
   * complainer's shares of the accused are discounted, and the accused is evicted only when fewer
   * than t of its neighbours still hold its shares and its input is not yet in the sum.
   */
  receiveComplaint(c: Complaint): ComplaintOutcome {
    const stage = this.currentStage;
    if (stage !== 'share_keys' && stage !== 'masked_input') {
      if (!this.accepts('masked_input', 'receiveComplaint')) return { evicted: false, summary: 'late complaint ignored' };
    }
    const { roundId, threshold } = this.params;
    const from = c.memberId;
    const accused = c.accusedMemberId;
    if (!this.advertised.has(from)) throw this.error('NOT_A_PARTICIPANT', from, stage, 'did not advertise keys this round');
    if (!this.graph!.neighbours.get(from)!.includes(accused)) {
      throw this.error('SECAGG_PROTOCOL_VIOLATION', from, stage, `complained about ${accused}, who is not its neighbour`);
    }
    if (!verify(complaintMessage(roundId, from, accused, c.kind, c.detail), c.signature, this.identities.get(from)!)) {
      throw this.error('SECAGG_VERIFICATION_FAILED', from, stage, `sent a complaint about ${accused} whose signature does not verify`);
    }
    if (this.complained(from, accused)) throw this.error('DUPLICATE_SUBMISSION', from, stage, `already complained about ${accused}`);
    if (c.kind === 'invalid_key') {
      const a = this.advertised.get(accused)!;
      if (!x25519KeyProblem(a.encryptionPublicKey) && !x25519KeyProblem(a.maskPublicKey)) {
        throw this.error('SECAGG_PROTOCOL_VIOLATION', from, stage, `falsely complained that ${accused} advertised an unusable key (both its keys are valid X25519 keys)`);
      }
    } else if (c.kind !== 'bad_share_bundle') {
      throw this.error('SECAGG_PROTOCOL_VIOLATION', from, stage, `sent a complaint of unknown kind "${String(c.kind)}"`);
    } else if (stage !== 'masked_input' || !this.sharers.has(from) || !this.sharers.has(accused)) {
      throw this.error('SECAGG_PROTOCOL_VIOLATION', from, stage, `complained about the share bundle of ${accused}, but no bundle of ${accused} was routed to it`);
    }
    const byAccused = this.complaints.get(accused) ?? new Map<string, Complaint>();
    byAccused.set(from, c);
    this.complaints.set(accused, byAccused);
    const holders = this.holders(accused, this.sharers).length;
    const summary = `member ${from} complains that ${accused} ${c.kind === 'invalid_key' ? 'advertised an unusable key' : 'sent it a share bundle that does not decrypt or verify'}`;
    if (stage === 'masked_input' && holders < threshold && !this.maskedFrom.has(accused) && !this.evicted.has(accused)) {
      this.evicted.add(accused);
      return { evicted: true, summary: `${summary}; only ${holders} of its neighbours still hold its shares (${threshold} needed), so it was removed: ${this.accusation(accused)}` };
    }
    return { evicted: false, summary };
  }

  /** Whether `member` complained about `accused` this round. */
  private complained(member: string, accused: string): boolean {
    return this.complaints.get(accused)?.has(member) ?? false;
  }

  /** Neighbours of `owner` among `live` that hold its shares (did not complain about it). */
  private holders(owner: string, live: ReadonlySet<string>): string[] {
    return this.graph!.neighbours.get(owner)!.filter((v) => live.has(v) && !this.complained(v, owner));
  }

  /** "accused by a, b (kind)": who complained about a member, for reasons and the audit trail. */
  private accusation(accused: string): string {
    const list = [...(this.complaints.get(accused)?.values() ?? [])];
    if (list.length === 0) return `member ${accused} was not accused`;
    const kinds = [...new Set(list.map((c) => c.kind))].join(', ');
    return `member ${accused} is accused by ${sortedIds(list.map((c) => c.memberId)).join(', ')} (${kinds}); `
      + `if ${accused} is honest, its accusers lied (both sides are in the audit trail)`;
  }

  /**
   * After complaints, the secrets to recover must still have t holders among `live`: a survivor's
   * self-mask seed always, a dropped member's mask key unless every affected survivor complained
   * about it (and so reveals its pairwise seed instead, from `live`).
   */
  private checkHolders(owner: string, live: ReadonlySet<string>, what: string): void {
    const { threshold } = this.params;
    if (!this.complaints.has(owner)) return;
    if (!this.survivorsList.includes(owner)) {
      const survivors = new Set(this.survivorsList);
      const affected = this.graph!.neighbours.get(owner)!.filter((u) => survivors.has(u));
      if (affected.every((u) => this.complained(u, owner) && live.has(u))) return;
    }
    const holders = this.holders(owner, live).length;
    if (holders < threshold) {
      this.fail('SECAGG_VERIFICATION_FAILED', `only ${holders} neighbours of member ${owner} that ${what} hold its shares, ${threshold} are needed to unmask: ${this.accusation(owner)}`,
        `Member ${owner} is named responsible (see the audit trail for its accusers): check its agent, and stop inviting it if it keeps failing; then start a fresh round.`);
    }
  }

  /**
   * Reconstructs `owner`'s secret from the revealed shares; when they disagree, tries leaving
   * each revealer out in turn and keeps the first set that checks (`combine` returns undefined
   * for a candidate that does not), blaming that revealer. Throws naming the owner otherwise.
   */
  private async reconstruct(owner: string, what: string, revealed: Revealed[],
    combine: (shares: Uint8Array[], candidate: boolean) => Promise<Uint8Array | undefined>): Promise<Uint8Array> {
    let first: unknown;
    try {
      const secret = await combine(revealed.map((r) => r.share), false);
      if (secret) return secret;
    } catch (err) {
      first = err;
    }
    for (const suspect of revealed) {
      const rest = revealed.filter((r) => r !== suspect).map((r) => r.share);
      if (rest.length < this.params.threshold) break;
      const secret = await combine(rest, true).catch(() => undefined);
      if (secret) {
        this.blamed.push({
          memberId: suspect.from, owner,
          reason: `member ${suspect.from} revealed a share of ${owner}'s ${what} that disagrees with the other neighbours' (it altered the share, or ${owner} sent it a bad one); it was left out`,
        });
        return secret;
      }
    }
    const from = sortedIds(revealed.map((r) => r.from)).join(', ') || 'nobody';
    throw new ConsortError('SECAGG_VERIFICATION_FAILED',
      `The ${what} of member ${owner} cannot be reconstructed from the shares revealed by ${from}${first instanceof Error ? ` (${first.message})` : ''}: `
      + `no single revealer explains the disagreement, so ${owner} (which split it) most likely sent inconsistent shares. Member ${owner} is named responsible.`,
      { member: owner });
  }

  /** Members whose secrets the unmask stage must reconstruct. */
  private ownersToRecover(): string[] {
    const survivors = new Set(this.survivorsList);
    const needed = this.droppedList.filter((v) => this.graph!.neighbours.get(v)!.some((u) => survivors.has(u)));
    return [...this.survivorsList, ...needed];
  }

  private liveNeighbours(member: string, live: ReadonlySet<string>): number {
    return this.graph!.neighbours.get(member)!.filter((v) => live.has(v)).length;
  }

  /** For receive*: true in `stage`; false when the stage already closed (late message, ignored); throws otherwise. */
  private accepts(stage: SecAggStage, method: string): boolean {
    const cur = this.currentStage;
    if (cur === stage) return true;
    if (cur !== 'aborted' && secaggStageIndex(cur) > secaggStageIndex(stage)) return false;
    throw wrongStage('Coordinator', method, stage, cur, this.abortReason);
  }

  private expect(stage: SecAggStage, method: string): void {
    if (this.currentStage !== stage) throw wrongStage('Coordinator', method, stage, this.currentStage, this.abortReason);
  }

  /** Aborts the round with a reason and throws it. */
  private fail(code: ErrorCode, what: string, advice = 'Start a fresh round (fresh keys) with more members or a longer deadline.'): never {
    const stage = this.currentStage;
    const message = `Round ${this.params.roundId} aborted in ${stage}: ${what}. ${advice}`;
    this.abort(message);
    throw new ConsortError(code, message, { stage });
  }

  private error(code: ErrorCode, memberId: string, stage: SecAggStage, what: string): ConsortError {
    return new ConsortError(code, `Member ${memberId}, stage ${stage} of round ${this.params.roundId}: ${what}; the message was rejected.`, { member: memberId, stage });
  }
}
