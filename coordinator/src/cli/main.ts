#!/usr/bin/env -S npx tsx
// consort-coordinator: start the coordinator, and the operator's commands against it.
import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConsortError } from '@consort/core';
import { startCoordinator } from '../coordinator.ts';
import { AdminClient } from './admin-client.ts';
import { openStore } from '../store/open-store.ts';
import { renderRoundsReport } from '../reports/rounds-report.ts';
import { formatStageSeconds } from '../reports/stage-summary.ts';

const program = new Command().name('consort-coordinator').description('Consort federated-learning coordinator');

program.command('serve')
  .description('start the coordinator (gRPC) on the embedded SQLite default or DATABASE_URL')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on', '50051')
  .option('--data-dir <dir>', 'folder for the SQLite file and the operator token', '.consort')
  .option('--database-url <url>', 'file:… (SQLite) or postgresql://… (default: DATABASE_URL, else SQLite in --data-dir)')
  .option('--tls-cert <pem>', 'TLS certificate chain (with --tls-key); members then pass the CA with CONSORT_TLS_CA')
  .option('--tls-key <pem>', 'TLS private key')
  .action(async (o: { host: string; port: string; dataDir: string; databaseUrl?: string; tlsCert?: string; tlsKey?: string }) => {
    if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new Error('give both --tls-cert and --tls-key, or neither');
    const tls = o.tlsCert && o.tlsKey ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined;
    const c = await startCoordinator({ host: o.host, port: Number(o.port), dataDir: o.dataDir, databaseUrl: o.databaseUrl, tls });
    console.log(`coordinator listening on ${c.address} (${c.store.provider}); operator token in ${join(resolve(o.dataDir), 'admin-token')}`);
    const stop = async () => { await c.close(); process.exit(0); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

interface Conn { coordinator: string; token?: string; dataDir: string }
function admin(o: Conn): AdminClient {
  const token = o.token ?? process.env.CONSORT_ADMIN_TOKEN ?? readFileSync(join(resolve(o.dataDir), 'admin-token'), 'utf8').trim();
  return new AdminClient(o.coordinator, token);
}
function withConn(cmd: Command): Command {
  return cmd.option('--coordinator <address>', 'coordinator host:port', '127.0.0.1:50051')
    .option('--token <token>', 'operator token (default: CONSORT_ADMIN_TOKEN or <data-dir>/admin-token)')
    .option('--data-dir <dir>', 'coordinator data folder (for the token file)', '.consort');
}

withConn(program.command('create-federation <name>').description('create a federation')).action(async (name: string, o: Conn) => {
  const a = admin(o);
  const f = await a.createFederation(name);
  console.log(`federation ${f.id} (${f.name})`);
  a.close();
});

withConn(program.command('create-tokens').description('issue one-time enrollment tokens'))
  .requiredOption('--federation <id>', 'federation id')
  .option('--count <n>', 'tokens to issue', '1')
  .option('--ttl <seconds>', 'lifetime of each token (default 7 days)', '0')
  .action(async (o: Conn & { federation: string; count: string; ttl: string }) => {
    const a = admin(o);
    for (const t of await a.createEnrollmentTokens(o.federation, Number(o.count), Number(o.ttl))) console.log(t);
    a.close();
  });

withConn(program.command('create-task').description('define a task from a JSON or YAML file'))
  .requiredOption('--federation <id>', 'federation id')
  .requiredOption('--file <path>', 'task definition (see docs/task-definition.md)')
  .action(async (o: Conn & { federation: string; file: string }) => {
    const text = readFileSync(o.file, 'utf8');
    const def = o.file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    const a = admin(o);
    const t = await a.createTask(o.federation, def);
    console.log(`task ${t.id}: ${t.parameterCount} parameters, initial model ${t.initialModelVersionId}`);
    a.close();
  });

withConn(program.command('run').description('train a task until its held-out loss stops improving, printing each round'))
  .requiredOption('--task <id>', 'task id')
  .option('--rounds <n>', 'training rounds at most (default: the task\'s maxRounds, 200 unless set; early stopping usually ends sooner)')
  .option('--wait <seconds>', 'wait for enough members before each round', '60')
  .action(async (o: Conn & { task: string; rounds?: string; wait: string }) => {
    const rounds = o.rounds === undefined ? 0 : Number(o.rounds);
    if (o.rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) {
      throw new ConsortError('INVALID_ARGUMENT', `--rounds must be an integer ≥ 1 (got "${o.rounds}"); leave it out to train until early stopping`);
    }
    const a = admin(o);
    await a.runRounds(o.task, rounds, Number(o.wait), (r) => {
      const m = r.metrics;
      const stages = m && formatStageSeconds(m.stageSeconds);
      console.log(`round ${r.roundNumber} ${r.purpose} ${r.state}${r.reason ? ` (${r.reason})` : ''}: ${r.participants.length - r.dropped.length} members`
        + (m ? `, train loss ${m.trainLoss.toFixed(4)}, held-out loss ${m.evalLoss.toFixed(4)}, AUC ${m.evalAuc.toFixed(4)}` : '')
        + (r.modelVersionId ? `, model ${r.modelVersionId}` : '')
        + (stages ? `; stages (s): ${stages}` : ''));
      for (const d of r.dropped) console.log(`  dropped ${d}`);
    });
    a.close();
  });

withConn(program.command('members').description('list a federation\'s members'))
  .requiredOption('--federation <id>', 'federation id')
  .action(async (o: Conn & { federation: string }) => {
    const a = admin(o);
    for (const m of await a.listMembers(o.federation)) console.log(`${m.id}  ${m.online ? 'online ' : 'offline'}  ${m.backend.padEnd(10)}  ${m.displayName}`);
    a.close();
  });

program.command('report')
  .description('write the HTML page of a task\'s rounds and model versions (reads the coordinator database)')
  .requiredOption('--task <id>', 'task id')
  .option('--out <file>', 'HTML file to write', 'rounds-report.html')
  .option('--data-dir <dir>', 'coordinator data folder (SQLite default)', '.consort')
  .option('--database-url <url>', 'file:… or postgresql://… (default: DATABASE_URL, else SQLite in --data-dir)')
  .action(async (o: { task: string; out: string; dataDir: string; databaseUrl?: string }) => {
    const store = await openStore(o.databaseUrl ?? process.env.DATABASE_URL ?? `file:${join(resolve(o.dataDir), 'consort.db')}`);
    try {
      writeFileSync(o.out, await renderRoundsReport(store, o.task));
      console.log(`report written to ${o.out}`);
    } finally {
      await store.close();
    }
  });

program.parseAsync().catch((err: Error & { details?: string }) => {
  console.error(`consort-coordinator: ${err.details ?? err.message}`);
  process.exit(1);
});
