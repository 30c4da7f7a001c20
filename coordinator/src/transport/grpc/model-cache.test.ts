// Model downloads from memory: one store read for concurrent downloads, bounded, failures not kept.
import { describe, expect, it } from 'vitest';
import { ConsortError, isConsortError } from '@consort/core';
import type { ModelVersionRecord, Store, TaskRecord } from '../../store/store.ts';
import { ModelCache } from './model-cache.ts';

function fakeStore(params: Record<string, number>) {
  const reads: string[] = [];
  const store = {
    async getModelVersion(id: string): Promise<ModelVersionRecord> {
      reads.push(id);
      await new Promise((r) => setTimeout(r, 1));
      if (!(id in params)) throw new ConsortError('NOT_FOUND', `Model version ${id} does not exist`);
      const weights = Float32Array.from({ length: params[id] }, (_, i) => i);
      return { id, taskId: `task-${id}`, version: 1, sha256: `sha-${id}`, parameterCount: weights.length, metrics: {}, createdAt: new Date(), weights };
    },
    async getTask(id: string): Promise<TaskRecord> {
      return { id, federationId: 'fed-1' } as TaskRecord;
    },
  };
  return { store: store as unknown as Store, reads };
}

describe('ModelCache', () => {
  it('serves concurrent and later downloads of a version from one store read', async () => {
    const { store, reads } = fakeStore({ a: 3 });
    const cache = new ModelCache(store);
    const [x, y] = await Promise.all([cache.get('a'), cache.get('a')]);
    const z = await cache.get('a');
    expect(reads).toEqual(['a']);
    expect(x).toBe(y);
    expect(z).toBe(x);
    expect(x).toMatchObject({ id: 'a', federationId: 'fed-1', sha256: 'sha-a' });
    expect(Array.from(new Float32Array(x.bytes.buffer, x.bytes.byteOffset, 3))).toEqual([0, 1, 2]);
  });

  it('does not keep failures', async () => {
    const { store, reads } = fakeStore({});
    const cache = new ModelCache(store);
    for (let i = 0; i < 2; i++) {
      const err = await cache.get('missing').catch((e: unknown) => e);
      expect(isConsortError(err, 'NOT_FOUND')).toBe(true);
    }
    expect(reads).toEqual(['missing', 'missing']);
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used versions beyond its entry and byte bounds', async () => {
    const { store, reads } = fakeStore({ a: 10, b: 10, c: 10, big: 1000 });
    const cache = new ModelCache(store, { maxEntries: 2, maxBytes: 100 });
    await cache.get('a');
    await cache.get('b');
    await cache.get('a'); // a is now the most recent
    await cache.get('c'); // evicts b
    expect(cache.size).toBe(2);
    await cache.get('a');
    await cache.get('b');
    expect(reads).toEqual(['a', 'b', 'c', 'b']);
    await cache.get('big'); // larger than the byte bound: served, not kept
    await cache.get('big');
    expect(reads.filter((r) => r === 'big')).toHaveLength(2);
  });
});
