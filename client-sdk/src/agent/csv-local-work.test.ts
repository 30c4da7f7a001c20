// Tests of the agent's local-work seam: the default CSV work (start, per-task split) and the agent's choice of work.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvLocalWork } from './csv-local-work.ts';
import { MemberAgent } from './agent.ts';
import type { LocalWork } from './local-work.ts';
import { generateIdentity } from '../identity/member-identity.ts';

const dir = mkdtempSync(join(tmpdir(), 'consort-local-work-'));
const schema = { numeric: ['tenure'], categorical: ['plan'], label: 'churned' };
const rows = Array.from({ length: 40 }, (_, i) => `${i},${i % 2 ? 'pro' : 'basic'},${i % 4 === 0 ? 1 : 0}`);
const dataFile = join(dir, 'members.csv');
writeFileSync(dataFile, `tenure,plan,churned\n${rows.join('\n')}\n`);

describe('CsvLocalWork', () => {
  it('refuses to start on a missing file, naming it', async () => {
    const missing = join(dir, 'nope.csv');
    await expect(new CsvLocalWork({ dataFile: missing }).start()).rejects.toMatchObject({ code: 'FILE_UNREADABLE', message: expect.stringContaining(missing) });
  });

  it('splits a task\'s rows once, the same way for the same seed, and logs the load', async () => {
    const lines: string[] = [];
    const work = new CsvLocalWork({ dataFile, logger: { info: (m) => lines.push(m) }, memberId: () => 'm1' });
    const a = await work.dataset('t1', schema, 0.25, 7);
    expect(await work.dataset('t1', schema, 0.25, 7)).toBe(a);
    expect(a.train.length + a.test.length).toBe(40);
    expect(a.test.length).toBeGreaterThan(0);
    const again = await new CsvLocalWork({ dataFile }).dataset('t1', schema, 0.25, 7);
    expect(again.test).toEqual(a.test);
    expect(lines).toEqual([`loaded 40 rows (${a.train.length} train, ${a.test.length} test) with 3 columns`]);
  });
});

describe('MemberAgent local work', () => {
  const identity = { ...generateIdentity(), memberId: 'm1' };

  it('defaults to CsvLocalWork on the data file and takes the work it is given', () => {
    const byFile = new MemberAgent({ coordinator: '127.0.0.1:1', identity, dataFile });
    expect(byFile.localWork).toBeInstanceOf(CsvLocalWork);
    expect((byFile.localWork as CsvLocalWork).dataFile).toBe(dataFile);
    byFile.stop();
    const own: LocalWork = {
      start: async () => 'none', check: async () => undefined,
      contribution: async () => { throw new Error('not used'); }, segmentationVector: async () => { throw new Error('not used'); },
      auditVector: () => Promise.reject(new Error('no audit rounds in this test')),
      reweighingVector: () => Promise.reject(new Error('no reweighing rounds in this test')),
    };
    const plugged = new MemberAgent({ coordinator: '127.0.0.1:1', identity, localWork: own });
    expect(plugged.localWork).toBe(own);
    plugged.stop();
  });

  it('needs a data file or its own local work', () => {
    expect(() => new MemberAgent({ coordinator: '127.0.0.1:1', identity })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
