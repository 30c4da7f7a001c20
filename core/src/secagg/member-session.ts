// The member side of one secure-aggregation round as a pure object (Bonawitz et al., CCS 2017; Bell et al., CCS 2020).
//
// Stages: advertise_keys (advertiseKeys, receiveKeySet) -> share_keys (shareKeys, receiveShares)
// -> masked_input (maskInput) -> consistency_check (signSurvivors) -> unmask (revealShares)
// -> completed. Any refusal moves the session to aborted: a round is never resumed, a fresh
// round with fresh keys starts instead.
import { randomBytes } from 'node:crypto';
import { ConsortError, isConsortError } from '../errors/consort-error.ts';
import { bytesEqual, compareIds, sortedIds } from './encoding.ts';
import { graphSeedFor, neighboursOf } from './graph.ts';
import {
  advertiseMessage, commitMessage, complaintMessage, consistencyMessage, generateRoundKeys, keyCommitment, pairwiseSeed, sign, verify, x25519KeyProblem, type KeyPair, type RoundKeys,
} from './keys.ts';
import type {
  AdvertiseKeys,
  AdvertisedKeySet,
  Complaint,
  KeyCommitment,
  KeyCommitmentSet,
  ComplaintKind,
  ConsistencyRequest,
  MaskedInput,
  RevealedShare,
  RoutedShares,
  SurvivorSignature,
  UnmaskRequest,
  UnmaskShares,
} from './messages.ts';
import { addWords, zeroVector, type ModVector } from './mod-vector.ts';
import { validateSecAggParams, type SecAggParams } from './params.ts';
import { addMasks, type MaskTerm } from './prg.ts';
import { boxKey, openShares, sealShares, type EncryptedShare, type ShareBundle } from './share-box.ts';
import { splitSecret } from './shamir.ts';
import { transitionSecAgg, wrongStage, type SecAggStage } from './stages.ts';

/** Options of a member session. */
export interface MemberSessionOptions {
  /** This member's enrolled id. */
  memberId: string;
  /** This member's long-term Ed25519 identity key pair (64-byte secret key). */
  identity: KeyPair;
  /** Round parameters as sent by the coordinator (resolveSecAggParams). */
  params: SecAggParams;
}

interface Peer {
  encryptionPublicKey: Uint8Array;
  maskPublicKey: Uint8Array;
  identityPublicKey: Uint8Array;
}

/** One member's state for one round. Not reusable: create one per round. */
export class MemberSession {
  readonly memberId: string;
  readonly params: SecAggParams;
  private readonly identity: KeyPair;
  private readonly keys: RoundKeys = generateRoundKeys();
  private readonly selfSeed = new Uint8Array(randomBytes(32));
  private currentStage: SecAggStage = 'advertise_keys';
  private abortReason?: string;
  private advertised = false;
  private committed = false;
  /** The round's fixed member set and each member's key commitment (commit-then-reveal), once received. */
  private commitments?: ReadonlyMap<string, Uint8Array>;
  private sharesSent = false;
  /** Keys of this member's graph neighbours only: O(k) state per member, not O(n) (SecAgg+). */
  private peers = new Map<string, Peer>();
  /** Every member that advertised keys this round (ids only). */
  private roster: ReadonlySet<string> = new Set();
  private myNeighbours: readonly string[] = [];
  /** Neighbours that advertised an unusable key: treated as dropped (no shares, no masks). */
  private readonly excluded = new Set<string>();
  /** Neighbours whose shares were routed to this member: it masks with each of them. */
  private masking: ReadonlySet<string> = new Set();
  /** Bundles that opened and verified: the shares this member holds (a subset of `masking`). */
  private received = new Map<string, ShareBundle>();
  /** Signed complaints about peers, by accused member; `takeComplaints` hands out the new ones. */
  private readonly complaints = new Map<string, Complaint>();
  private readonly complaintsSent = new Set<string>();
  private readonly boxKeys = new Map<string, Uint8Array>();
  private signedSurvivors: readonly string[] = [];
  /** Masks expanded ahead of the input (prepareMask), consumed by maskInput. */
  private preparedMask?: ModVector;

