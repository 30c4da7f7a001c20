// The server side of secure aggregation for one round: drives core's CoordinatorSession through
// advertise_keys -> share_keys -> masked_input -> consistency_check -> unmask, each stage with a
// deadline, routing only ciphertext and signatures. It hands back the unmasked SUM, nothing else.
import { ConsortError, CoordinatorSession, type ModVector, type RoundEvent, type SecAggParams, type SecAggResult, type SecAggWorkingStage } from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import type { StageSubmission__Output } from '@consort/protos/types/StageSubmission';
import {
  advertisementFrom, commitmentFrom, commitmentSetMessage, complaintFrom, consistencyMessage, keySetMessage, revealFrom, routedSharesMessage, sharesFrom, signatureFrom, unmaskMessage,
} from './secagg-messages.ts';

export interface SecureRoundOptions {
  params: SecAggParams;
  /** Enrolled Ed25519 identity keys of the invited members. */
  identities: ReadonlyMap<string, Uint8Array>;
  participants: string[];
  stageTimeoutMs: number;
  send(memberId: string, event: CoordinatorEvent): boolean;
  /** Persists the round's transition (state machine + deadline) before the stage's effects. */
  advance(event: RoundEvent, deadlineMs: number): Promise<void>;
  /** A member left the protocol at a stage (late, disconnected, or refused input). */
  onDrop(memberId: string, reason: string): void;
  /** Records an event in the audit trail (complaints between members, blamed revealers). */
  audit?(kind: string, detail: Record<string, unknown>): void;
}

/** The stages a secure round waits for members in (the state machine's non-terminal secagg stages). */
export type SecureStage = SecAggWorkingStage;
type Stage = SecureStage;

interface Waiter {
  stage: Stage;
  expected: Set<string>;
  answered: Set<string>;
  release: () => void;
}

export class SecureRound {
  readonly session: CoordinatorSession;
  private waiter?: Waiter;
  private readonly gone = new Set<string>();
  /** Seconds each stage stayed open (from its opening message to its close), in stage order. */
  private readonly stageTimes: Partial<Record<Stage, number>> = {};
  /** The commitments closed: advertise_keys now takes the revealed keys. */
  private revealing = false;
  /** Set when declines left too few members to finish a stage: it closed without waiting. */
  private cutShort = false;

  constructor(private readonly o: SecureRoundOptions) {
    this.session = new CoordinatorSession({ params: o.params, identities: o.identities });
  }

  /** Runs the stages after RoundOpen was broadcast (the round is in advertise_keys). */
  async run(): Promise<SecAggResult> {
    const { o, session } = this;
    // Commit-then-reveal inside advertise_keys: commitments first, the fixed set broadcast, then
    // the keys. Keys of those who committed only: the member set is fixed before any key is seen.
    await this.collect('advertise_keys', o.participants);
    const commitments = session.closeCommitments();
    const committed = commitments.commitments.map((c) => c.memberId);
    this.broadcast(committed, () => ({ keyCommitmentSet: commitmentSetMessage(commitments, o.identities) }));
    this.revealing = true;
    await this.collect('advertise_keys', committed);
    const keySet = session.closeAdvertiseKeys();
    await o.advance({ type: 'keys_advertised' }, Date.now() + o.stageTimeoutMs);
    const sharing = keySet.keys.map((k) => k.memberId);
    this.broadcast(sharing, () => ({ keySet: keySetMessage(keySet) }));

    await this.collect('share_keys', sharing);
    const routed = session.closeShareKeys();
    await o.advance({ type: 'shares_routed' }, Date.now() + o.stageTimeoutMs);
    this.broadcast([...routed.keys()], (id) => ({ routedShares: routedSharesMessage(routed.get(id)!) }));

    await this.collect('masked_input', [...routed.keys()]);
    const consistency = session.closeMaskedInput();
    await o.advance({ type: 'inputs_closed', secure: true }, Date.now() + o.stageTimeoutMs);
    this.broadcast(consistency.survivors, () => ({ consistencyRequest: consistencyMessage(consistency) }));

    await this.collect('consistency_check', consistency.survivors);
    const unmask = session.closeConsistencyCheck();
    await o.advance({ type: 'consistency_checked' }, Date.now() + o.stageTimeoutMs);
    const signers = unmask.signatures.map((s) => s.memberId);
    // A member checks only its neighbours' signatures (SecAgg+), so each gets those: O(k) bytes, not O(n).
    const graph = session.neighbourGraph!;
    this.broadcast(signers, (id) => {
      const mine = new Set(graph.neighbours.get(id));
      return { unmaskRequest: unmaskMessage({ ...unmask, signatures: unmask.signatures.filter((s) => mine.has(s.memberId)) }) };
    });

    await this.collect('unmask', signers);
    const result = await session.finish().catch((err: unknown) => {
      this.o.audit?.('secagg.unmask_failed', { reason: err instanceof Error ? err.message : String(err), member: (err as { details?: { member?: string } }).details?.member });
      throw err;
    });
    for (const b of result.blamed) {
      this.o.audit?.('secagg.share_blamed', { member: b.memberId, owner: b.owner, reason: b.reason });
    }
    return result;
  }

