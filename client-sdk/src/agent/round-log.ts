// What a member's log says about each round: its number, purpose, outcome, model and metrics.
import type { RoundClosed__Output } from '@consort/protos/types/RoundClosed';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';

/** What the agent remembers of a round it was invited to, for its log lines. */
export interface RoundSeen {
  roundId: string;
  number: number;
  purpose: string;
  aggregation: string;
}

export function roundSeenOf(open: RoundOpen__Output): RoundSeen {
  return { roundId: open.roundId, number: open.roundNumber, purpose: open.purpose || 'train', aggregation: open.aggregation || 'plain' };
}

/** "round 3 (train, secure)", or the round id when the agent never saw it open. */
export function roundName(seen: RoundSeen | undefined, roundId: string): string {
  return seen ? `round ${seen.number} (${seen.purpose}, ${seen.aggregation})` : `round ${roundId}`;
}

const rows = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(4));

/** One line for a closed round: outcome, the model it produced, and the federation's metrics. */
export function roundClosedLine(seen: RoundSeen | undefined, closed: RoundClosed__Output): string {
  const name = roundName(seen, closed.roundId);
  if (closed.outcome !== 'aggregated') return `${name} ${closed.outcome || 'closed'}${closed.reason ? `: ${closed.reason}` : ''}`;
  const m = closed.metrics;
  const purpose = seen?.purpose;
  const members = m ? `${m.participants} member${m.participants === 1 ? '' : 's'}` : '';
  const quality = m && m.evalExamples > 0
    ? `held-out loss ${fixed(m.evalLoss)}${m.evalAuc !== undefined ? `, AUC ${fixed(m.evalAuc)}` : ''} on ${rows(m.evalExamples)} rows`
    : '';
  if (!m) return `${name} aggregated${closed.modelVersionId ? `: model ${closed.modelVersionId}` : ''}`;
  if (purpose === 'statistics') return `${name} aggregated: preprocessing fitted from ${rows(m.numExamples)} rows of ${members}`;
  if (purpose === 'evaluate') return `${name} aggregated: final model ${quality || 'not evaluated (no held-out rows)'}, ${members}`;
  const parts = [
    closed.modelVersionId ? `new model ${closed.modelVersionId}` : 'no new model',
    `train loss ${fixed(m.trainLoss)} over ${rows(m.numExamples)} rows of ${members}`,
    ...m.warnings.map((w) => `warning ${w.code}: ${w.message}`),
    ...(quality ? [`previous model ${quality}`] : []),
  ];
  return `${name} aggregated: ${parts.join('; ')}`;
}
