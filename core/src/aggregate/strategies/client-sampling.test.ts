// Client sampling: determinism per (seed, round), bounds, and independence from input order.
import { describe, expect, it } from 'vitest';
import { sampleMembers } from './client-sampling.ts';
import { isConsortError } from '../../errors/consort-error.ts';

const members = Array.from({ length: 20 }, (_, i) => `member-${String(i).padStart(2, '0')}`);

describe('sampleMembers', () => {
  it('is deterministic per (seed, round) and ignores the order members are listed in', () => {
    const a = sampleMembers(members, 0.3, 2, 42, 7);
    expect(sampleMembers([...members].reverse(), 0.3, 2, 42, 7)).toEqual(a);
    expect(a).toHaveLength(6);
    expect(new Set(a).size).toBe(6);
    for (const m of a) expect(members).toContain(m);
    expect([...a].sort()).toEqual(a);
  });

  it('varies across rounds and seeds', () => {
    const picks = new Set<string>();
    for (let round = 1; round <= 10; round++) picks.add(sampleMembers(members, 0.25, 1, 42, round).join());
    picks.add(sampleMembers(members, 0.25, 1, 43, 1).join());
    expect(picks.size).toBe(11);
  });

  it('covers every member over many rounds (no member is starved)', () => {
    const seen = new Map<string, number>();
    for (let round = 1; round <= 400; round++) for (const m of sampleMembers(members, 0.25, 1, 9, round)) seen.set(m, (seen.get(m) ?? 0) + 1);
    expect(seen.size).toBe(20);
    // Each is picked with probability 5/20: about 100 of 400 rounds.
    for (const count of seen.values()) expect(count).toBeGreaterThan(60);
  });

  it('never goes below minMembers, and returns everyone when there are fewer', () => {
    expect(sampleMembers(members, 0.05, 5, 1, 1)).toHaveLength(5);
    expect(sampleMembers(members, 0.3, 0, 1, 1)).toHaveLength(6);
    expect(sampleMembers(members, 0.01, 0, 1, 1)).toHaveLength(1);
    expect(sampleMembers(members.slice(0, 3), 0.5, 5, 1, 1)).toEqual(members.slice(0, 3));
    expect(sampleMembers(members, 1, 1, 1, 1)).toEqual(members);
    expect(sampleMembers([], 0.5, 5, 1, 1)).toEqual([]);
  });

  it('rejects bad arguments naming them', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => sampleMembers(members, 0, 1, 1, 1), 'fraction'],
      [() => sampleMembers(members, 1.5, 1, 1, 1), 'fraction'],
      [() => sampleMembers(members, 0.5, -1, 1, 1), 'minMembers'],
      [() => sampleMembers(members, 0.5, 1, NaN, 1), 'seed'],
      [() => sampleMembers(members, 0.5, 1, 1, 1.5), 'round'],
      [() => sampleMembers(['a', 'a'], 0.5, 1, 1, 1), 'members'],
    ];
    for (const [f, option] of cases) {
      try { f(); expect.unreachable(); } catch (e) {
        expect(isConsortError(e, 'INVALID_ARGUMENT')).toBe(true);
        expect((e as Error).message).toContain(`"${option}"`);
      }
    }
  });
});
