#!/usr/bin/env -S npx tsx
// consort-coordinator: start the coordinator, and the operator's commands against it.
import { Command } from 'commander';
import * as grpc from '@grpc/grpc-js';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { ConsortError, commandFailure, integerOption, keyFingerprint, portOption } from '@consort/core';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import { startCoordinator } from '../coordinator.ts';
import { openStore } from '../store/open-store.ts';
import { renderRoundsReport } from '../reports/rounds-report.ts';
import { formatRoundLine } from '../reports/round-line.ts';
import { noModelError } from '../reports/no-model.ts';
import { registerEvaluateCommand } from './evaluate-command.ts';
import { registerExportCommand } from './export-command.ts';
import { registerRevokeCommand } from './revoke-command.ts';
import { registerApiTokenCommand } from './api-token-command.ts';
import { registerApiCommands, watchLine } from './api-commands.ts';
import { registerPublicKeyCommand, registerVerifyLogCommand } from '../ledger/verify-log-command.ts';
import { registerBackupCommand, registerModelsCommand } from './models-command.ts';
import { offlineDatabaseUrl } from './offline-database.ts';
import { auditOptions, auditRequestOf, registerAuditCommand, type AuditFlags } from './audit-command.ts';
import { readTaskFile } from './task-file.ts';
import { createDevCa } from '../tls/dev-ca.ts';
import { operatorOptions, output, withAdmin, type Conn } from './operator-client.ts';
import { COORDINATOR_DEFAULTS as D, COORDINATOR_ENV } from '../config/coordinator-config.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
// grpc-js logs its own copy of errors we report as `CODE: message` (e.g. a taken port); GRPC_VERBOSITY still wins.
if (!process.env.GRPC_VERBOSITY) grpc.setLogVerbosity(grpc.logVerbosity.NONE);

const program = new Command().name('consort-coordinator').description('Consort federated-learning coordinator')
  .version(VERSION)
  // Program options only before the command: `export-model --version 3` and `evaluate --version 3` are the command's.
  .enablePositionalOptions()
  // Usage errors are printed once, as `INVALID_ARGUMENT: …`, by the handler at the end (exit 2).
  .exitOverride().configureOutput({ outputError: () => undefined });


