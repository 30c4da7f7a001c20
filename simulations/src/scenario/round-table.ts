// Console tables of rounds and model versions, for the demo and the operator CLI.
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import type { Store } from '@consort/coordinator';

export const ROUND_TABLE_HEADER = '-----  ----------  -------  -------  ----------  -------------  ------------  --------';

function num(x: number | undefined, digits = 4): string {
  return x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

/** One line per round; held-out metrics are those of the model the round started from. */
export function formatRoundRow(r: RoundReport__Output): string {
  const m = r.metrics;
  const isTrain = r.purpose === 'train';
  const hasEval = r.purpose !== 'statistics' && m && m.evalExamples > 0;
  const cells = [
    String(r.roundNumber).padStart(5),
    r.purpose.replace('segmentation-', 'seg-').padEnd(10),
    String(r.participants.length - r.dropped.length).padStart(7),
    String(r.dropped.length).padStart(7),
    (isTrain && m ? num(m.trainLoss) : '-').padStart(10),
    (hasEval ? num(m!.evalLoss) : '-').padStart(13),
    (hasEval ? num(m!.evalAuc) : '-').padStart(12),
    r.state === 'aborted' ? `ABORTED: ${r.reason}`
      : r.purpose === 'statistics' ? 'preprocessing fitted'
      : r.purpose === 'evaluate' ? 'final model evaluated'
      : r.purpose.startsWith('segmentation') ? (r.modelVersionId ? `segments released (${r.modelVersionId.slice(0, 8)})` : 'secure sums received')
      : `model stored (${r.modelVersionId.slice(0, 8)})`,
  ];
  return cells.join('  ');
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
      String(m.evaluation?.evalExamples ?? '-').padStart(13),
      v.sha256.slice(0, 12) + (m.restoredFrom ? `  final: v${m.restoredFrom.version} again (lowest held-out loss)` : ''),
    ].join('  '));
  }
  return lines.join('\n');
}
