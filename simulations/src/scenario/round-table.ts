// Console tables of rounds and model versions, for the demo and the operator CLI.
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import { formatWarningLines, metricCell, NOT_MEASURED, type Store } from '@consort/coordinator';

export const ROUND_TABLE_HEADER = '-----  ----------  -------  -------  ----------  -------------  ------------  --------';

const num = (x: number | null | undefined, digits = 4) => metricCell(x, digits);

/**
 * One line per round, then one line per warning it raised; held-out metrics are those of the
 * model the round started from, and "—" marks what a round did not measure.
 */
export function formatRoundRow(r: RoundReport__Output): string {
  const m = r.metrics;
  const isTrain = r.purpose === 'train';
  const hasEval = r.purpose !== 'statistics' && m && m.evalExamples > 0;
  const cells = [
    String(r.roundNumber).padStart(5),
    r.purpose.replace('segmentation-', 'seg-').padEnd(10),
    String(r.participants.length - r.dropped.length).padStart(7),
    String(r.dropped.length).padStart(7),
    (isTrain && m ? num(m.trainLoss) : NOT_MEASURED).padStart(10),
    (hasEval ? num(m!.evalLoss) : NOT_MEASURED).padStart(13),
    (hasEval ? num(m!.evalAuc) : NOT_MEASURED).padStart(12),
    r.state === 'aborted' ? `ABORTED: ${r.reason}`
      : r.purpose === 'statistics' ? 'preprocessing fitted'
      : r.purpose === 'evaluate' ? 'final model evaluated'
      : r.purpose === 'audit' ? 'fairness audit signed and stored'
      : r.purpose.startsWith('segmentation') ? (r.modelVersionId ? `segments released (${r.modelVersionId.slice(0, 8)})` : 'secure sums received')
      : `model stored (${r.modelVersionId.slice(0, 8)})`,
  ];
  return [cells.join('  '), ...formatWarningLines(m?.warnings)].join('\n');
}

/** Model versions of a task with their training loss and federated held-out metrics. */
export async function modelVersionTable(store: Store, taskId: string): Promise<string> {
  const versions = await store.listModelVersions(taskId);
  const lines = ['version  train loss  held-out loss  held-out AUC  held-out rows  sha256', '-------  ----------  -------------  ------------  -------------  ------------'];
  for (const v of versions) {
    const m = v.metrics as { trainLoss?: number; evaluation?: { evalLoss: number; evalAuc: number | null; evalExamples: number }; restoredFrom?: { version: number } };
    lines.push([
      `v${v.version}`.padStart(7),
      num(m.trainLoss).padStart(10),
      num(m.evaluation?.evalLoss).padStart(13),
      num(m.evaluation?.evalAuc ?? undefined).padStart(12),
      String(m.evaluation?.evalExamples ?? NOT_MEASURED).padStart(13),
      v.sha256.slice(0, 12) + (m.restoredFrom ? `  final: v${m.restoredFrom.version} again (lowest held-out loss)` : ''),
    ].join('  '));
  }
  return lines.join('\n');
}

interface SegmentationVersionMetrics {
  kind?: string;
  k: number;
  criteria?: { summary?: string };
  minClusterCount: number;
  profiles: {
    overall: { size: number; churnRate?: number; meanValue?: number };
    segments: { name: string; size: number | null; share: number | null; suppressed: boolean; features: { name: string; mean: number }[]; churnRate?: number; meanValue?: number; description: string }[];
  };
}

/**
 * The segments of a segmentation task's newest model, as the operator reads them in a terminal:
 * how k was chosen, then per segment its share, size, churn rate, mean value, feature means and
 * description (aggregates only; suppressed segments say so). Empty when the task has none.
 */
export async function segmentSummary(store: Store, taskId: string): Promise<string> {
  const versions = await store.listModelVersions(taskId);
  const last = [...versions].reverse().find((v) => (v.metrics as { kind?: string }).kind === 'segmentation');
  if (!last) return '';
  const m = last.metrics as unknown as SegmentationVersionMetrics;
  const pct = (x: number | null | undefined) => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : NOT_MEASURED);
  const val = (x: number | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: 1 }) : NOT_MEASURED);
  const o = m.profiles.overall;
  const lines = [
    `Segments of model v${last.version}: k = ${m.k}. ${m.criteria?.summary ?? ''}`.trim(),
    `All customers: ${o.size.toLocaleString('en-US')}${o.churnRate !== undefined ? `, churn rate ${pct(o.churnRate)}` : ''}${o.meanValue !== undefined ? `, mean value ${val(o.meanValue)}` : ''}`,
  ];
  for (const s of m.profiles.segments) {
    if (s.suppressed) {
      lines.push(`  ${s.name}: suppressed (fewer than ${m.minClusterCount} customers)`);
      continue;
    }
    lines.push(`  ${s.name}: ${pct(s.share)} (${(s.size ?? 0).toLocaleString('en-US')} customers)`
      + `${s.churnRate !== undefined ? `, churn rate ${pct(s.churnRate)}` : ''}${s.meanValue !== undefined ? `, mean value ${val(s.meanValue)}` : ''}`);
    lines.push(`      ${s.features.map((f) => `${f.name} ${val(f.mean)}`).join(' · ')}`);
    if (s.description) lines.push(`      ${s.description}`);
  }
  return lines.join('\n');
}
