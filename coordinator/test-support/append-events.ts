// Test helper process: appends N audit events to a coordinator database (as one coordinator process would), then checkpoints.
// Usage: node --import tsx coordinator/test-support/append-events.ts <dataDir> <count> <label>
import { join, resolve } from 'node:path';
import { openStore } from '../src/store/open-store.ts';
import { loadOrCreateCoordinatorKey } from '../src/signing/coordinator-key.ts';
import { AuditCheckpointer, withAuditCheckpoints } from '../src/ledger/checkpointer.ts';

const [dataDir, count, label] = process.argv.slice(2);
const dir = resolve(dataDir);
const raw = await openStore(`file:${join(dir, 'consort.db')}`);
const checkpointer = new AuditCheckpointer(raw, loadOrCreateCoordinatorKey(dir), { every: 25 });
const store = withAuditCheckpoints(raw, checkpointer);
await Promise.all(Array.from({ length: Number(count) }, (_, i) =>
  store.appendAuditEvent({ actor: 'operator', kind: 'task.created', subjectType: 'task', subjectId: `${label}-${i}`, detail: { label, i } })));
await checkpointer.checkpoint();
await raw.close();
