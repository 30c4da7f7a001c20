// How many members this member's DP noise share is sized for: only what it verified itself, never
// the coordinator's word alone (a coordinator inflating the count would shrink every share).

/**
 * The count a noise share is sized for: the fewer of the members the coordinator announced and
 * the members whose keys this member received in the round's verified key set (each signed with
 * its enrolled identity, committed before any key was revealed; MemberSession.receiveKeySet). A
 * member that is not in the sum cannot add noise to it, so sizing for the key set never lowers the
 * total below σ·S; a count above the key set is refused by the key-set check anyway.
 */
export function noiseShareMembers(announced: number, verifiedKeys: number): number {
  if (!(Number.isInteger(announced) && announced >= 1) || !(Number.isInteger(verifiedKeys) && verifiedKeys >= 1)) {
    throw new RangeError(`member counts must be integers ≥ 1 (announced ${announced}, verified ${verifiedKeys})`);
  }
  return Math.min(announced, verifiedKeys);
}

/**
 * The count for one secure round, known once the key set is verified. Local work starts while
 * keys are exchanged and waits for it only when it adds noise; a round that ends first rejects
 * it, so the waiting work ends too.
 */
export class NoiseSharers {
  readonly members: Promise<number>;
  private settle!: { resolve: (n: number) => void; reject: (err: Error) => void };
  private settled = false;

  constructor(readonly announced: number) {
    this.members = new Promise<number>((resolve, reject) => { this.settle = { resolve, reject }; });
    // Nobody may be waiting (a round without DP): an abandoned count is not an unhandled rejection.
    this.members.catch(() => undefined);
  }

  /** The key set verified with `keys` members: the shares are sized for min(announced, keys). */
  verified(keys: number): number {
    const n = noiseShareMembers(this.announced, keys);
    if (!this.settled) this.settle.resolve(n);
    this.settled = true;
    return n;
  }

  /** The round ended (or failed) before its key set was verified: no noise share will be sized. */
  abandon(why: string): void {
    if (!this.settled) this.settle.reject(new Error(`the round's key set was never verified (${why}): no noise share was sized`));
    this.settled = true;
  }
}
