// The rounds in flight in this process: who is in each, who was dropped, and the collector's live state.
import { ConsortError, type RoundState, type TrainSettings } from '@consort/core';
import type { Logger } from 'pino';
import type { SecureRound } from '../secagg/secure-round.ts';
import type { RoundInputs } from './round-inputs.ts';
import type { AnyPurpose, DroppedMember } from './round-types.ts';

/** Plain rounds: running sums, who sent an input, who was left out for NaN/Infinity. */
export interface PlainIntake {
  inputs: RoundInputs;
  submitted: Set<string>;
  settle: () => void;
  nonFinite: string[];
}

export interface ActiveRound {
  id: string;
  number: number;
  state: RoundState;
  purpose: AnyPurpose;
  /** Local training settings of this round (after the strategy's learning-rate schedule). */
  train: TrainSettings;
  /** The task's minimum: declines that leave fewer end a plain round's input stage at once. */
  minMembers: number;
  participants: Set<string>;
  dropped: Map<string, DroppedMember>;
  /** Set by the plain collector. */
  plain?: PlainIntake;
  /** Set by the secure collector: the protocol driver. */
  secure?: SecureRound;
  /** Why the input stage closed before its deadline (declines left too few members). */
  cutShort?: string;
}

/** The registry transport handlers reach rounds through; the lifecycle adds and removes rounds. */
export class ActiveRounds {
  private readonly rounds = new Map<string, ActiveRound>();

  constructor(private readonly logger: Logger) {}

  add(round: ActiveRound): void {
    this.rounds.set(round.id, round);
  }

  remove(roundId: string): void {
    this.rounds.delete(roundId);
  }

  all(): IterableIterator<ActiveRound> {
    return this.rounds.values();
  }

  /** The round a member may act in now, or ROUND_NOT_OPEN / NOT_A_PARTICIPANT. */
  forMember(memberId: string, roundId: string): ActiveRound {
    const round = this.rounds.get(roundId);
    if (!round) throw new ConsortError('ROUND_NOT_OPEN', `round ${roundId} is not open (it finished, was aborted, or never existed)`);
    if (!round.participants.has(memberId)) throw new ConsortError('NOT_A_PARTICIPANT', `member ${memberId} was not selected for round ${round.id}`);
    const dropped = round.dropped.get(memberId);
    if (dropped) throw new ConsortError('ROUND_NOT_OPEN', `member ${memberId} was dropped from round ${round.id}: ${dropped.reason}`);
    return round;
  }

  /** Leaves a member out of a plain round (a secure round's driver drops members itself). */
  drop(round: ActiveRound, memberId: string, reason: string): void {
    if (round.dropped.has(memberId) || round.plain?.submitted.has(memberId)) return;
    round.dropped.set(memberId, { memberId, stage: round.state, reason });
    this.logger.warn({ round: round.id, member: memberId, reason }, 'member dropped from round');
    settleIfComplete(round);
  }

  /** A member's connection closed: every round it is in hears of it. */
  memberOffline(memberId: string): void {
    for (const round of this.rounds.values()) {
      if (!round.participants.has(memberId)) continue;
      if (round.secure) round.secure.memberGone(memberId);
      else if (!round.plain?.submitted.has(memberId)) this.drop(round, memberId, 'disconnected before sending its input');
    }
  }
}

/** A plain round's input stage ends once every participant has sent or been dropped. */
export function settleIfComplete(round: ActiveRound): void {
  if (round.plain && round.plain.submitted.size + round.dropped.size >= round.participants.size) round.plain.settle();
}
