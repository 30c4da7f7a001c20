// Early stopping: patience, minDelta, the best round, and state across a restart.
import { describe, expect, it } from 'vitest';
import { EarlyStopping } from './early-stopping.ts';

describe('EarlyStopping', () => {
  it('stops after `patience` rounds without improvement and remembers the best round', () => {
    const es = new EarlyStopping({ patience: 2, minDelta: 0 });
    expect(es.best).toBeNull();
    const decisions = [1.0, 0.8, 0.9, 0.7, 0.75, 0.71].map((loss, i) => es.observe(i + 1, loss));
    expect(decisions).toEqual(['continue', 'continue', 'continue', 'continue', 'continue', 'stop']);
    expect(es.best).toEqual({ round: 4, loss: 0.7 });
  });

  it('counts improvements smaller than minDelta as none', () => {
    const es = new EarlyStopping({ patience: 2, minDelta: 0.05 });
    es.observe(1, 1.0);
    expect(es.observe(2, 0.97)).toBe('continue');
    expect(es.observe(3, 0.96)).toBe('stop');
    expect(es.best).toEqual({ round: 1, loss: 1.0 });
  });

  it('treats a non-finite loss as no improvement', () => {
    const es = new EarlyStopping({ patience: 2 });
    expect(es.observe(1, NaN)).toBe('continue');
    expect(es.best).toBeNull();
    expect(es.observe(2, Infinity)).toBe('stop');
  });

  it('continues identically after a restart from its JSON state', () => {
    const losses = [1, 0.9, 0.95, 0.93, 0.94, 0.96];
    const straight = new EarlyStopping({ patience: 3 });
    const a = losses.map((l, i) => straight.observe(i + 1, l));
    const first = new EarlyStopping({ patience: 3 });
    const b = losses.slice(0, 3).map((l, i) => first.observe(i + 1, l));
    const resumed = new EarlyStopping({ patience: 3 });
    resumed.restore(JSON.parse(JSON.stringify(first.state())));
    b.push(...losses.slice(3).map((l, i) => resumed.observe(i + 4, l)));
    expect(b).toEqual(a);
    expect(a.at(-1)).toBe('stop');
    expect(resumed.best).toEqual(straight.best);
    expect(() => resumed.observe(6, 0.1)).toThrow(/round/);
  });

  it('has documented defaults and rejects bad options naming them', () => {
    const es = new EarlyStopping();
    expect([es.patience, es.minDelta]).toEqual([10, 1e-4]);
    expect(() => new EarlyStopping({ patience: 0 })).toThrow(/"patience"/);
    expect(() => new EarlyStopping({ minDelta: -1 })).toThrow(/"minDelta"/);
  });
});
