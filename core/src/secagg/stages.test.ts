// Tests of the secure-aggregation transition table: every listed pair passes, every other pair throws.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { SECAGG_STAGES, SECAGG_TRANSITIONS, canTransitionSecAgg, transitionSecAgg } from './stages.ts';

describe('secagg stages', () => {
  it('accepts exactly the pairs of the table', () => {
    const valid = new Set(SECAGG_TRANSITIONS.map(([f, t]) => `${f}>${t}`));
    let checked = 0;
    for (const from of SECAGG_STAGES) {
      for (const to of SECAGG_STAGES) {
        checked++;
        if (valid.has(`${from}>${to}`)) {
          expect(transitionSecAgg(from, to)).toBe(to);
        } else {
          expect(canTransitionSecAgg(from, to)).toBe(false);
          let err: unknown;
          try {
            transitionSecAgg(from, to);
          } catch (e) {
            err = e;
          }
          expect(isConsortError(err, 'INVALID_TRANSITION')).toBe(true);
        }
      }
    }
    expect(checked).toBe(49);
    expect(valid.size).toBe(10);
  });
});
