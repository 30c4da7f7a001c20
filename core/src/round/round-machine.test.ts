// Exhaustive test of the round transition table: every valid pair passes, every other throws.
import { describe, expect, it } from 'vitest';
import { ROUND_STATES, transition, validTransitions, type RoundEvent, type RoundState } from './round-machine.ts';
import { isConsortError } from '../errors/consort-error.ts';

const EVENTS: { name: string; event: RoundEvent }[] = [
  { name: 'start_secure', event: { type: 'start_secure' } },
  { name: 'start_plain', event: { type: 'start_plain' } },
  { name: 'keys_advertised', event: { type: 'keys_advertised' } },
  { name: 'shares_routed', event: { type: 'shares_routed' } },
  { name: 'inputs_closed:secure', event: { type: 'inputs_closed', secure: true } },
  { name: 'inputs_closed:plain', event: { type: 'inputs_closed', secure: false } },
  { name: 'consistency_checked', event: { type: 'consistency_checked' } },
  { name: 'unmasked', event: { type: 'unmasked' } },
  { name: 'publish', event: { type: 'publish' } },
];

describe('round state machine', () => {
  const valid = new Map(validTransitions().map((t) => [`${t.from}|${t.event}`, t.to]));

  it('accepts exactly the pairs of the table and rejects the rest', () => {
    let accepted = 0;
    for (const state of ROUND_STATES) {
      for (const { name, event } of EVENTS) {
        const expected = valid.get(`${state}|${name}`);
        if (expected) {
          expect(transition(state, event).state).toBe(expected);
          accepted++;
        } else {
          let error: unknown;
          try { transition(state, event); } catch (e) { error = e; }
          expect(isConsortError(error, 'INVALID_TRANSITION'), `${state} + ${name}`).toBe(true);
        }
      }
    }
    expect(accepted).toBe(valid.size);
  });

  it('walks the secure path stage by stage', () => {
    let s: RoundState = 'open';
    for (const e of ['start_secure', 'keys_advertised', 'shares_routed', 'inputs_closed:secure', 'consistency_checked', 'unmasked', 'publish']) {
      s = transition(s, EVENTS.find((x) => x.name === e)!.event).state;
    }
    expect(s).toBe('published');
  });

  it('aborts from every non-terminal state with its reason, never from a terminal one', () => {
    for (const state of ROUND_STATES) {
      if (state === 'published' || state === 'aborted') {
        expect(() => transition(state, { type: 'abort', reason: 'x' })).toThrow(/cannot be aborted/);
      } else {
        expect(transition(state, { type: 'abort', reason: 'too few members' })).toEqual({
          state: 'aborted', effects: ['announce_close'], reason: 'too few members',
        });
      }
    }
  });
});