  /**
   * How long each stage so far waited for its members (seconds), shown with the round's metrics:
   * which stage an operator's deadline, or a slow member, is spent in.
   */
  stageSeconds(): Partial<Record<Stage, number>> {
    return { ...this.stageTimes };
  }

  /** A typed stage submission from an authenticated member. */
  acceptStage(memberId: string, s: StageSubmission__Output): void {
    const stage = this.currentStage();
    const want: Record<string, Stage> = {
      keyCommitment: 'advertise_keys', advertiseKeys: 'advertise_keys', shareKeys: 'share_keys', consistencySignature: 'consistency_check', unmaskShares: 'unmask',
    };
    const kind = s.stage ?? 'none';
    if (kind === 'complaint') {
      this.acceptComplaint(memberId, s);
      return;
    }
    if (want[kind] !== stage) {
      throw new ConsortError('WRONG_STAGE', `round ${this.o.params.roundId} is in stage ${stage}; member ${memberId} sent ${kind}`);
    }
    if (stage === 'advertise_keys' && (kind === 'advertiseKeys') !== this.revealing) {
      throw new ConsortError('WRONG_STAGE', `round ${this.o.params.roundId} takes ${this.revealing ? 'revealed keys (advertiseKeys)' : 'key commitments (keyCommitment)'} now; member ${memberId} sent ${kind}`);
    }
    this.expectMember(memberId, stage);
    const accepted =
      kind === 'keyCommitment' ? this.session.receiveCommitment(commitmentFrom(memberId, s.keyCommitment!))
        : kind === 'advertiseKeys' ? this.session.receiveAdvertisement(advertisementFrom(memberId, s.advertiseKeys!))
        : kind === 'shareKeys' ? this.session.receiveShares(memberId, sharesFrom(memberId, s.shareKeys!.shares))
          : kind === 'consistencySignature' ? this.session.receiveConsistencySignature(signatureFrom(memberId, s.consistencySignature!.signature))
            : this.session.receiveUnmaskShares(revealFrom(memberId, s.unmaskShares!));
    if (!accepted) throw new ConsortError('WRONG_STAGE', `stage ${stage} of round ${this.o.params.roundId} already closed`);
    this.answered(memberId);
  }

  /** Checks that `memberId` may send its masked input now; the vector shape it must have. */
  expectMaskedInput(memberId: string): { bits: number; length: number } {
    if (this.currentStage() !== 'masked_input') {
      throw new ConsortError('WRONG_STAGE', `round ${this.o.params.roundId} is in stage ${this.currentStage()}, not accepting masked inputs`);
    }
    this.expectMember(memberId, 'masked_input');
    return { bits: this.o.params.modulusBits, length: this.o.params.vectorLength };
  }

