// Task definitions: the dropout tolerance that sizes the secure-aggregation graph.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { DEFAULT_DROPOUT_TOLERANCE } from '../secagg/params.ts';
import { resolveTaskDefinition, type TaskDefinitionInput } from './task-definition.ts';

const base: TaskDefinitionInput = { name: 'churn', label: 'churned', numeric: ['recency_days'] };

describe('task definition: dropoutTolerance', () => {
  it('defaults to 0.1 and keeps a declared value', () => {
    expect(resolveTaskDefinition(base).dropoutTolerance).toBe(DEFAULT_DROPOUT_TOLERANCE);
    expect(resolveTaskDefinition({ ...base, dropoutTolerance: 0.3 }).dropoutTolerance).toBe(0.3);
  });

  for (const bad of [0.5, -0.1, Number.NaN]) {
    it(`refuses ${bad}, naming the field`, () => {
      let err: unknown;
      try {
        resolveTaskDefinition({ ...base, dropoutTolerance: bad });
      } catch (e) {
        err = e;
      }
      expect(isConsortError(err) && err.code).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toBe(
        'task definition field "dropoutTolerance": must be in [0, 0.5): the fraction of members a round may lose (e.g. 0.3); beyond half no secure round can finish',
      );
    });
  }
});
