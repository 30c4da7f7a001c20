// Client sampling: which enrolled members are invited to a round.
import { ConsortError } from '../../errors/consort-error.ts';
import { SeededRandom } from '../../random/seeded-random.ts';

function invalid(option: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `sampling option "${option}" ${message}`, { option });
}

/**
 * Picks max(minMembers, ⌈fraction·n⌉) of `members` uniformly without replacement (all of them
 * when there are fewer), as in FedAvg's client fraction C (McMahan et al., AISTATS 2017).
 * The choice depends only on (seed, round) and the SET of members: the input is sorted first,
 * so a coordinator restarted mid-task, listing members in another order, invites the same ones.
 * Returned in sorted order. The stream is SeededRandom, not a CSPRNG: sampling is public and
 * reproducible by design, it is not a secret.
 */
export function sampleMembers(members: string[], fraction: number, minMembers: number, seed: number, round: number): string[] {
  if (!Array.isArray(members) || members.some((m) => typeof m !== 'string')) invalid('members', 'must be an array of member ids');
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) invalid('fraction', `must be in (0, 1] (got ${fraction})`);
  if (!Number.isInteger(minMembers) || minMembers < 0) invalid('minMembers', `must be an integer ≥ 0 (got ${minMembers})`);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) invalid('seed', `must be a finite number (got ${seed})`);
  if (!Number.isInteger(round) || round < 0) invalid('round', `must be an integer ≥ 0 (got ${round})`);
  const sorted = [...members].sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) invalid('members', `lists "${sorted[i]}" twice`);

  const n = sorted.length;
  // The small epsilon keeps 0.3·10 = 3.0000000000000004 from rounding up to 4.
  const wanted = Math.min(n, Math.max(minMembers, Math.ceil(fraction * n - 1e-9)));
  if (wanted === n) return sorted;
  // fork(round) gives each round its own stream of the task's seed.
  const order = new SeededRandom(seed).fork(round).permutation(n);
  const chosen = Array.from(order.subarray(0, wanted)).sort((a, b) => a - b);
  return chosen.map((i) => sorted[i]);
}
