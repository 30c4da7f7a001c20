// Upload slots: at most N holders at once, waiters served in order as slots free up.
import { describe, expect, it } from 'vitest';
import { TransferSlots } from './transfer-slots.ts';

describe('TransferSlots', () => {
  it('admits N uploads, queues the rest and hands freed slots on in order', async () => {
    const slots = new TransferSlots(2);
    const admitted: number[] = [];
    const all = [1, 2, 3, 4].map((i) => slots.acquire().then(() => admitted.push(i)));
    await Promise.resolve();
    await Promise.resolve();
    expect(admitted).toEqual([1, 2]);
    slots.release();
    await all[2];
    expect(admitted).toEqual([1, 2, 3]);
    slots.release();
    slots.release();
    slots.release();
    await all[3];
    expect(admitted).toEqual([1, 2, 3, 4]);
    // Every holder released: both slots can be taken again at once.
    let n = 0;
    for (let i = 0; i < 2; i++) await slots.acquire().then(() => n++);
    expect(n).toBe(2);
  });
});
