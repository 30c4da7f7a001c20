// Admits or refuses each RoundOpen before the agent does anything for it: checks the member's
// policy and pinned task (round-policy.ts), pins a task at its first round and logs what the
// member agreed to, or why it refused.
import { ConsortError, formatError, isConsortError } from '@consort/core';
import type { AdvertisedKeySet__Output } from '@consort/protos/types/AdvertisedKeySet';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { DEFAULT_MIN_MEMBERS_FLOOR, checkKeySetSize, checkRoundOpen, describeTerms, type MemberPolicy } from './round-policy.ts';
import type { TaskPins } from './task-pin.ts';
import { checkAuditFloors } from '../audit/audit-guard.ts';

interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** Rounds admitted but whose key set has not arrived yet are remembered up to this many. */
const MAX_PENDING_KEY_SETS = 1000;

export class RoundAdmission {
  /** Announced member count of each admitted secure round, until its key set arrives. */
  private readonly invited = new Map<string, number>();

  constructor(private readonly policy: MemberPolicy, private readonly pins: TaskPins, private readonly log: Logger, private readonly memberId: () => string) {
    if (!Number.isInteger(policy.minMembersFloor) || policy.minMembersFloor < DEFAULT_MIN_MEMBERS_FLOOR) {
      throw new ConsortError('INVALID_ARGUMENT', `the member's minimum-members floor must be an integer of at least ${DEFAULT_MIN_MEMBERS_FLOOR}, got ${String(policy.minMembersFloor)} (--min-members)`);
    }
    if (policy.auditFloors) checkAuditFloors(policy.auditFloors);
  }

  /** True when the member may serve the round; false (and a logged reason) when it refuses. */
  admit(open: RoundOpen__Output, onRefused?: (err: unknown) => void): boolean {
    return this.attempt(open.roundId, () => {
      const pinned = this.pins.get(open.taskId);
      const terms = checkRoundOpen(open, pinned?.terms, this.policy);
      if (!pinned) {
        const pin = this.pins.pin(terms);
        this.log.info(`agreed to task ${open.taskId} (pinned, sha256 ${pin.sha256.slice(0, 16)}; every later round must match): ${describeTerms(terms)}`,
          { member: this.memberId(), task: open.taskId, sha256: pin.sha256 });
      }
      if (open.aggregation === 'secure' && open.secagg) {
        if (this.invited.size >= MAX_PENDING_KEY_SETS) this.invited.delete(this.invited.keys().next().value!);
        this.invited.set(open.roundId, open.secagg.invitedMembers);
      }
    }, open.taskId, onRefused);
  }

  /** False (and a logged reason) when a key set lists more members than its round announced. */
  admitKeySet(keySet: AdvertisedKeySet__Output): boolean {
    const invited = this.invited.get(keySet.roundId);
    this.invited.delete(keySet.roundId);
    return invited === undefined || this.attempt(keySet.roundId, () => checkKeySetSize(keySet.roundId, invited, keySet.keys.length));
  }

  private attempt(roundId: string, check: () => void, task?: string, onRefused?: (err: unknown) => void): boolean {
    try {
      check();
      return true;
    } catch (err) {
      this.log.warn(`round ${roundId} refused: ${formatError(err)}`, { member: this.memberId(), task, code: isConsortError(err) ? err.code : 'INTERNAL' });
      onRefused?.(err);
      return false;
    }
  }
}
