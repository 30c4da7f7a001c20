// `segment`: assigns each of the member's customers to a segment of the shared segmentation
// model, locally (ONNX nearest centroid), and optionally reports moves since a previous version.
import { Option, type Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scoreSegmentsCsv } from '../segmentation/score-segments.ts';
import { formatMembershipChanges, membershipChanges, type MembershipChanges } from '../segmentation/membership-changes.ts';
import { loadSegmentModel } from '../segmentation/model-file.ts';

export function registerSegmentCommand(program: Command): Command {
  return program.command('segment')
    .description('add the segment id and name to each of your customers (local; nothing is sent)')
    .requiredOption('--model <file>', 'segmentation model file from the coordinator, or an .onnx written by export-onnx')
    .requiredOption('--data <csv>', 'your customer CSV with the segmentation feature columns')
    .requiredOption('--out <csv>', 'output CSV: id, segment, segment_name, segment_distance')
    .option('--id <column>', 'column identifying the customer (default: customer_id, as prepare writes it); "row" numbers the rows instead')
    .addOption(new Option('--id-column <name>', 'former name of --id').hideHelp())
    .option('--previous <file>', 'an earlier segmentation model (file or .onnx): report how many customers changed segment')
    .option('--json', 'print one JSON document on stdout')
    .action(async (o: { model: string; data: string; out: string; id?: string; idColumn?: string; previous?: string; json?: boolean }) => {
      const { model, onnx } = await loadSegmentModel(o.model);
      const idColumn = o.id ?? o.idColumn;
      const t0 = performance.now();
      const res = await scoreSegmentsCsv(onnx, { input: o.data, output: o.out, idColumn });
      const seconds = (performance.now() - t0) / 1000;
      let changesText: string | undefined;
      let changes: MembershipChanges | undefined;
      if (o.previous) {
        const { model: previous, onnx: previousOnnx } = await loadSegmentModel(o.previous);
        const dir = mkdtempSync(join(tmpdir(), 'consort-segment-'));
        try {
          const before = await scoreSegmentsCsv(previousOnnx, { input: o.data, output: join(dir, 'previous.csv'), idColumn });
          changes = membershipChanges(before.segments, res.segments, previous.centroids.length, model.centroids.length, res.ids);
          changesText = formatMembershipChanges(changes, previous.names, model.names);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      if (o.json) {
        console.log(JSON.stringify({ rows: res.rows, seconds, countsByName: res.countsByName, out: o.out, changes }, null, 2));
        return;
      }
      const counts = Object.entries(res.countsByName).map(([name, n]) => `${name} ${n}`).join(', ');
      console.log(`segmented ${res.rows} customers in ${seconds.toFixed(2)} s: ${counts}; wrote ${o.out}`);
      if (changesText) console.log(changesText);
    });
}
