// Runs the Store contract against SQLite (libsql) in temporary files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { storeContract } from '../../test-support/store-contract.ts';

let dir: string | undefined;
let count = 0;

storeContract({
  provider: 'sqlite',
  async setup() {
    dir = mkdtempSync(join(tmpdir(), 'consort-store-'));
  },
  async freshUrl() {
    count += 1;
    // A nested folder that does not exist yet: openStore must create it.
    return `file:${join(dir!, `db${count}`, 'consort.db')}`;
  },
  async query(url, sql) {
    const client = createClient({ url });
    try {
      const res = await client.execute(sql);
      return res.rows.map((r) => ({ ...r }));
    } finally {
      client.close();
    }
  },
  async teardown() {
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
});
