// What members send into rounds in flight (inputs, secure-aggregation stage messages, declines), checked against the round's state.
import {
  ConsortError, ERROR_CODES, isConsortError, wordsPerElement, type ModulusBits,
} from '@consort/core';
import type { InputHeader__Output } from '@consort/protos/types/InputHeader';
import type { StageSubmission__Output } from '@consort/protos/types/StageSubmission';
import { enrolledMember } from '../members/member-auth.ts';
import type { Store } from '../store/store.ts';
import { settleIfComplete, type ActiveRound, type ActiveRounds } from './active-round.ts';
import { decodeVector } from './round-inputs.ts';

/** Longest decline reason kept from a member (it is stored and shown to the operator). */
const MAX_DECLINE_REASON_CHARS = 500;

export class RoundIntake {
  constructor(private readonly active: ActiveRounds, private readonly store: Store) {}

  /**
   * Checks, before a single payload byte is buffered, that this member may send this input now
   * (its round, its stage, not yet sent) with exactly the bytes it must have, and returns that
   * length. An expected member announcing another length is dropped from the round at once.
   */
  expectedInputBytes(memberId: string, header: InputHeader__Output): number {
    const round = this.active.forMember(memberId, header.roundId);
    const expected = expectedBytesIn(round, memberId, header);
    if (String(expected) !== String(header.byteLength)) {
      const err = new ConsortError('UPDATE_SHAPE_MISMATCH', `update of member ${memberId} has ${header.byteLength} bytes but round ${round.id} expects exactly ${expected}`, { memberId });
      if (round.secure) round.secure.refuse(memberId, `input rejected: ${err.message}`);
      else this.active.drop(round, memberId, `input rejected: ${err.message}`);
      throw err;
    }
    return expected;
  }

