// Prisma's libsql adapter with transactions that close their own SQLite connection when they end.
import { createClient, type Client, type Config, type InStatement, type InArgs, type Transaction, type TransactionMode } from '@libsql/client';
import { PrismaLibSql } from '@prisma/adapter-libsql';

const BEGIN: Record<TransactionMode, string> = { write: 'BEGIN IMMEDIATE', read: 'BEGIN TRANSACTION READONLY', deferred: 'BEGIN DEFERRED' };

/**
 * A transaction on a connection of its own, closed at commit or rollback. @libsql/client hands
 * the client's connection to each transaction and never closes it, and Prisma keeps the last 100
 * closed transactions (for its error messages): every SQLite connection stayed open with its page
 * cache, so a coordinator's native memory grew with every round (two transactions per round;
 * 363 -> 730 MB peak RSS over 150 rounds, issue 12).
 */
async function ownTransaction(config: Config, mode: TransactionMode): Promise<Transaction> {
  const own = createClient(config);
  try {
    await own.execute(BEGIN[mode]);
  } catch (err) {
    own.close();
    throw err;
  }
  let open = true;
  const end = async (sql: 'COMMIT' | 'ROLLBACK') => {
    if (!open) return;
    try {
      await own.execute(sql);
    } finally {
      open = false;
      own.close();
    }
  };
  return {
    execute: (stmt: InStatement | string, args?: InArgs) => (typeof stmt === 'string' ? own.execute(stmt, args) : own.execute(stmt)),
    batch: async (stmts: InStatement[]) => { const out = []; for (const s of stmts) out.push(await own.execute(s)); return out; },
    executeMultiple: (sql: string) => own.executeMultiple(sql),
    commit: () => end('COMMIT'),
    rollback: () => end('ROLLBACK'),
    close: () => { void end('ROLLBACK').catch(() => undefined); },
    get closed() { return !open; },
  } as Transaction;
}

/** PrismaLibSql whose clients run each transaction on a connection closed when it ends. */
export class ClosingPrismaLibSql extends PrismaLibSql {
  override createClient(config: Config): Client {
    const client = super.createClient(config);
    return new Proxy(client, {
      get(target, key) {
        if (key === 'transaction') return (mode: TransactionMode = 'write') => ownTransaction(config, mode);
        const value = Reflect.get(target, key, target) as unknown;
        // Client methods use private fields: call them on the client itself, not the proxy.
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
