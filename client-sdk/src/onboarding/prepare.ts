// prepare: mapping + source -> the customer-level CSV the agent's --data reads, streamed, written atomically.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { ConsortError, DEFAULT_NEGATIVE_LABELS, encodeLabel, parseNumericCell, type TaskDefinition } from '@consort/core';
import type { OnboardingMapping } from './mapping.ts';
import { openMappedSource, type MappingCounts, type OpenMappedOptions } from './mapped-source.ts';

/** What prepare wrote. */
export interface PrepareResult {
  out: string;
  rows: number;
  columns: string[];
  counts: MappingCounts;
  sourceColumnsRead: string[];
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Streams the mapped rows into `out` (federation column names, customer_id first when mapped,
 * protected attributes last for audits). Every value is checked as it is written (numbers,
 * categories, labels); the first bad value throws ConsortError(DATA_INVALID) naming the file,
 * row, column and value. Output goes to a temporary file renamed on success, so a failed run
 * never leaves a partial file behind.
 */
export async function prepareFeatures(mapping: OnboardingMapping, task: TaskDefinition, out: string,
  opts: Pick<OpenMappedOptions, 'onProgress'> = {}): Promise<PrepareResult> {
  const mapped = await openMappedSource(mapping, task, { onProgress: opts.onProgress });
  const required = mapped.missing.filter((m) => !m.protected);
  if (required.length > 0) {
    throw new ConsortError('DATA_INVALID', `${mapped.source.describe}: ${required.map((m) => `"${m.column}" is mapped from "${m.from}", which does not exist`).join('; ')}; the export has ${mapped.source.columns.map((c) => `"${c}"`).join(', ')}. Fix ${mapping.file}`, { file: mapped.source.describe, missing: required });
  }
  await mkdir(dirname(out), { recursive: true, mode: 0o700 });
  const tmp = `${out}.${process.pid}.tmp`;
  // Customer rows: readable by this member's account only.
  const stream = createWriteStream(tmp, { mode: 0o600 });
  // A write error (disk full) or a late one after the stream was destroyed below must not be an
  // uncaught exception: it is kept and thrown by the next write instead.
  let streamError: Error | undefined;
  stream.on('error', (e) => { streamError ??= e; });
  const file = mapped.source.describe;
  const numeric = new Set([...task.numeric, ...(task.model.task === 'regression' ? [task.label] : [])]);
  const pipeline = { label: task.label, task: task.model.task, positiveLabel: task.positiveLabel };
  let rows = 0;
  try {
    const write = async (line: string) => {
      if (streamError) throw streamError;
      if (!stream.write(line)) await once(stream, 'drain');
    };
    await write(`${mapped.outputColumns.map(csvCell).join(',')}\n`);
    let buf = '';
    for await (const r of mapped.rows()) {
      const where = { file: typeof r.row === 'number' ? file : `${file} (customer ${r.row})`, row: typeof r.row === 'number' ? r.row : 0 };
      for (const c of mapped.outputColumns) {
        const v = r.values[c] ?? '';
        if (numeric.has(c)) parseNumericCell(v, c, where);
        else if (task.vocabularies[c] && v !== '' && !task.vocabularies[c].includes(v)) {
          throw new ConsortError('DATA_INVALID', `${where.file}, row ${where.row}, column "${c}": "${v}" is not one of the federation's values (${task.vocabularies[c].join(', ')}); map it under "columns.${c}.values" in ${mapping.file}`, { ...where, column: c, value: v });
        }
      }
      encodeLabel(pipeline, r.values, where);
      const y = (r.values[task.label] ?? '').trim();
      // The agent reads any non-positive value as 0: a typo or an unmapped "Churned" must not become a silent negative.
      if (pipeline.task === 'binary' && !task.positiveLabel.includes(y) && !DEFAULT_NEGATIVE_LABELS.includes(y.toLowerCase())) {
        throw new ConsortError('DATA_INVALID', `${where.file}, row ${where.row}, column "${task.label}": "${y}" is neither a positive label (${task.positiveLabel.join(', ')}) nor 0/no/false; map it under "label.values" in ${mapping.file}`, { ...where, column: task.label, value: y });
      }
      buf += `${mapped.outputColumns.map((c) => csvCell(r.values[c] ?? '')).join(',')}\n`;
      rows += 1;
      // Batch writes: one write per row costs more than the parsing.
      if (buf.length > 1 << 16) { await write(buf); buf = ''; }
    }
    await write(buf);
    stream.end();
    await once(stream, 'finish');
    await rename(tmp, out);
  } catch (err) {
    // A write may still be in flight: wait for the file to close before removing it.
    if (!stream.closed) {
      const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      stream.destroy();
      await closed;
    }
    await rm(tmp, { force: true });
    throw err;
  }
  return { out, rows, columns: mapped.outputColumns, counts: mapped.counts, sourceColumnsRead: mapped.sourceColumnsRead };
}
