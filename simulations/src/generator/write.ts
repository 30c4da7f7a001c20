// writeConsortium: one CSV per member plus a consortium.json manifest.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { churnRate, type MemberDataset } from './consortium.ts';
import { toCsv } from './csv.ts';
import { churnTaskSchema } from './schema.ts';
import { COLUMNS } from './vocabulary.ts';

/** Name of the manifest written beside the member CSVs. */
export const MANIFEST_FILE = 'consortium.json';

/**
 * Writes `<memberId>.csv` for each member (header row, RFC 4180 quoting) and a manifest listing
 * members, sizes, churn rates, profiles, the columns and the churn task schema. `meta` (e.g.
 * the generation options) is copied into the manifest. Returns the written paths, CSVs first.
 * Output depends only on the datasets, so equal datasets give byte-identical files.
 */
export function writeConsortium(dir: string, datasets: readonly MemberDataset[], meta: Record<string, unknown> = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const d of datasets) {
    const path = join(dir, `${d.memberId}.csv`);
    writeFileSync(path, toCsv(COLUMNS, d.rows));
    written.push(path);
  }
  const manifest = {
    generator: '@consort/simulations generateConsortium',
    ...meta,
    columns: COLUMNS,
    task: churnTaskSchema(),
    members: datasets.map((d) => ({
      memberId: d.memberId,
      name: d.name,
      file: `${d.memberId}.csv`,
      rows: d.rows.length,
      churnRate: Math.round(churnRate(d.rows) * 10000) / 10000,
      profile: d.profile,
    })),
  };
  const manifestPath = join(dir, MANIFEST_FILE);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  written.push(manifestPath);
  return written;
}
