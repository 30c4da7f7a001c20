// Strategies that carry state across rounds, and the plain-JSON form the coordinator persists.
import type { Strategy } from '../strategy.ts';
import { ConsortError } from '../../errors/consort-error.ts';

/** Plain JSON (numbers and arrays of numbers): JSON.stringify/parse gives back the same doubles. */
export type StrategyState = Record<string, number[] | number>;

/**
 * A strategy whose aggregate depends on earlier rounds (server momentum, second moments). The
 * coordinator saves `state()` with each published model and calls `restore` after a restart, so
 * a resumed run continues exactly as an uninterrupted one.
 */
export interface StatefulStrategy extends Strategy {
  state(): StrategyState;
  restore(state: StrategyState): void;
}

/** True when `strategy` carries state that must be persisted between rounds. */
export function isStatefulStrategy(strategy: Strategy): strategy is StatefulStrategy {
  const s = strategy as Partial<StatefulStrategy>;
  return typeof s.state === 'function' && typeof s.restore === 'function';
}

function badState(key: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `strategy state "${key}" ${message}`, { option: key });
}

/** Reads a finite vector from saved state; `length` pins it to the other vectors of the state. */
export function readStateVector(state: StrategyState, key: string, length?: number): Float64Array {
  const value = state[key];
  if (!Array.isArray(value)) badState(key, 'must be an array of numbers');
  if (length !== undefined && value.length !== length) badState(key, `has ${value.length} values, expected ${length}`);
  const out = Float64Array.from(value);
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) badState(key, `has a non-finite value at index ${i}`);
  return out;
}

/** Reads a non-negative integer counter from saved state. */
export function readStateCount(state: StrategyState, key: string): number {
  const value = state[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) badState(key, `must be an integer ≥ 0 (got ${JSON.stringify(value)})`);
  return value;
}

/** Rejects keys a strategy does not know, so a state saved by another strategy is not half-read. */
export function checkStateKeys(state: StrategyState, allowed: readonly string[]): void {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) badState('state', 'must be an object');
  for (const key of Object.keys(state)) if (!allowed.includes(key)) badState(key, `is not part of this strategy's state (expected ${allowed.join(', ') || 'nothing'})`);
}
