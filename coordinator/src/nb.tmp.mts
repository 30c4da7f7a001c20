import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openStore } from './store/open-store.ts';
const dir = mkdtempSync(join(tmpdir(), 'nb-'));
const store: any = await openStore(`file:${join(dir, 'x.db')}`);
const exp = new Date(Date.now() + 600_000);
const db = store.db;
const q = (n: number) => { const params: unknown[] = []; const t = []; for (let i = 0; i < n; i++) { params.push('m', randomBytes(16).toString('hex'), exp); t.push('(?, ?, ?)'); } return db.$queryRawUnsafe(`INSERT INTO "UsedNonce" ("memberId", "nonce", "expiresAt") VALUES ${t.join(', ')} ON CONFLICT DO NOTHING RETURNING "memberId", "nonce"`, ...params); };
for (let i = 0; i < 50; i++) await q(1);
for (const [label, f] of [['select 1', () => db.$queryRawUnsafe('SELECT 1')], ['insert 1', () => q(1)], ['insert 4', () => q(4)], ['exec insert', () => db.$executeRawUnsafe(`INSERT INTO "UsedNonce" ("memberId", "nonce", "expiresAt") VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, 'm', randomBytes(16).toString('hex'), exp)]] as const) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < 300; i++) await (f as any)();
  const c = process.cpuUsage(c0);
  console.log(`${label}: ${((performance.now() - t0) / 300).toFixed(2)} ms wall, ${((c.user) / 300 / 1000).toFixed(2)} user ${(c.system / 300 / 1000).toFixed(2)} sys`);
}
console.log(await db.$queryRawUnsafe('PRAGMA synchronous'), await db.$queryRawUnsafe('PRAGMA journal_mode'), await db.$queryRawUnsafe('PRAGMA wal_autocheckpoint'));
await store.close();
