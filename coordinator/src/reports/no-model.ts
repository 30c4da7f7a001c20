// The NO_MODEL_PUBLISHED error of a run whose rounds all aborted (coordinator `run`, federate, demo).
import { ConsortError } from '@consort/core';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';

/**
 * Says how many rounds aborted and why; when members declined (their data cannot serve the task),
 * that is the cause to name, not the protocol stage the round was in when too few were left.
 */
export function noModelError(reports: RoundReport__Output[], advice: string): ConsortError {
  const aborted = reports.filter((r) => r.state === 'aborted');
  const declines = aborted.flatMap((r) => r.dropped).filter((d) => d.includes('declined:'));
  if (declines.length > 0) {
    const first = declines[0].slice(declines[0].indexOf('declined:'));
    return new ConsortError('NO_MODEL_PUBLISHED',
      `no model was published: members declined the rounds their data cannot serve (${declines.length} decline${declines.length > 1 ? 's' : ''}; first: ${first}); fix the members' files or the task's columns and run again`);
  }
  const why = aborted.at(-1)?.reason;
  return new ConsortError('NO_MODEL_PUBLISHED', `no model was published: ${aborted.length} of ${reports.length} rounds were aborted${why ? ` (last: ${why})` : ''}; ${advice}`);
}