  /**
   * A signed complaint about a neighbour (share_keys or masked_input; it does not answer the
   * stage). Recorded in the audit trail with its signature; when the accused can no longer be
   * unmasked it leaves the round, with a reason naming who accused it.
   */
  private acceptComplaint(memberId: string, s: StageSubmission__Output): void {
    if (!this.o.participants.includes(memberId)) throw new ConsortError('NOT_A_PARTICIPANT', `member ${memberId} is not in round ${this.o.params.roundId}`);
    if (this.gone.has(memberId)) throw new ConsortError('ROUND_NOT_OPEN', `member ${memberId} was dropped from round ${this.o.params.roundId}`);
    const complaint = complaintFrom(memberId, s.complaint!);
    const evidence = {
      complainer: memberId, accused: complaint.accusedMemberId, kind: complaint.kind, detail: complaint.detail,
      signature: Buffer.from(complaint.signature).toString('hex'), stage: this.session.stage,
    };
    let outcome;
    try {
      outcome = this.session.receiveComplaint(complaint);
    } catch (err) {
      // A refused complaint (false, forged or out of place) is evidence against its sender: keep it.
      this.o.audit?.('secagg.complaint_refused', { ...evidence, reason: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    this.o.audit?.('secagg.complaint', { ...evidence, evicted: outcome.evicted, summary: outcome.summary });
    if (outcome.evicted && !this.gone.has(complaint.accusedMemberId)) {
      this.gone.add(complaint.accusedMemberId);
      this.o.onDrop(complaint.accusedMemberId, outcome.summary);
      this.settleIfDone();
    }
  }

  /** A member's masked vector (stage masked_input): added to the running sum at once. */
  acceptMaskedInput(memberId: string, vector: ModVector): void {
    if (this.currentStage() !== 'masked_input') {
      throw new ConsortError('WRONG_STAGE', `round ${this.o.params.roundId} is in stage ${this.currentStage()}, not accepting masked inputs`);
    }
    this.expectMember(memberId, 'masked_input');
    if (!this.session.receiveMaskedInput(memberId, vector)) throw new ConsortError('WRONG_STAGE', 'masked_input already closed');
    this.answered(memberId);
  }

  /** A member disconnected: stop waiting for it in this stage and later ones. */
  memberGone(memberId: string): void {
    this.gone.add(memberId);
    if (this.waiter?.expected.has(memberId) && !this.waiter.answered.has(memberId)) {
      this.o.onDrop(memberId, `disconnected during ${this.waiter.stage}`);
      this.settleIfDone();
    }
  }

  /** A member's submission was refused: it takes no further part. */
  refuse(memberId: string, reason: string): void {
    // The refusal is the reason on record (memberGone would report a disconnection).
    this.gone.add(memberId);
    this.o.onDrop(memberId, reason);
    this.settleIfDone();
  }

  /**
   * A member declined the round (it cannot serve it): dropped at once with its reason, as if it
   * vanished before sending its input. When too few members could still answer the stage, the
   * stage closes now (its close then aborts the round) instead of at its deadline. False when
   * the decline comes too late: the member's masked input is already in the sum.
   */
  decline(memberId: string, reason: string): boolean {
    const stage = this.currentStage();
    const inSum = stage === 'consistency_check' || stage === 'unmask' || (stage === 'masked_input' && this.waiter?.answered.has(memberId) === true);
    if (inSum || this.gone.has(memberId)) return false;
    this.gone.add(memberId);
    this.o.onDrop(memberId, reason);
    const w = this.waiter;
    if (w && [...w.expected].filter((m) => !this.gone.has(m)).length < this.o.params.minMembers) this.cutShort = true;
    this.settleIfDone();
    return true;
  }

  private currentStage(): Stage {
    return (this.waiter?.stage ?? this.session.stage) as Stage;
  }

  private expectMember(memberId: string, stage: Stage): void {
    if (!this.waiter || this.waiter.stage !== stage || !this.waiter.expected.has(memberId)) {
      throw new ConsortError('NOT_A_PARTICIPANT', `member ${memberId} is not expected in stage ${stage} of round ${this.o.params.roundId}`);
    }
    if (this.waiter.answered.has(memberId)) {
      throw new ConsortError('DUPLICATE_SUBMISSION', `member ${memberId} already answered stage ${stage} of round ${this.o.params.roundId}`);
    }
    if (this.gone.has(memberId)) throw new ConsortError('ROUND_NOT_OPEN', `member ${memberId} was dropped from round ${this.o.params.roundId}`);
  }

  private answered(memberId: string): void {
    this.waiter?.answered.add(memberId);
    this.settleIfDone();
  }

  private settleIfDone(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.cutShort) { w.release(); return; }
    for (const m of w.expected) if (!w.answered.has(m) && !this.gone.has(m)) return;
    w.release();
  }

  private broadcast(members: string[], event: (id: string) => CoordinatorEvent): void {
    for (const m of members) {
      if (this.gone.has(m)) continue;
      if (!this.o.send(m, event(m))) this.memberGone(m);
    }
  }

  /** Waits until every expected member answered, left, or the stage deadline passed. */
  private async collect(stage: Stage, expected: string[]): Promise<void> {
    const opened = performance.now();
    let release!: () => void;
    const done = new Promise<void>((r) => { release = r; });
    this.waiter = { stage, expected: new Set(expected), answered: new Set(), release };
    this.settleIfDone();
    const timer = setTimeout(release, this.o.stageTimeoutMs);
    await done;
    clearTimeout(timer);
    // advertise_keys is collected twice (commitments, then keys): its time is the sum.
    this.stageTimes[stage] = (this.stageTimes[stage] ?? 0) + (performance.now() - opened) / 1000;
    const w = this.waiter;
    // Closed early because too few could answer: the others did nothing wrong, the round aborts.
    for (const m of this.cutShort ? [] : w.expected) {
      if (!w.answered.has(m) && !this.gone.has(m)) {
        this.gone.add(m);
        this.o.onDrop(m, `no ${stage} message before the ${Math.round(this.o.stageTimeoutMs / 1000)}s deadline`);
      }
    }
    this.waiter = undefined;
  }
}
