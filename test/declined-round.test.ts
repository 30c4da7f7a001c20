// A member whose data cannot serve a round declines it over gRPC: the coordinator drops it at
// once (plain and secure), names it and the reason to the operator, and never learns a cell value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { churnTaskSchema } from '@consort/simulations';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';

const SECRET = 'secret-123';

/** Puts SECRET into the first numeric column of the file's 5th data row (spreadsheet row 6). */
function breakFile(file: string): { column: string; row: number } {
  const column = churnTaskSchema().numeric[0];
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines[0].split(',').indexOf(column);
  const cells = lines[5].split(',');
  cells[at] = SECRET;
  lines[5] = cells.join(',');
  writeFileSync(file, lines.join('\n'));
  return { column, row: 6 };
}

describe('a member that cannot serve a round declines it', () => {
  let fx: Fixture;
  const coordinatorLog: string[] = [];
  const memberLog: string[] = [];
  let broken: { column: string; row: number };

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: sqliteDatabase().url, members: 4, customers: 1600, logSink: (line) => coordinatorLog.push(line),
      hooks: (i) => (i === 0 ? { logger: { info: (m) => memberLog.push(m), warn: (m) => memberLog.push(m) } } : {}),
    });
    broken = breakFile(fx.files[0]);
  });
  afterAll(async () => { await fx?.close(); });


  for (const aggregation of ['plain', 'secure'] as const) {
    it(`drops it at once and the ${aggregation} round goes on without it (deadline 120 s)`, async () => {
      const task = await fx.admin.createTask(fx.federationId, churnTask({ name: `declines-${aggregation}`, aggregation, minMembers: 3, stageTimeoutSeconds: 120 }));
      const reports = await fx.admin.runRounds(task.id, 1, 20);
      expect(reports.map((r) => `${r.purpose}:${r.state}`)).toEqual(['statistics:published', 'train:published', 'evaluate:published']);
      const memberId = fx.agents[0].memberId;
      const name = (await fx.coordinator.store.getMember(memberId))!.displayName;
      for (const r of reports) {
        expect(r.participants).toHaveLength(4);
        expect(r.metrics!.participants).toBe(3);
        // The reason names the member, the file, the row and the column: never the value.
        expect(r.dropped).toEqual([
          `${name} (${memberId}): declined: DATA_INVALID: ${basename(fx.files[0])}, row ${broken.row}, column "${broken.column}": a value is not a number; the member's log has the details`,
        ]);
      }
      const stored = await fx.coordinator.store.listRounds(task.id);
      expect(JSON.stringify(stored)).toContain('declined: DATA_INVALID');
      expect(JSON.stringify(stored)).not.toContain(SECRET);
      expect(coordinatorLog.join('\n')).toContain('member declined a round');
      expect(coordinatorLog.join('\n')).not.toContain(SECRET);
      // The member's own log has the whole story, value included, for its operator to fix.
      expect(memberLog.join('\n')).toMatch(new RegExp(`round \\d+ \\(train, ${aggregation}\\) declined: DATA_INVALID: .*"${SECRET}" is not a number`));
    });
  }

  it('aborts at once, naming the decline, when too few members remain', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ name: 'declines-too-few', aggregation: 'secure', minMembers: 4, stageTimeoutSeconds: 120 }));
    const [statistics] = await fx.admin.runRounds(task.id, 1, 20);
    expect(statistics.state).toBe('aborted');
    // It closed at the decline: how many of the others had advertised by then varies.
    expect(statistics.reason).toMatch(/aborted in advertise_keys: only [0-3] members (advertised|committed to) keys, at least 4 are required/);
    expect(statistics.dropped.join('\n')).toContain(`(${fx.agents[0].memberId}): declined: DATA_INVALID:`);
  });
});
