// The member side of secure aggregation for one round: wraps core's MemberSession around the
// member's local work. Training is a plain handler; this module only masks what it returns
// (advertise keys -> share keys -> masked input -> consistency check -> unmask).
import {
  ConsortError, MemberSession, packContribution, roundVectorLayout,
  type AdvertisedKeySet, type ModVector, type ModulusBits, type RoundContribution, type RoundVectorOptions, type SecAggParams, type VectorLayout,
} from '@consort/core';
import type { AdvertisedKeySet__Output } from '@consort/protos/types/AdvertisedKeySet';
import type { ConsistencyRequest__Output } from '@consort/protos/types/ConsistencyRequest';
import type { InputHeader } from '@consort/protos/types/InputHeader';
import type { KeyCommitmentSet__Output } from '@consort/protos/types/KeyCommitmentSet';
import type { RoutedShares__Output } from '@consort/protos/types/RoutedShares';
import type { StageSubmission } from '@consort/protos/types/StageSubmission';
import type { UnmaskRequest__Output } from '@consort/protos/types/UnmaskRequest';
import type { PeerPins } from './peer-pins.ts';
import { membershipReport, type MembershipReport } from './membership.ts';

interface SecureMemberRoundBase {
  roundId: string;
  memberId: string;
  identity: { publicKey: Uint8Array; secretKey: Uint8Array };
  /** Parameters the coordinator announced; the member re-derives the vector layout itself. */
  params: SecAggParams;
  pins: PeerPins;
  submit(s: StageSubmission): Promise<unknown>;
  upload(header: Omit<InputHeader, 'byteLength'>, payload: Uint8Array): Promise<unknown>;
  /** Changes the packed vector in place before it is masked (LocalWork.alterPacked: adversarial simulations only). */
  tamperPacked?: (vector: ModVector, layout: VectorLayout) => void;
  /**
   * Told the size of the round's key set once this member verified it (receiveKeySet): the count
   * of members it can check itself, which differential privacy sizes noise shares from.
   */
  onKeySetVerified?: (members: number) => void;
}

/** A model round: the contribution is packed with the round-vector layout of `vector`. */
export interface ContributionRoundOptions extends SecureMemberRoundBase {
  vector: RoundVectorOptions;
  /** The local work (training, statistics or evaluation); awaited at the masked-input stage. */
  contribution: Promise<RoundContribution>;
}

/** Any other secure sum: the caller packs the vector of a layout it derived itself. */
export interface PackedRoundOptions extends SecureMemberRoundBase {
  /** Length and modulus of the layout the member derived from the round's work order. */
  layout: { length: number; modulusBits: ModulusBits };
  /** The packed (unmasked) vector; awaited at the masked-input stage. */
  packed: Promise<{ vector: ModVector; clipped: number }>;
}

export type SecureMemberRoundOptions = ContributionRoundOptions | PackedRoundOptions;

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
/**
 * Plain Uint8Array views of received bytes: core's crypto libraries reject Buffer subclasses in
 * places, and a view (unlike a copy) costs nothing for the n key-set entries a member only hashes.
 */
const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const REVEALED_KIND = { self_mask_seed: 'SELF_MASK_SEED', mask_private_key: 'MASK_PRIVATE_KEY', pairwise_seed: 'PAIRWISE_SEED' } as const;

export class SecureMemberRound {
  readonly session: MemberSession;
  /** Values this member clipped before quantization (reported inside the masked vector too). */
  clipped = 0;

  private readonly packed: () => Promise<{ vector: ModVector; clipped: number }>;
  /** The local work (training) has finished, successfully or not. */
  private localWorkSettled = false;

  constructor(private readonly o: SecureMemberRoundOptions) {
    const layout = 'vector' in o ? roundVectorLayout(o.vector) : o.layout;
    this.packed = 'vector' in o
      ? async () => {
        const p = packContribution(o.vector, await o.contribution);
        o.tamperPacked?.(p.vector, roundVectorLayout(o.vector));
        return p;
      }
      : () => o.packed;
    const settle = () => { this.localWorkSettled = true; };
    ('vector' in o ? o.contribution : o.packed).then(settle, settle);
    if (layout.length !== o.params.vectorLength || layout.modulusBits !== o.params.modulusBits) {
      throw new ConsortError('SECAGG_PROTOCOL_VIOLATION',
        `round ${o.roundId} announces a ${o.params.vectorLength}-element Z_2^${o.params.modulusBits} vector; this member computes ${layout.length} elements of Z_2^${layout.modulusBits} for the same task (agent and coordinator versions differ?)`);
    }
    this.session = new MemberSession({ memberId: o.memberId, identity: o.identity, params: o.params });
  }

  /** Stage 1, first step: a signed commitment to this round's fresh X25519 keys (revealed in onCommitments). */
  async advertise(): Promise<void> {
    const c = this.session.commitKeys();
    await this.o.submit({ roundId: this.o.roundId, keyCommitment: { commitment: buf(c.commitment), signature: buf(c.signature) } });
  }

