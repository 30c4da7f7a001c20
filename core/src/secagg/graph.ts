// The SecAgg+ neighbour graph (Bell et al., CCS 2020): a Harary graph over a seeded random permutation.
import { createCipheriv } from 'node:crypto';
import { ConsortError } from '../errors/consort-error.ts';
import { sha256, signedBytes, sortedIds } from './encoding.ts';
import { DOMAIN } from './keys.ts';

/** The public keys of one member that fix the graph seed. */
export interface GraphKeyEntry {
  memberId: string;
  encryptionPublicKey: Uint8Array;
  maskPublicKey: Uint8Array;
}

/**
 * Graph seed = SHA-256(domain | round | for each member in id order: id | enc pk | mask pk).
 *
 * Why this prevents isolating a member: the seed is a hash of every fresh, signed, member-chosen
 * key in the round, and every member recomputes it. The keys were committed (keyCommitment)
 * before any was revealed and members refuse a key set other than the committed members with
 * their committed keys, so nobody, the coordinator's own members included, can choose keys or
 * the member subset after seeing honest keys: the coordinator can only abort a round whose
 * graph it dislikes. Isolating a target (t of its k neighbours in a coalition holding a fraction
 * g of members) is then as likely as in a random graph, negligible for k = O(log n) (Bell et al.).
 */
export function graphSeedFor(roundId: string, entries: readonly GraphKeyEntry[]): Uint8Array {
  const byId = new Map(entries.map((e) => [e.memberId, e]));
  const parts: Array<string | Uint8Array> = [DOMAIN.graph, roundId];
  for (const id of sortedIds(byId.keys())) {
    const e = byId.get(id)!;
    parts.push(id, e.encryptionPublicKey, e.maskPublicKey);
  }
  return sha256(signedBytes(parts));
}

/** Undirected neighbour lists (each sorted by id); `complete` when every pair is connected. */
export interface NeighbourGraph {
  complete: boolean;
  neighbours: ReadonlyMap<string, readonly string[]>;
}

/** Uniform integers from an AES-256-CTR stream keyed by a hash of the seed (rejection sampling). */
class SeededIntegers {
  private readonly cipher;
  private buffer = new Uint32Array(0);
  private index = 0;

  constructor(seed: Uint8Array) {
    this.cipher = createCipheriv('aes-256-ctr', sha256(signedBytes(['consort.v1/graph-permutation', seed])), new Uint8Array(16));
  }

  private nextWord(): number {
    if (this.index >= this.buffer.length) {
      const bytes = this.cipher.update(new Uint8Array(4096));
      this.buffer = new Uint32Array(new Uint8Array(bytes).buffer);
      this.index = 0;
    }
    return this.buffer[this.index++];
  }

  /** Uniform in [0, bound). */
  below(bound: number): number {
    const limit = Math.floor(4294967296 / bound) * bound;
    for (;;) {
      const w = this.nextWord();
      if (w < limit) return w % bound;
    }
  }
}

/**
 * Builds the neighbour graph: complete when k >= n - 1; otherwise the Harary graph H(k, n) on a
 * seeded permutation of the sorted ids (each position i joined to i±1..i±floor(k/2), plus the
 * opposite position when k is odd; for odd k and odd n we use k + 1 so every degree is >= k).
 * Deterministic: members and the coordinator get the same graph from the same ids and seed.
 */
export function buildNeighbourGraph(memberIds: readonly string[], seed: Uint8Array, k: number): NeighbourGraph {
  const layout = graphLayout(memberIds, seed, k);
  const { ids } = layout;
  const sets = new Map<string, Set<string>>(ids.map((id) => [id, new Set<string>()]));
  if (layout.complete) {
    for (const a of ids) for (const b of ids) if (a !== b) sets.get(a)!.add(b);
    return freeze(sets, true);
  }
  const { order, offsets } = layout;
  const n = ids.length;
  for (let i = 0; i < n; i++) {
    for (const s of offsets) {
      const a = order[i];
      const b = order[(i + s) % n];
      sets.get(a)!.add(b);
      sets.get(b)!.add(a);
    }
  }
  return freeze(sets, false);
}

/**
 * One member's neighbours in the graph buildNeighbourGraph builds (same ids, seed and k), sorted:
 * O(n) for the permutation and O(k) for the member, instead of every member's list. Members need
 * only their own; the coordinator builds the whole graph.
 */
export function neighboursOf(memberIds: readonly string[], seed: Uint8Array, k: number, memberId: string): readonly string[] {
  const layout = graphLayout(memberIds, seed, k);
  if (!layout.ids.includes(memberId)) throw new ConsortError('INVALID_ARGUMENT', `Member ${memberId} is not in the neighbour graph.`);
  if (layout.complete) return Object.freeze(layout.ids.filter((id) => id !== memberId));
  const { order, offsets } = layout;
  const n = order.length;
  const p = order.indexOf(memberId);
  const mine = new Set<string>();
  // Position p is joined to p + s (as i = p) and to p - s (as i = p - s) for every offset s.
  for (const s of offsets) {
    mine.add(order[(p + s) % n]);
    mine.add(order[(p - s + n) % n]);
  }
  return Object.freeze(sortedIds(mine));
}

/** The sorted ids and, unless complete, the seeded permutation and the Harary offsets. */
function graphLayout(memberIds: readonly string[], seed: Uint8Array, k: number):
  { ids: string[]; complete: true } | { ids: string[]; complete: false; order: string[]; offsets: number[] } {
  const ids = sortedIds(new Set(memberIds));
  if (ids.length !== memberIds.length) throw new ConsortError('INVALID_ARGUMENT', 'Duplicate member ids in the neighbour graph.');
  const n = ids.length;
  if (!Number.isInteger(k) || k < 1) throw new ConsortError('INVALID_ARGUMENT', `Graph degree k must be a positive integer, got ${k}.`);
  if (k >= n - 1) return { ids, complete: true };
  const rng = new SeededIntegers(seed);
  const order = ids.slice();
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const offsets: number[] = [];
  const half = Math.floor(k / 2);
  for (let s = 1; s <= half; s++) offsets.push(s);
  if (k % 2 === 1) {
    if (n % 2 === 0) offsets.push(n / 2);
    else offsets.push(half + 1);
  }
  return { ids, complete: false, order, offsets };
}

function freeze(sets: Map<string, Set<string>>, complete: boolean): NeighbourGraph {
  const neighbours = new Map<string, readonly string[]>();
  for (const [id, s] of sets) neighbours.set(id, Object.freeze(sortedIds(s)));
  return { complete, neighbours };
}
