// Default neighbour count from a dropout tolerance: the values, and that they really survive the dropouts.
import { describe, expect, it } from 'vitest';
import { buildNeighbourGraph } from './graph.ts';
import { neighboursForDropouts, resolveSecAggParams } from './params.ts';
import { SeededRandom } from '../random/seeded-random.ts';

/** Rounds (of `trials`) in which some surviving member keeps fewer than t live neighbours. */
function abortedRounds(n: number, k: number, dropout: number, trials: number): number {
  const ids = Array.from({ length: n }, (_, i) => `m${String(i).padStart(4, '0')}`);
  const t = Math.floor(k / 2) + 1;
  // Seeded, so the dropout draws below are fixed.
  const random = new SeededRandom(n * 1000 + k);
  const rand = () => random.next();
  let aborted = 0;
  for (let trial = 0; trial < trials; trial++) {
    const seed = new Uint8Array(32).map(() => Math.floor(rand() * 256));
    const graph = buildNeighbourGraph(ids, seed, k);
    const gone = new Set(ids.filter(() => rand() < dropout));
    const fails = ids.some((id) => !gone.has(id) && graph.neighbours.get(id)!.filter((v) => !gone.has(v)).length < t);
    if (fails) aborted++;
  }
  return aborted;
}

describe('neighbours for a dropout tolerance', () => {
  it('grows with the tolerance from ceil(2 log2 n) up to the complete graph', () => {
    expect(neighboursForDropouts(100, 0)).toBe(14);
    expect(neighboursForDropouts(100, 0.1)).toBe(19);
    expect(neighboursForDropouts(100, 0.3)).toBe(99);
    expect(neighboursForDropouts(500, 0)).toBe(18);
    expect(neighboursForDropouts(500, 0.1)).toBe(21);
    expect(neighboursForDropouts(500, 0.3)).toBe(123);
    expect(() => neighboursForDropouts(100, 0.5)).toThrow(/dropoutTolerance/);
  });

  it('the resolved parameters use it unless k is given; small federations stay complete', () => {
    expect(resolveSecAggParams({ roundId: 'r', vectorLength: 8, modulusBits: 32, dropoutTolerance: 0.3 }, 500).neighbours).toBe(123);
    expect(resolveSecAggParams({ roundId: 'r', vectorLength: 8, modulusBits: 32, dropoutTolerance: 0.3, neighbours: 20 }, 500).neighbours).toBe(20);
    expect(resolveSecAggParams({ roundId: 'r', vectorLength: 8, modulusBits: 32 }, 12).neighbours).toBe(11);
  });

  it('30 % random dropouts at n = 500: k = 123 survives every draw, the old k = 18 aborts most of them', () => {
    const k = neighboursForDropouts(500, 0.3);
    expect(abortedRounds(500, k, 0.3, 40)).toBe(0);
    expect(abortedRounds(500, 18, 0.3, 40)).toBeGreaterThan(30);
  });
});