  /**
   * Stage 1, second step: the round's fixed commitments (pinned identities checked); only now
   * are the keys revealed, so nobody could have chosen keys, or the graph seed, after seeing them.
   * Returns what the member's operator should see about the round's member set.
   */
  async onCommitments(m: KeyCommitmentSet__Output, roundName: string): Promise<MembershipReport> {
    const identities = new Map(m.commitments.map((c) => [c.memberId, new Uint8Array(c.identityPublicKey)] as [string, Uint8Array]));
    const { fresh, knownBefore } = this.o.pins.check(identities);
    this.session.receiveCommitments({
      roundId: m.roundId,
      commitments: m.commitments.map((c) => ({ memberId: c.memberId, commitment: u8(c.commitment!.commitment), signature: u8(c.commitment!.signature) })),
    }, identities);
    const a = this.session.advertiseKeys();
    await this.o.submit({ roundId: this.o.roundId, advertiseKeys: { encryptionPublicKey: buf(a.encryptionPublicKey), maskPublicKey: buf(a.maskPublicKey), signature: buf(a.signature) } });
    return membershipReport(roundName, identities, fresh, knownBefore);
  }

  /** Stage 2: verify every peer's signed keys (pinned identities), then send encrypted shares. */
  async onKeySet(m: AdvertisedKeySet__Output): Promise<void> {
    const keySet: AdvertisedKeySet = {
      roundId: m.roundId, graphSeed: u8(m.graphSeed),
      keys: m.keys.map((k) => ({ memberId: k.memberId, encryptionPublicKey: u8(k.keys!.encryptionPublicKey), maskPublicKey: u8(k.keys!.maskPublicKey), signature: u8(k.keys!.signature), identityPublicKey: u8(k.identityPublicKey) })),
    };
    const identities = new Map(m.keys.map((k) => [k.memberId, new Uint8Array(k.identityPublicKey)] as [string, Uint8Array]));
    this.o.pins.check(identities);
    this.session.receiveKeySet(keySet, identities);
    this.o.onKeySetVerified?.(keySet.keys.length);
    // A neighbour with an unusable key is left out of this member's round (no shares, no masks).
    await this.sendComplaints();
    const shares = await this.session.shareKeys();
    await this.o.submit({ roundId: this.o.roundId, shareKeys: { shares: shares.map((s) => ({ ...s, nonce: buf(s.nonce), ciphertext: buf(s.ciphertext) })) } });
  }

  /** Stage 3: take the shares routed to us, mask our quantized contribution and upload it. */
  async onRoutedShares(m: RoutedShares__Output): Promise<void> {
    this.session.receiveShares({ roundId: m.roundId, shares: m.shares.map((x) => ({ ...x, nonce: u8(x.nonce), ciphertext: u8(x.ciphertext) })) });
    // Complaints about bad share bundles go before the masked input, while the coordinator can
    // still remove the accused from the round.
    await this.sendComplaints();
    // Training still running: expand the masks now, so that only one vector add is left once it ends.
    if (!this.localWorkSettled) this.session.prepareMask();
    const packed = await this.packed();
    if (packed.vector.length !== this.o.params.vectorLength || packed.vector.bits !== this.o.params.modulusBits) {
      throw new ConsortError('UPDATE_SHAPE_MISMATCH', `round ${this.o.roundId} expects ${this.o.params.vectorLength} elements of Z_2^${this.o.params.modulusBits}; the local work packed ${packed.vector.length} of Z_2^${packed.vector.bits}`);
    }
    this.clipped = packed.clipped;
    const masked = this.session.maskInput(packed.vector);
    const v = masked.vector;
    await this.o.upload(
      { roundId: this.o.roundId, masked: { modulusBits: v.bits as ModulusBits, vectorLength: String(v.length) } },
      new Uint8Array(v.words.buffer, v.words.byteOffset, v.words.byteLength),
    );
  }

  /** Sends this member's new signed complaints about peers, one submission each. */
  private async sendComplaints(): Promise<void> {
    for (const c of this.session.takeComplaints()) {
      await this.o.submit({
        roundId: this.o.roundId,
        complaint: { accusedMemberId: c.accusedMemberId, kind: c.kind, detail: c.detail, signature: buf(c.signature) },
      });
    }
  }

  /** Stage 4: sign the survivor list (only if enough of our neighbours survived). */
  async onConsistencyRequest(m: ConsistencyRequest__Output): Promise<void> {
    const sig = this.session.signSurvivors({ roundId: m.roundId, survivors: m.survivors });
    await this.o.submit({ roundId: this.o.roundId, consistencySignature: { signature: buf(sig.signature) } });
  }

  /** Stage 5: reveal shares (self-mask seeds of survivors, mask keys of dropped; never both). */
  async onUnmaskRequest(m: UnmaskRequest__Output): Promise<void> {
    const reveal = this.session.revealShares({ roundId: m.roundId, survivors: m.survivors, dropped: m.dropped, signatures: m.signatures.map((x) => ({ memberId: x.memberId, signature: u8(x.signature) })) });
    await this.o.submit({
      roundId: this.o.roundId,
      unmaskShares: {
        shares: reveal.shares.map((s) => ({ ownerMemberId: s.ownerMemberId, kind: REVEALED_KIND[s.kind], share: buf(s.share) })),
      },
    });
  }
}