  constructor(options: MemberSessionOptions) {
    validateSecAggParams(options.params);
    if (options.identity.secretKey.length !== 64 || options.identity.publicKey.length !== 32) {
      throw new ConsortError('INVALID_ARGUMENT', `Member ${options.memberId}: the identity key must be an Ed25519 key pair (tweetnacl sign.keyPair).`);
    }
    this.memberId = options.memberId;
    this.identity = options.identity;
    this.params = options.params;
  }

  /** Current stage. */
  get stage(): SecAggStage {
    return this.currentStage;
  }

  /** Why the session aborted, if it did. */
  get reason(): string | undefined {
    return this.abortReason;
  }

  /**
   * Neighbours with whom this member masks (after receiveShares: those whose shares arrived,
   * even a bundle that did not open: the coordinator counts every pair of sharers as masked).
   */
  get liveNeighbours(): readonly string[] {
    return sortedIds(this.masking);
  }

  /** Neighbours whose shares this member holds (their bundles opened and verified). */
  get heldNeighbours(): readonly string[] {
    return sortedIds(this.received.keys());
  }

  /** Complaints made since the last call, to send to the coordinator (each is sent once). */
  takeComplaints(): Complaint[] {
    const fresh = [...this.complaints.values()].filter((c) => !this.complaintsSent.has(c.accusedMemberId));
    for (const c of fresh) this.complaintsSent.add(c.accusedMemberId);
    return fresh;
  }

  /** All graph neighbours of this member (after receiveKeySet). */
  get neighbours(): readonly string[] {
    return this.myNeighbours;
  }

  /**
   * Stage advertise_keys, first step (commit-then-reveal): a signed hash of the keys this member
   * will reveal once the coordinator has fixed every member's commitment (receiveCommitments).
   */
  commitKeys(): KeyCommitment {
    this.expect('advertise_keys', 'commitKeys');
    if (this.committed || this.advertised) throw this.violation('advertise_keys', 'keys were already committed or advertised this round');
    this.committed = true;
    const commitment = keyCommitment(this.params.roundId, this.memberId, this.keys.encryption.publicKey, this.keys.mask.publicKey);
    return { memberId: this.memberId, commitment, signature: sign(commitMessage(this.params.roundId, this.memberId, commitment), this.identity.secretKey) };
  }

