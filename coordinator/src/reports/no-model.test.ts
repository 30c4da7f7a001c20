// A run without a model names its cause: members' declines first, else the last abort reason.
import { describe, expect, it } from 'vitest';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import { noModelError } from './no-model.ts';

const aborted = (reason: string, dropped: string[] = []): RoundReport__Output => ({
  roundId: 'r', purpose: 'statistics', roundNumber: 1, state: 'aborted', reason, modelVersionId: '', metrics: null, participants: [], dropped, waiting: null,
});

describe('noModelError', () => {
  it('names the members\' declines rather than the protocol stage', () => {
    const err = noModelError([aborted('aborted in advertise_keys: only 0 members advertised keys', [
      'Shop 1 (m1): declined: DATA_INVALID: my-customers.csv: missing column "tenure_month"', 'Shop 2 (m2): declined: DATA_INVALID: x.csv: missing column "tenure_month"',
    ])], 'run again');
    expect(err.code).toBe('NO_MODEL_PUBLISHED');
    expect(err.message).toBe('no model was published: members declined the rounds their data cannot serve (2 declines; first: declined: DATA_INVALID: my-customers.csv: missing column "tenure_month"); fix the members\' files or the task\'s columns and run again');
  });
  it('gives the last abort reason and the advice otherwise', () => {
    expect(noModelError([aborted('too few members')], 'check the agents').message)
      .toBe('no model was published: 1 of 1 rounds were aborted (last: too few members); check the agents');
  });
});
