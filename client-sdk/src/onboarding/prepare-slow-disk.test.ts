// prepare's all-or-nothing output when the disk is slow: an error found while a write is still in
// flight removes the output without a stray write error (once an uncaught ERR_STREAM_DESTROYED).
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ConsortError, resolveTaskDefinition } from '@consort/core';
import { parseMapping } from './mapping.ts';

// Every write of prepare's output takes 30 ms to complete, as on a slow or busy disk.
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const slow = <F extends (...a: never[]) => void>(f: F) => ((...args: unknown[]) => {
    const cb = args[args.length - 1] as (...r: unknown[]) => void;
    (f as unknown as (...a: unknown[]) => void)(...args.slice(0, -1), (...r: unknown[]) => setTimeout(() => cb(...r), 30));
  }) as unknown as F;
  return { ...real, createWriteStream: (path: string) => real.createWriteStream(path, { fs: { ...real, write: slow(real.write), writev: slow(real.writev) } } as never) };
});

const { prepareFeatures } = await import('./prepare.ts');

const TASK = resolveTaskDefinition({ name: 't', label: 'churned', positiveLabel: ['1'], numeric: ['spend'], categorical: { city: ['köln', 'münchen'] }, minMembers: 3 });

describe('prepare on a slow disk', () => {
  for (const [what, rows, badRow] of [
    // The header is handed to the disk and the second line is bad before that write completes.
    ['right after the header', '1,köln,drei,1', 2],
    // ~200 KB of good rows (several 64 KiB batches), then a bad one.
    ['after many batches', `${Array.from({ length: 8000 }, (_, i) => `${i + 1},köln,${i % 97},${i % 2}`).join('\n')}\n8001,köln,drei,0`, 8002],
  ] as const) {
    it(`a bad value ${what}, with a write still in flight: the error, no output, no stray write error`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'consort-slow-'));
      writeFileSync(join(dir, 'export.csv'), `id,Stadt,Umsatz,gekündigt\n${rows}\n`);
      const mapping = parseMapping({ source: { path: 'export.csv' }, id: 'id', columns: { spend: 'Umsatz', city: 'Stadt', churned: 'gekündigt' } }, 'm.yaml', dir);
      const uncaught: unknown[] = [];
      const onUncaught = (e: unknown) => uncaught.push(e);
      process.on('uncaughtException', onUncaught);
      try {
        const err = await prepareFeatures(mapping, TASK, join(dir, 'features.csv')).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(ConsortError);
        expect((err as Error).message).toContain(`row ${badRow}, column "spend": "drei" is not a number`);
        // Let any late write callback run before looking.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(uncaught).toEqual([]);
        expect(readdirSync(dir)).toEqual(['export.csv']);
      } finally {
        process.off('uncaughtException', onUncaught);
      }
    });
  }
});
