// The NO_MODEL_PUBLISHED error of a local run (federate, demo) whose rounds all aborted.
import { ConsortError } from '@consort/core';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';

/** Says how many rounds aborted and the last reason, then what to do. */
export function noModelError(reports: RoundReport__Output[], advice: string): ConsortError {
  const aborted = reports.filter((r) => r.state === 'aborted');
  const why = aborted.at(-1)?.reason;
  return new ConsortError('NO_MODEL_PUBLISHED', `no model was published: ${aborted.length} of ${reports.length} rounds were aborted${why ? ` (last: ${why})` : ''}; ${advice}`);
}