  /**
   * Stage advertise_keys: the commitments the coordinator fixed. Checks every signature against
   * `identities`, that this member's commitment is in the set unchanged and that enough members
   * committed. From here on the round's member set is fixed: receiveKeySet refuses any other.
   */
  receiveCommitments(set: KeyCommitmentSet, identities: ReadonlyMap<string, Uint8Array>): void {
    this.expect('advertise_keys', 'receiveCommitments');
    if (!this.committed) throw this.violation('advertise_keys', 'the commitments arrived before this member committed to its keys');
    if (this.commitments) throw this.violation('advertise_keys', 'the commitments were already received this round');
    this.guard(() => {
      const { roundId, minMembers } = this.params;
      if (set.roundId !== roundId) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'advertise_keys', `commitment set is for round ${set.roundId}`);
      const commitments = new Map<string, Uint8Array>();
      for (const c of set.commitments) {
        if (commitments.has(c.memberId)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'advertise_keys', `commitment set lists member ${c.memberId} twice`);
        const identity = identities.get(c.memberId);
        if (!identity) throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', `member ${c.memberId} in the commitment set is not enrolled`);
        if (c.commitment.length !== 32 || !verify(commitMessage(roundId, c.memberId, c.commitment), c.signature, identity)) {
          throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', `the signature on member ${c.memberId}'s key commitment does not verify`);
        }
        commitments.set(c.memberId, c.commitment);
      }
      const mine = commitments.get(this.memberId);
      if (!mine) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'advertise_keys', 'the commitment set leaves this member out');
      if (!bytesEqual(mine, keyCommitment(roundId, this.memberId, this.keys.encryption.publicKey, this.keys.mask.publicKey))) {
        throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', "the commitment set changed this member's own commitment");
      }
      if (commitments.size < minMembers) {
        throw this.refuse('TOO_FEW_MEMBERS', 'advertise_keys', `only ${commitments.size} members committed to keys, at least ${minMembers} are required`);
      }
      this.commitments = commitments;
    });
  }

  /** Stage advertise_keys: the two fresh public keys, signed with the identity key (after receiveCommitments when the member committed). */
  advertiseKeys(): AdvertiseKeys {
    this.expect('advertise_keys', 'advertiseKeys');
    if (this.advertised) throw this.violation('advertise_keys', 'keys were already advertised this round');
    // Revealing before the member set is fixed would let the coordinator choose keys after seeing these.
    if (this.committed && !this.commitments) throw this.violation('advertise_keys', 'keys are revealed only after the coordinator sent the fixed commitment set');
    this.advertised = true;
    const encryptionPublicKey = this.keys.encryption.publicKey;
    const maskPublicKey = this.keys.mask.publicKey;
    const signature = sign(advertiseMessage(this.params.roundId, this.memberId, encryptionPublicKey, maskPublicKey), this.identity.secretKey);
    return { memberId: this.memberId, encryptionPublicKey, maskPublicKey, signature };
  }

  /**
   * Stage advertise_keys: verifies every peer's signature against `identities` (the enrolled
   * identity keys this member trusts, not the ones the coordinator sends), that the set holds this
   * member with unchanged keys and no duplicates, recomputes the graph seed and the graph, and
   * refuses when too few members remain for the threshold.
   */
  receiveKeySet(keySet: AdvertisedKeySet, identities: ReadonlyMap<string, Uint8Array>): void {
    this.expect('advertise_keys', 'receiveKeySet');
    if (!this.advertised) throw this.violation('advertise_keys', 'the key set arrived before this member advertised its keys');
    this.guard(() => {
      const { roundId, minMembers, threshold, neighbours } = this.params;
      if (keySet.roundId !== roundId) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'advertise_keys', `key set is for round ${keySet.roundId}`);
      const peers = new Map<string, Peer>();
      const signatures = new Map<string, Uint8Array>();
      const seenKeys = new Set<string>();
      for (const entry of keySet.keys) {
        const id = entry.memberId;
        if (peers.has(id)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'advertise_keys', `key set lists member ${id} twice`);
        const identityPublicKey = identities.get(id);
        if (!identityPublicKey) throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', `member ${id} in the key set is not enrolled`);
        if (entry.identityPublicKey && !bytesEqual(entry.identityPublicKey, identityPublicKey)) {
          throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', `the coordinator sent a different identity key for member ${id}`);
        }
        if (entry.encryptionPublicKey.length !== 32 || entry.maskPublicKey.length !== 32) {
          throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', `member ${id} advertised malformed keys`);
        }
        for (const k of [entry.encryptionPublicKey, entry.maskPublicKey]) {
          // An unusable key (e.g. all zeros, kept in a committed key set) leaves only its owner out, below.
          if (x25519KeyProblem(k)) continue;
          const hex = Buffer.from(k).toString('hex');
          if (seenKeys.has(hex)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'advertise_keys', `a public key is advertised twice (member ${id})`);
          seenKeys.add(hex);
        }
        peers.set(id, { encryptionPublicKey: entry.encryptionPublicKey, maskPublicKey: entry.maskPublicKey, identityPublicKey });
        signatures.set(id, entry.signature);
      }
      const me = peers.get(this.memberId);
      if (!me) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'advertise_keys', 'the key set leaves this member out');
      if (!bytesEqual(me.encryptionPublicKey, this.keys.encryption.publicKey) || !bytesEqual(me.maskPublicKey, this.keys.mask.publicKey)) {
        throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', "the key set changed this member's own keys");
      }
      if (peers.size < minMembers) {
        throw this.refuse('TOO_FEW_MEMBERS', 'advertise_keys', `only ${peers.size} members advertised keys, at least ${minMembers} are required`);
      }
      if (this.commitments) this.checkReveals(peers);
      const entries = [...peers].map(([memberId, p]) => ({ memberId, ...p }));
      const seed = graphSeedFor(roundId, entries);
      if (!bytesEqual(seed, keySet.graphSeed)) {
        throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', 'the graph seed is not the hash of the advertised key set (the coordinator chose the graph)');
      }
      const mine = neighboursOf([...peers.keys()], seed, neighbours, this.memberId);
      // Only neighbours' keys are ever used by this member (shares, masks, signatures), so only
      // their signatures are checked: k verifications instead of n (Bell et al.). A forged key of
      // a non-neighbour is refused by that member's own neighbours; this member's own entry was
      // compared with the keys it generated above.
      const usable: string[] = [];
      for (const id of mine) {
        const p = peers.get(id)!;
        if (!verify(advertiseMessage(roundId, id, p.encryptionPublicKey, p.maskPublicKey), signatures.get(id)!, p.identityPublicKey)) {
          throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', `the signature on member ${id}'s advertised keys does not verify`);
        }
        // The peer signed this key itself: it, not the coordinator, is to blame, and only it
        // leaves this member's round (boxing shares for it, or masking with it, would fail).
        const encProblem = x25519KeyProblem(p.encryptionPublicKey);
        const maskProblem = x25519KeyProblem(p.maskPublicKey);
        if (encProblem || maskProblem) {
          this.excluded.add(id);
          this.complain(id, 'invalid_key', encProblem ? `its encryption key ${encProblem}` : `its mask key ${maskProblem}`);
          continue;
        }
        usable.push(id);
      }
      if (usable.length < threshold) {
        const bad = this.excluded.size ? ` (${this.excluded.size} advertised unusable keys: ${sortedIds(this.excluded).join(', ')})` : '';
        throw this.refuse('TOO_FEW_MEMBERS', 'advertise_keys', `this member has ${usable.length} usable neighbours${bad}, fewer than the threshold ${threshold}`);
      }
      this.peers = new Map(usable.map((id) => [id, peers.get(id)!]));
      this.roster = new Set(peers.keys());
      this.myNeighbours = usable;
    });
    this.currentStage = transitionSecAgg(this.currentStage, 'share_keys');
  }

  /** Stage share_keys: t-of-k shares of the self-mask seed and mask key, one ciphertext per neighbour. */
  async shareKeys(): Promise<EncryptedShare[]> {
    this.expect('share_keys', 'shareKeys');
    if (this.sharesSent) throw this.violation('share_keys', 'shares were already sent this round');
    this.sharesSent = true;
    const k = this.myNeighbours.length;
    const [seedShares, keyShares] = await Promise.all([
      splitSecret(this.selfSeed, k, this.params.threshold),
      splitSecret(this.keys.mask.secretKey, k, this.params.threshold),
    ]);
    return this.myNeighbours.map((to, j) => {
      const peerKey = this.peers.get(to)!.encryptionPublicKey;
      // The nacl.box key is symmetric: the one that seals to a neighbour opens what it sends back.
      const shared = boxKey(peerKey, this.keys.encryption.secretKey) ?? undefined;
      if (shared) this.boxKeys.set(to, shared);
      return sealShares(
        this.params.roundId,
        this.memberId,
        to,
        { selfSeedShare: seedShares[j], maskKeyShare: keyShares[j] },
        this.keys.encryption.secretKey,
        peerKey,
        shared,
      );
    });
  }

  /**
   * Stage share_keys: decrypts the bundles routed to this member and checks their binding. The
   * senders become its live neighbours (it masks with them); fewer than t is refused.
   */
  receiveShares(routed: RoutedShares): void {
    this.expect('share_keys', 'receiveShares');
    if (!this.sharesSent) throw this.violation('share_keys', 'shares arrived before this member sent its own');
    this.guard(() => {
      const { roundId, threshold } = this.params;
      if (routed.roundId !== roundId) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'share_keys', `routed shares are for round ${routed.roundId}`);
      const neighbourSet = new Set(this.myNeighbours);
      const masking = new Set<string>();
      const received = new Map<string, ShareBundle>();
      for (const msg of routed.shares) {
        const from = msg.fromMemberId;
        if (this.excluded.has(from)) continue; // already treated as dropped
        if (!neighbourSet.has(from)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'share_keys', `a share came from ${from}, who is not a neighbour`);
        if (masking.has(from)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'share_keys', `two share bundles came from ${from}`);
        masking.add(from);
        try {
          received.set(from, openShares(roundId, from, this.memberId, msg, this.peers.get(from)!.encryptionPublicKey, this.keys.encryption.secretKey, this.boxKeys.get(from)));
        } catch (err) {
          // One bad bundle costs this member that peer's shares, not the round: it holds none of
          // them and complains. It still masks with the peer (the key agreement did succeed, and
          // the coordinator counts the pair as masked); the complaint lets the coordinator remove
          // that mask without the peer's shares (revealShares: pairwise_seed).
          if (!isConsortError(err, 'SECAGG_VERIFICATION_FAILED')) throw err;
          this.complain(from, 'bad_share_bundle', err.message);
        }
      }
      if (masking.size < threshold) {
        throw this.refuse('TOO_FEW_MEMBERS', 'share_keys', `only ${masking.size} neighbours shared keys, the threshold is ${threshold}`);
      }
      this.masking = masking;
      this.received = received;
    });
    this.currentStage = transitionSecAgg(this.currentStage, 'masked_input');
  }

  /**
   * Stage masked_input, before the input exists: expands this member's masks (self mask plus ±
   * pairwise masks with its live neighbours) into one vector, so that when the local work (training)
   * finishes only one vector add remains. Optional: maskInput expands them itself otherwise. Call it
   * while training still runs; on a member's own machine the expansion then leaves the round's
   * critical path.
   */
  prepareMask(): void {
    this.expect('masked_input', 'prepareMask');
    if (this.preparedMask) return;
    const { modulusBits, vectorLength } = this.params;
    const mask = zeroVector(modulusBits, vectorLength);
    this.guard(() => addMasks(mask, this.maskTerms()));
    this.preparedMask = mask;
  }

  /**
   * Stage masked_input: y = x + PRG(b) + sum over live neighbours v of ±PRG(s_uv)
   * (+ when this member's id sorts before v's). The input is not modified.
   */
  maskInput(input: ModVector): MaskedInput {
    this.expect('masked_input', 'maskInput');
    const { modulusBits, vectorLength } = this.params;
    if (input.bits !== modulusBits || input.length !== vectorLength) {
      throw new ConsortError(
        'INVALID_ARGUMENT',
        `Member ${this.memberId}: the input is Z_2^${input.bits}[${input.length}] but the round expects Z_2^${modulusBits}[${vectorLength}]; quantize with the round's layout.`,
      );
    }
    const vector: ModVector = { bits: input.bits, length: input.length, words: input.words.slice() };
    const prepared = this.preparedMask;
    this.guard(() => {
      if (prepared) addWords(vector.words, prepared.words, modulusBits, 1);
      else addMasks(vector, this.maskTerms());
    });
    // The mask alone would unmask y: it is not kept past this stage.
    prepared?.words.fill(0);
    this.preparedMask = undefined;
    this.currentStage = transitionSecAgg(this.currentStage, 'consistency_check');
    return { memberId: this.memberId, vector };
  }

  /** The self mask and one ± pairwise mask per live neighbour. */
  private maskTerms(): MaskTerm[] {
    const { roundId } = this.params;
    const masks: MaskTerm[] = [{ seed: this.selfSeed, sign: 1 }];
    for (const v of this.liveNeighbours) {
      const seed = pairwiseSeed(roundId, this.memberId, this.keys.mask.secretKey, v, this.peers.get(v)!.maskPublicKey);
      masks.push({ seed, sign: compareIds(this.memberId, v) < 0 ? 1 : -1 });
    }
    return masks;
  }

  /**
   * Stage consistency_check: signs the survivor list only if it includes this member, names only
   * key-set members, meets the minimum, and keeps at least t of this member's live neighbours.
   */
  signSurvivors(request: ConsistencyRequest): SurvivorSignature {
    this.expect('consistency_check', 'signSurvivors');
    let signature: Uint8Array = new Uint8Array(0);
    this.guard(() => {
      const { roundId, threshold, minMembers } = this.params;
      if (request.roundId !== roundId) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'consistency_check', `request is for round ${request.roundId}`);
      const survivors = sortedIds(request.survivors);
      if (new Set(survivors).size !== survivors.length) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'consistency_check', 'the survivor list has duplicates');
      for (const s of survivors) {
        if (!this.roster.has(s)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'consistency_check', `survivor ${s} never advertised keys`);
      }
      if (!survivors.includes(this.memberId)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'consistency_check', 'the survivor list leaves this member out');
      if (survivors.length < minMembers) {
        throw this.refuse('TOO_FEW_MEMBERS', 'consistency_check', `only ${survivors.length} survivors, at least ${minMembers} are required`);
      }
      const set = new Set(survivors);
      const live = this.liveNeighbours.filter((v) => set.has(v)).length;
      if (live < threshold) {
        throw this.refuse('TOO_FEW_MEMBERS', 'consistency_check', `only ${live} of this member's neighbours survived, the threshold is ${threshold}`);
      }
      this.signedSurvivors = survivors;
      signature = sign(consistencyMessage(roundId, survivors), this.identity.secretKey);
    });
    this.currentStage = transitionSecAgg(this.currentStage, 'unmask');
    return { memberId: this.memberId, signature };
  }

  /**
   * Stage unmask: after checking >= t valid survivor signatures on the list this member signed,
   * reveals the self-seed share of each surviving live neighbour and the mask-key share of each
   * dropped one. Refuses a peer in both lists, a dropped peer this member saw survive, itself as
   * dropped, or any forged signature; never reveals both secrets of one peer.
   */
  revealShares(request: UnmaskRequest): UnmaskShares {
    this.expect('unmask', 'revealShares');
    const shares: RevealedShare[] = [];
    this.guard(() => {
      const { roundId, threshold } = this.params;
      if (request.roundId !== roundId) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'unmask', `request is for round ${request.roundId}`);
      const survivors = new Set(request.survivors);
      const dropped = new Set(request.dropped);
      if (survivors.size !== request.survivors.length || dropped.size !== request.dropped.length) {
        throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'unmask', 'the survivor or dropped list has duplicates');
      }
      const signed = new Set(this.signedSurvivors);
      for (const d of dropped) {
        if (survivors.has(d)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'unmask', `member ${d} is listed both as survivor and as dropped (both secrets requested)`);
        if (signed.has(d)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'unmask', `member ${d} is listed as dropped but this member signed it as a survivor`);
      }
      const sameList = survivors.size === signed.size && [...survivors].every((s) => signed.has(s));
      if (!sameList) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'unmask', 'the survivor list differs from the one this member signed');
      const message = consistencyMessage(roundId, this.signedSurvivors);
      const seen = new Set<string>();
      // The signatures that matter are those of the neighbours whose secrets this member holds:
      // at least t of them must have signed the same list (SecAgg+). Others are not verified.
      const neighbourSet = new Set(this.myNeighbours);
      let validNeighbours = 0;
      for (const s of request.signatures) {
        if (!survivors.has(s.memberId)) throw this.refuse('SECAGG_VERIFICATION_FAILED', 'unmask', `a consistency signature comes from ${s.memberId}, who is not a survivor`);
        if (seen.has(s.memberId)) throw this.refuse('SECAGG_PROTOCOL_VIOLATION', 'unmask', `two consistency signatures from ${s.memberId}`);
        seen.add(s.memberId);
        if (!neighbourSet.has(s.memberId)) continue;
        if (!verify(message, s.signature, this.peers.get(s.memberId)!.identityPublicKey)) {
          throw this.refuse('SECAGG_VERIFICATION_FAILED', 'unmask', `the consistency signature of ${s.memberId} does not verify`);
        }
        validNeighbours++;
      }
      if (validNeighbours < threshold) {
        throw this.refuse('SECAGG_VERIFICATION_FAILED', 'unmask', `only ${validNeighbours} valid consistency signatures from this member's neighbours, ${threshold} are required`);
      }
      for (const peer of this.liveNeighbours) {
        const bundle = this.received.get(peer);
        if (bundle) {
          if (survivors.has(peer)) shares.push({ ownerMemberId: peer, kind: 'self_mask_seed', share: bundle.selfSeedShare });
          else if (dropped.has(peer)) shares.push({ ownerMemberId: peer, kind: 'mask_private_key', share: bundle.maskKeyShare });
        } else if (dropped.has(peer) && this.complaints.has(peer)) {
          // No shares of this dropped peer (its bundle was bad): reveal the one mask this member
          // shares with it, s_uv, which is less than its mask key would reveal to the coordinator.
          const seed = pairwiseSeed(roundId, this.memberId, this.keys.mask.secretKey, peer, this.peers.get(peer)!.maskPublicKey);
          shares.push({ ownerMemberId: peer, kind: 'pairwise_seed', share: seed });
        }
      }
    });
    this.currentStage = transitionSecAgg(this.currentStage, 'completed');
    return { memberId: this.memberId, shares };
  }

  /** Records a signed complaint about a peer (one per peer and round). */
  private complain(accused: string, kind: ComplaintKind, detail: string): void {
    if (this.complaints.has(accused)) return;
    const signature = sign(complaintMessage(this.params.roundId, this.memberId, accused, kind, detail), this.identity.secretKey);
    this.complaints.set(accused, { memberId: this.memberId, accusedMemberId: accused, kind, detail, signature });
  }

  /**
   * Commit-then-reveal: the key set must be exactly the committed members, each with the keys it
   * committed to. Otherwise the coordinator re-drew the graph seed after seeing honest keys
   * (by dropping, adding or re-keying a member), which is how a victim's neighbourhood is ground.
   */
  private checkReveals(peers: ReadonlyMap<string, Peer>): void {
    const committed = this.commitments!;
    const roundId = this.params.roundId;
    for (const id of committed.keys()) {
      if (!peers.has(id)) throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', `the key set leaves out member ${id}, which committed to keys (the member set is fixed at the commitments; the graph seed would be re-drawn)`);
    }
    for (const [id, p] of peers) {
      const c = committed.get(id);
      if (!c) throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', `the key set adds member ${id}, which did not commit to keys (the graph seed would be re-drawn)`);
      if (!bytesEqual(c, keyCommitment(roundId, id, p.encryptionPublicKey, p.maskPublicKey))) {
        throw this.refuse('SECAGG_VERIFICATION_FAILED', 'advertise_keys', `member ${id} revealed keys other than those it committed to (the graph seed would be re-drawn)`);
      }
    }
  }

  private expect(stage: SecAggStage, method: string): void {
    if (this.currentStage !== stage) throw wrongStage(`Member ${this.memberId}`, method, stage, this.currentStage, this.abortReason);
  }

  /** Runs a check; any error aborts the session (a refused round is never resumed). */
  private guard(check: () => void): void {
    try {
      check();
    } catch (err) {
      if (this.currentStage !== 'aborted') {
        this.abortReason = err instanceof Error ? err.message : String(err);
        this.currentStage = transitionSecAgg(this.currentStage, 'aborted');
      }
      throw err;
    }
  }

  private refuse(code: 'SECAGG_VERIFICATION_FAILED' | 'SECAGG_PROTOCOL_VIOLATION' | 'TOO_FEW_MEMBERS', stage: SecAggStage, what: string): ConsortError {
    return new ConsortError(code, `Member ${this.memberId} refuses stage ${stage} of round ${this.params.roundId}: ${what}. Abort this round; a fresh round needs fresh keys.`, {
      member: this.memberId,
      stage,
    });
  }

  private violation(stage: SecAggStage, what: string): ConsortError {
    return new ConsortError('SECAGG_PROTOCOL_VIOLATION', `Member ${this.memberId}, stage ${stage}: ${what}.`, { member: this.memberId, stage });
  }
}