program.command('serve')
  .description('start the coordinator (gRPC) on the embedded SQLite default or DATABASE_URL')
  .option('--host <host>', 'address to listen on', D.host)
  .option('--port <port>', 'port to listen on', portOption(), D.port)
  .option('--data-dir <dir>', 'folder for the SQLite file and the operator token', D.dataDir)
  .option('--database-url <url>', 'file:… (SQLite) or postgresql://… (default: DATABASE_URL, else SQLite in --data-dir)')
  .option('--tls-cert <pem>', 'TLS certificate chain (with --tls-key); members then pass the CA with CONSORT_TLS_CA')
  .option('--tls-key <pem>', 'TLS private key')
  .option('--admin-host <host>', 'address of the operator listener (AdminService), apart from members', D.adminHost)
  .option('--admin-port <port>', 'port of the operator listener', portOption(), D.adminPort)
  .option('--http-address <host:port>', 'where the HTTP API listens (default: CONSORT_HTTP_ADDRESS, else 127.0.0.1:8080); "off" for none')
  .option('--insecure', 'allow plain TCP beyond loopback (tokens and models travel in clear): trusted networks only')
  .action(async (o: { host: string; port: number; dataDir: string; databaseUrl?: string; tlsCert?: string; tlsKey?: string; adminHost: string; adminPort: number; httpAddress?: string; insecure?: boolean }) => {
    if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new ConsortError('INVALID_ARGUMENT', 'give both --tls-cert and --tls-key, or neither');
    const tls = o.tlsCert && o.tlsKey ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined;
    const httpAddress = o.httpAddress === 'off' ? false : o.httpAddress;
    const c = await startCoordinator({ host: o.host, port: o.port, adminHost: o.adminHost, adminPort: o.adminPort, httpAddress, insecure: o.insecure, dataDir: o.dataDir, databaseUrl: o.databaseUrl, tls });
    const token = process.env[COORDINATOR_ENV.adminToken] ? COORDINATOR_ENV.adminToken : join(resolve(o.dataDir), 'admin-token');
    console.log(`coordinator listening on ${c.address} (${c.store.provider}); operator commands on ${c.adminAddress}; operator token in ${token}`);
    // Members compare this with what their enroll printed: publish it to them out of band.
    if (c.httpUrl) console.log(`HTTP API on ${c.httpUrl} (accounts: consort-coordinator api-token create --role operator --name <you>)`);
    if (c.httpUrl) console.log(`web dashboard on ${c.httpUrl}/dashboard/ (log in with an API token)`);
    console.log(`coordinator signing key ${keyFingerprint(c.coordinatorKey.publicKey)}`);
    const stop = async () => { await c.close(); process.exit(0); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/** An operator command of this program (connection options and --json from operator-client.ts). */
const operatorCommand = (spec: string, description: string): Command => operatorOptions(program.command(spec).description(description));

program.command('dev-ca')
  .description('make a development CA and a TLS certificate for the coordinator (members trust the CA with --tls-ca)')
  .requiredOption('--out <dir>', 'folder for ca.pem, ca-key.pem, server.pem and server-key.pem (created, mode 700)')
  .requiredOption('--host <name...>', 'host names or IP addresses members use to reach the coordinator (localhost and 127.0.0.1 are always added)')
  .option('--json', 'print one JSON document on stdout')
  .action((o: { out: string; host: string[]; json?: boolean }) => {
    const f = createDevCa(o.out, o.host.flatMap((h) => h.split(',')));
    output(o.json, f, () => [
      `development CA written to ${resolve(o.out)} (files mode 600)`,
      `  coordinator: consort-coordinator serve --tls-cert ${f.serverCert} --tls-key ${f.serverKey} …`,
      `  members:     copy ${f.caCert} to each member; consort-agent enroll|run --tls-ca ca.pem … (or CONSORT_TLS_CA=ca.pem)`,
      `  keep ${f.caKey} offline: it can sign a certificate for any host`,
    ]);
  });

const iso = (unixMs: string | number): string => (Number(unixMs) > 0 ? new Date(Number(unixMs)).toISOString() : '');

operatorCommand('create-federation <name>', 'create a federation').action((name: string, o: Conn) => withAdmin(o, async (a) => {
  const f = await a.createFederation(name);
  output(o.json, f, () => [`federation ${f.id} (${f.name})`]);
}));

operatorCommand('federations', 'list the federations').action((o: Conn) => withAdmin(o, async (a) => {
  const list = await a.listFederations();
  output(o.json, { federations: list.map((f) => ({ ...f, createdAt: iso(f.createdUnixMs) })) }, () => (list.length === 0
    ? ['no federations yet: consort-coordinator create-federation <name>']
    : list.map((f) => `${f.id}  ${String(f.members).padStart(3)} members  ${String(f.tasks).padStart(3)} tasks  ${f.name}`)));
}));

operatorCommand('create-tokens', 'issue one-time enrollment tokens')
  .requiredOption('--federation <id>', 'federation id')
  .option('--count <n>', 'tokens to issue', integerOption('--count', 1, 1000), 1)
  .option('--ttl <seconds>', 'lifetime of each token (default 7 days)', integerOption('--ttl', 1, 0xffffffff))
  .action((o: Conn & { federation: string; count: number; ttl?: number }) => withAdmin(o, async (a) => {
    const tokens = await a.createEnrollmentTokens(o.federation, o.count, o.ttl ?? 0);
    output(o.json, { federation: o.federation, tokens }, () => tokens);
  }));

operatorCommand('create-task', 'define a task from a JSON or YAML file')
  .requiredOption('--federation <id>', 'federation id')
  .requiredOption('--file <path>', 'task definition (see docs/task-definition.md)')
  .action((o: Conn & { federation: string; file: string }) => {
    const { input, task } = readTaskFile(o.file);
    return withAdmin(o, async (a) => {
      const t = await a.createTask(o.federation, input);
      output(o.json, t, () => [task.kind === 'segmentation'
        ? `task ${t.id}: segmentation on ${task.segmentation.features.length} features (no model to train)`
        : `task ${t.id}: ${t.parameterCount} parameters, initial model ${t.initialModelVersionId}`]);
    });
  });

operatorCommand('tasks', 'list a federation\'s tasks')
  .requiredOption('--federation <id>', 'federation id')
  .action((o: Conn & { federation: string }) => withAdmin(o, async (a) => {
    const list = await a.listTasks(o.federation);
    output(o.json, { tasks: list.map((t) => ({ ...t, createdAt: iso(t.createdUnixMs) })) }, () => (list.length === 0
      ? [`no tasks in federation ${o.federation} yet: consort-coordinator create-task --federation ${o.federation} --file <task.yaml>`]
      : list.map((t) => `${t.id}  ${t.kind.padEnd(12)}  ${String(t.rounds).padStart(3)} rounds  model v${t.latestVersion}  ${t.name}`)));
  }));

/** A round that produced a new model (evaluation rounds only re-measure the one they started from). */
const producedModel = (r: RoundReport__Output): boolean => r.state === 'published' && r.modelVersionId !== '' && r.purpose !== 'evaluate';

auditOptions(operatorCommand('run', 'train a task until its held-out loss stops improving, printing each round')
  .requiredOption('--task <id>', 'task id')
  .option('--rounds <n>', 'training rounds at most (default: the task\'s maxRounds, 200 unless set; early stopping usually ends sooner)', integerOption('--rounds', 1, 10_000))
  .option('--wait <seconds>', 'wait for enough members before each round', integerOption('--wait', 1, 86_400), 60))
  .action((o: Conn & AuditFlags & { task: string; rounds?: number; wait: number }) => withAdmin(o, async (a) => {
    const audit = auditRequestOf(o);
    // Ctrl-C cancels the stream: the coordinator aborts the round in progress and stops the run.
    const cancel = new AbortController();
    const onSigint = () => cancel.abort();
    process.once('SIGINT', onSigint);
    let reports: RoundReport__Output[];
    try {
      reports = await a.runRounds(o.task, o.rounds ?? 0, o.wait, (r) => { if (!o.json) console.log(formatRoundLine(r)); }, {
        signal: cancel.signal, audit,
        onWaiting: (w) => console.error(`waiting for members: ${w.online}/${w.needed} connected (the round starts when ${w.needed} are, or after ${w.waitSeconds} s)`),
        // Over the HTTP API the live stage stream is shown as a progress line (terminals only).
        onEvent: (e) => { if (!o.json && e.event === 'round' && process.stderr.isTTY) process.stderr.write(`\r\x1b[K${watchLine(e) ?? ''}`); },
      });
      if (!o.json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    } catch (err) {
      if (cancel.signal.aborted) throw new ConsortError('CANCELLED', `run of task ${o.task} cancelled: the coordinator aborted the round in progress and stopped the run`);
      throw err;
    } finally {
      process.off('SIGINT', onSigint);
    }
    const models = reports.filter(producedModel);
    // After an early stop the best round's model is stored again as the newest version; the final
    // evaluation round measures that version, so it names the model members and exports get.
    const evaluated = reports.filter((r) => r.state === 'published' && r.purpose === 'evaluate' && r.modelVersionId !== '').at(-1);
    const last = models.at(-1);
    const latest = evaluated && last && evaluated.modelVersionId !== last.modelVersionId ? evaluated : last;
    if (o.json) console.log(JSON.stringify({ task: o.task, modelVersionId: latest?.modelVersionId ?? null, rounds: reports }, null, 2));
    if (!last || !latest) throw noModelError(reports, 'check that the members\' agents are running (consort-coordinator members --federation <id>) and run again');
    if (!o.json) {
      console.log(latest === last ? `latest model ${last.modelVersionId} (round ${last.roundNumber})`
        : `latest model ${latest.modelVersionId} (the best round's model, kept after early stopping; evaluated in round ${latest.roundNumber})`);
    }
  }));

operatorCommand('rounds', 'list a task\'s rounds')
  .requiredOption('--task <id>', 'task id')
  .action((o: Conn & { task: string }) => withAdmin(o, async (a) => {
    const list = await a.listRounds(o.task);
    output(o.json, { rounds: list.map((r) => ({ ...r, startedAt: iso(r.startedUnixMs), finishedAt: iso(r.finishedUnixMs) })) }, () => (list.length === 0
      ? [`no rounds of task ${o.task} yet: consort-coordinator run --task ${o.task}`]
      : list.flatMap((r) => [`round ${r.number}  ${r.state.padEnd(9)}  ${String(r.participants).padStart(3)} members  ${iso(r.startedUnixMs)}`
        + (r.resultModelVersionId ? `  model ${r.resultModelVersionId}` : '') + (r.reason ? `  (${r.reason})` : ''),
      ...r.dropped.map((d) => `  dropped ${d}`)])));
  }));

operatorCommand('members', 'list a federation\'s members')
  .requiredOption('--federation <id>', 'federation id')
  .action((o: Conn & { federation: string }) => withAdmin(o, async (a) => {
    const list = await a.listMembers(o.federation);
    output(o.json, { members: list }, () => (list.length === 0
      ? [`no members in federation ${o.federation} yet: issue tokens with create-tokens and have each member run consort-agent enroll`]
      : list.map((m) => `${m.id}  ${m.online ? 'online ' : 'offline'}  ${m.backend.padEnd(10)}  ${m.displayName}`)));
  }));

program.command('report')
  .description('write the HTML page of a task\'s rounds and model versions (reads the coordinator database)')
  .requiredOption('--task <id>', 'task id')
  .option('--out <file>', 'HTML file to write', 'rounds-report.html')
  .option('--data-dir <dir>', 'coordinator data folder (SQLite default)', D.dataDir)
  .option('--database-url <url>', 'file:… or postgresql://… (default: DATABASE_URL, else SQLite in --data-dir)')
  .option('--json', 'print one JSON document on stdout')
  .action(async (o: { task: string; out: string; dataDir: string; databaseUrl?: string; json?: boolean }) => {
    const store = await openStore(offlineDatabaseUrl(o, 'report'));
    try {
      writeFileSync(o.out, await renderRoundsReport(store, o.task), { mode: 0o600 });
      output(o.json, { task: o.task, file: resolve(o.out) }, () => [`report written to ${o.out}`]);
    } finally {
      await store.close();
    }
  });

registerExportCommand(program);
registerEvaluateCommand(program);
registerRevokeCommand(program);
registerApiTokenCommand(program);
registerApiCommands(program);
registerVerifyLogCommand(program);
registerPublicKeyCommand(program);
registerModelsCommand(program);
registerBackupCommand(program);
registerAuditCommand(program);

program.parseAsync().catch((err: unknown) => {
  const f = commandFailure(err, { json: process.argv.includes('--json') });
  if (f.stdout) console.log(f.stdout);
  if (f.stderr) console.error(f.stderr);
  process.exit(f.exitCode);
});
