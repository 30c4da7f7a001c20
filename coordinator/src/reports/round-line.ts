// The operator's text of a finished round (CLI `run`, `federate`, `demo`): metrics it measured, "—" for those it did not, its warnings.
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import type { RoundWarning__Output } from '@consort/protos/types/RoundWarning';
import { formatStageSeconds } from './stage-summary.ts';

/** Shown for a quantity the round did not measure (a statistics round's loss, a regression AUC). */
export const NOT_MEASURED = '—';

/** A metric with `digits` decimals, or "—" when absent or not a finite number. */
export function metricCell(x: number | null | undefined, digits = 4): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : NOT_MEASURED;
}

/** One indented line per warning: "  warning CODE [column]: message". */
export function formatWarningLines(warnings: readonly Pick<RoundWarning__Output, 'code' | 'message' | 'column'>[] | undefined): string[] {
  return (warnings ?? []).map((w) => `  warning ${w.code}${w.column ? ` [${w.column}]` : ''}: ${w.message}`);
}

/**
 * "round 3 train published: 5 members, train loss 0.4123, held-out loss 0.4410, AUC 0.8120, model …; stages (s): …"
 * followed by one line per warning and per dropped member. A statistics round shows "—" for the
 * losses and AUC it never measured; held-out metrics belong to the model the round started from.
 */
/** Round purposes of model training, whose lines carry the model's losses and AUC ("—" when not measured). */
const MODEL_PURPOSES = new Set(['train', 'evaluate', 'statistics']);

export function formatRoundLine(r: RoundReport__Output): string {
  const m = r.metrics;
  // Audit, reweighing and segmentation rounds sum counts: a loss or AUC column would only ever say "—".
  const quality = m && MODEL_PURPOSES.has(r.purpose);
  const trained = r.purpose === 'train';
  const evaluated = (r.purpose === 'train' || r.purpose === 'evaluate') && m !== null && m !== undefined && m.evalExamples > 0;
  const stages = m ? formatStageSeconds(m.stageSeconds) : undefined;
  const head = `round ${r.roundNumber} ${r.purpose} ${r.state}${r.reason ? ` (${r.reason})` : ''}: ${r.participants.length - r.dropped.length} members`
    + (quality ? `, train loss ${trained ? metricCell(m.trainLoss) : NOT_MEASURED}, held-out loss ${evaluated ? metricCell(m.evalLoss) : NOT_MEASURED}, AUC ${evaluated ? metricCell(m.evalAuc) : NOT_MEASURED}` : '')
    + (r.modelVersionId ? `, model ${r.modelVersionId}` : '')
    + (m && typeof m.privacyEpsilon === 'number' ? `, privacy ε ${m.privacyEpsilon.toFixed(3)} of ${m.privacyBudgetEpsilon ?? '?'} (δ ${m.privacyDelta ?? '?'})` : '')
    + (stages ? `; stages (s): ${stages}` : '')
    + (m?.warnings?.length ? `; ${m.warnings.length} warning${m.warnings.length > 1 ? 's' : ''}` : '');
  return [head, ...formatWarningLines(m?.warnings), ...r.dropped.map((d) => `  dropped ${d}`)].join('\n');
}
