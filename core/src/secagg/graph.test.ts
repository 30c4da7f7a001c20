// Tests of the SecAgg+ neighbour graph: degree, symmetry, determinism and seed binding.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { buildNeighbourGraph, graphSeedFor, neighboursOf } from './graph.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

describe('neighbour graph', () => {
  it('is complete when k >= n - 1', () => {
    const g = buildNeighbourGraph(ids(6), new Uint8Array(32), 10);
    expect(g.complete).toBe(true);
    for (const [id, ns] of g.neighbours) {
      expect(ns.length).toBe(5);
      expect(ns).not.toContain(id);
    }
  });

  for (const [n, k] of [[100, 13], [101, 13], [40, 11], [41, 10], [1000, 20]] as const) {
    it(`n=${n}, k=${k}: every degree >= k (and <= k + 1), symmetric, no self loops`, () => {
      const g = buildNeighbourGraph(ids(n), new Uint8Array(randomBytes(32)), k);
      expect(g.complete).toBe(false);
      for (const [id, ns] of g.neighbours) {
        expect(ns.length).toBeGreaterThanOrEqual(k);
        expect(ns.length).toBeLessThanOrEqual(k + 1);
        expect(ns).not.toContain(id);
        for (const v of ns) expect(g.neighbours.get(v)).toContain(id);
      }
    });
  }

  for (const [n, k] of [[6, 10], [9, 3], [10, 3], [41, 10], [101, 13], [100, 19], [500, 21]] as const) {
    it(`n=${n}, k=${k}: one member's neighbours (what a member computes) equal its list in the whole graph`, () => {
      const seed = new Uint8Array(randomBytes(32));
      const g = buildNeighbourGraph(ids(n), seed, k);
      for (const [id, ns] of g.neighbours) expect(neighboursOf(ids(n).reverse(), seed, k, id)).toEqual(ns);
    });
  }

  it('asking for the neighbours of a member outside the graph is an error naming it', () => {
    let err: unknown;
    for (const k of [5, 40]) { // sparse and complete
      err = undefined;
      try { neighboursOf(ids(30), new Uint8Array(32), k, 'stranger'); } catch (e) { err = e; }
      expect(isConsortError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect(String(err)).toContain('stranger');
    }
  });

  it('is deterministic given the seed and independent of the order of ids', () => {
    const seed = new Uint8Array(randomBytes(32));
    const a = buildNeighbourGraph(ids(50), seed, 8);
    const b = buildNeighbourGraph(ids(50).reverse(), seed, 8);
    expect([...a.neighbours]).toEqual([...b.neighbours]);
    const c = buildNeighbourGraph(ids(50), new Uint8Array(randomBytes(32)), 8);
    expect([...a.neighbours]).not.toEqual([...c.neighbours]);
  });

  it('the seed is bound to every advertised key: changing one key changes the graph', () => {
    const entries = ids(30).map((memberId) => ({
      memberId,
      encryptionPublicKey: new Uint8Array(randomBytes(32)),
      maskPublicKey: new Uint8Array(randomBytes(32)),
    }));
    const seed = graphSeedFor('r1', entries);
    expect(graphSeedFor('r1', entries.slice().reverse())).toEqual(seed);
    const changed = entries.map((e, i) => (i === 7 ? { ...e, maskPublicKey: new Uint8Array(randomBytes(32)) } : e));
    expect(graphSeedFor('r1', changed)).not.toEqual(seed);
    expect(graphSeedFor('r2', entries)).not.toEqual(seed);
    const g1 = buildNeighbourGraph(ids(30), seed, 6);
    const g2 = buildNeighbourGraph(ids(30), graphSeedFor('r1', changed), 6);
    expect([...g1.neighbours]).not.toEqual([...g2.neighbours]);
  });
});