  /**
   * A member's complete input for a round: plain float vectors are validated in full before
   * they touch the sums (a bad one drops that member; the round goes on), masked vectors go
   * straight into the secure running sum.
   */
  acceptInput(memberId: string, header: InputHeader__Output, data: Buffer): void {
    const round = this.active.forMember(memberId, header.roundId);
    if (round.secure) {
      if (header.kind !== 'masked' || !header.masked) {
        throw new ConsortError('WRONG_STAGE', `round ${round.id} uses secure aggregation; member ${memberId} must send a masked input`);
      }
      const bits = header.masked.modulusBits as ModulusBits;
      const length = Number(header.masked.vectorLength);
      const words = length * wordsPerElement(bits === 64 ? 64 : 32);
      if ((bits !== 32 && bits !== 64) || data.byteLength !== words * 4) {
        throw new ConsortError('UPDATE_SHAPE_MISMATCH', `masked input of member ${memberId} has ${data.byteLength} bytes for ${length} elements of Z_2^${bits}`);
      }
      // The upload buffer is this input's own (never reused): view it in place when aligned.
      let view: Uint32Array;
      if (data.byteOffset % 4 === 0) view = new Uint32Array(data.buffer, data.byteOffset, words);
      else new Uint8Array((view = new Uint32Array(words)).buffer).set(data);
      round.secure.acceptMaskedInput(memberId, { bits, length, words: view });
      return;
    }
    const plain = plainIntakeOf(round, memberId, header);
    const p = header.plain!;
    try {
      const values = decodeVector(data, round.purpose === 'statistics' ? 'float64' : p.dtype || 'float32', memberId);
      plain.inputs.add(memberId, values, {
        numExamples: p.numExamples, trainLossSum: p.trainLossSum, evalLossSum: p.evalLossSum, evalAbsErrSum: p.evalAbsErrSum,
        evalExamples: p.evalExamples, evalHistPos: p.evalHistPos, evalHistNeg: p.evalHistNeg,
        evalLabelSum: p.evalLabelSum, evalLabelSquareSum: p.evalLabelSquareSum,
      });
    } catch (err) {
      if (isConsortError(err, 'UPDATE_NOT_FINITE')) plain.nonFinite.push(memberId);
      this.active.drop(round, memberId, `input rejected: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    plain.submitted.add(memberId);
    settleIfComplete(round);
  }

  /** A typed secure-aggregation stage message from an authenticated member. */
  acceptStage(memberId: string, submission: StageSubmission__Output): void {
    const round = this.active.forMember(memberId, submission.roundId);
    if (!round.secure) throw new ConsortError('WRONG_STAGE', `round ${round.id} does not use secure aggregation stages`);
    try {
      round.secure.acceptStage(memberId, submission);
    } catch (err) {
      // A message that fails verification removes its sender from the round, not the round.
      if (isConsortError(err, 'SECAGG_VERIFICATION_FAILED') || isConsortError(err, 'SECAGG_PROTOCOL_VIOLATION')) {
        round.secure.refuse(memberId, err.message);
      }
      throw err;
    }
  }

  /**
   * A member declines a round it cannot serve (DeclineRound): it is dropped at once with
   * `declined: CODE: reason`, so the round goes on without waiting for the stage deadline, or
   * aborts at once when too few members remain. Secure rounds treat it as a member that vanished
   * before sending its input. Refused (accepted false) once the member's input is in the sums.
   */
  async declineRound(memberId: string, roundId: string, code: string, reason: string): Promise<{ accepted: boolean; detail: string }> {
    const displayName = (await enrolledMember(this.store, memberId))?.displayName;
    const round = this.active.forMember(memberId, roundId);
    const known = (ERROR_CODES as readonly string[]).includes(code) ? code : 'ROUND_DECLINED';
    const said = reason.replace(/\s+/g, ' ').trim().slice(0, MAX_DECLINE_REASON_CHARS) || 'no reason given';
    const text = `declined: ${known}: ${said}`;
    let accepted: boolean;
    if (round.secure) {
      accepted = round.secure.decline(memberId, text);
    } else {
      accepted = !round.plain?.submitted.has(memberId) && !round.dropped.has(memberId);
      if (accepted) {
        this.active.drop(round, memberId, text);
        // Too few can still send: settle now, the round aborts instead of waiting for its deadline.
        if (round.participants.size - round.dropped.size < round.minMembers) {
          round.cutShort = `not waited for: declines left fewer than the ${round.minMembers} members the task needs`;
          round.plain?.settle();
        }
      }
    }
    const dropped = round.dropped.get(memberId);
    if ((accepted || round.secure) && dropped && displayName) dropped.displayName = displayName;
    return accepted
      ? { accepted, detail: `member ${memberId} left round ${round.id}: ${text}` }
      : { accepted, detail: `member ${memberId}'s input is already in round ${round.id}; the decline came too late and the round goes on with it` };
  }
}

/** A plain round's intake, if this member may send its input now. */
function plainIntakeOf(round: ActiveRound, memberId: string, header: InputHeader__Output): NonNullable<ActiveRound['plain']> {
  const plain = round.plain;
  if (!plain || round.state !== 'masked_input') throw new ConsortError('WRONG_STAGE', `round ${round.id} is in stage ${round.state}, not accepting inputs`);
  if (plain.submitted.has(memberId)) throw new ConsortError('DUPLICATE_SUBMISSION', `member ${memberId} already sent its input for round ${round.id}`);
  if (header.kind !== 'plain' || !header.plain) {
    throw new ConsortError('WRONG_STAGE', `round ${round.id} uses plain aggregation; member ${memberId} sent a ${header.kind ?? 'missing'} input header`);
  }
  return plain;
}

function expectedBytesIn(round: ActiveRound, memberId: string, header: InputHeader__Output): number {
  if (round.secure) {
    if (header.kind !== 'masked' || !header.masked) {
      throw new ConsortError('WRONG_STAGE', `round ${round.id} uses secure aggregation; member ${memberId} must send a masked input`);
    }
    const { bits, length } = round.secure.expectMaskedInput(memberId);
    if (header.masked.modulusBits !== bits || Number(header.masked.vectorLength) !== length) {
      throw new ConsortError('UPDATE_SHAPE_MISMATCH', `member ${memberId} announces ${header.masked.vectorLength} elements of Z_2^${header.masked.modulusBits}; round ${round.id} sums ${length} elements of Z_2^${bits}`);
    }
    return length * wordsPerElement(bits === 64 ? 64 : 32) * 4;
  }
  const plain = plainIntakeOf(round, memberId, header);
  const size = round.purpose === 'statistics' || header.plain!.dtype === 'float64' ? 8 : 4;
  return plain.inputs.length * size;
}
