// `evaluate`: the operator measures a published model on the members' current data (a drift check): one evaluation round, no new version.
import type { Command } from 'commander';
import { ConsortError, integerOption, modelVersionOption } from '@consort/core';
import { formatRoundLine } from '../reports/round-line.ts';
import { operatorOptions, output, withAdmin, type Conn } from './operator-client.ts';

/** Adds `evaluate` to the coordinator CLI. */
export function registerEvaluateCommand(program: Command): Command {
  return operatorOptions(program.command('evaluate')
    .description('measure a published model on the members\' current data (drift check): one evaluation round, stored with that version; no new model')
    .requiredOption('--task <id>', 'task id')
    .option('--version <n>', 'model version to evaluate; 0 = the latest published', modelVersionOption, 0)
    .option('--wait <seconds>', 'wait for enough members before the round', integerOption('--wait', 1, 86_400), 60))
    .action((o: Conn & { task: string; version: number; wait: number }) => withAdmin(o, async (admin) => {
      const reports = await admin.runRounds(o.task, 0, o.wait, undefined, {
        workflow: 'evaluate', modelVersion: o.version,
        onWaiting: (w) => console.error(`waiting for members: ${w.online}/${w.needed} connected (the round starts when ${w.needed} are, or after ${w.waitSeconds} s)`),
      });
      const round = reports.at(-1);
      if (!round || round.state !== 'published') {
        throw new ConsortError('EVALUATION_ABORTED', `the evaluation round of task ${o.task} was aborted${round?.reason ? `: ${round.reason}` : ''}; `
          + 'check that enough members\' agents are running (consort-coordinator members --federation <id>) and evaluate again');
      }
      const m = round.metrics;
      output(o.json, { task: o.task, modelVersionId: round.modelVersionId, round },
        () => [formatRoundLine(round), `evaluated model ${round.modelVersionId} on ${m?.evalExamples ?? 0} held-out rows of ${round.participants.length - round.dropped.length} members; stored with that version (no new model)`]);
    }));
}
