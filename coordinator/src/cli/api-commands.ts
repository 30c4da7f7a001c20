// Operator commands that exist only on the HTTP API: watch a task's rounds live, show an audit report.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConsortError } from '@consort/core';
import { httpApi, operatorOptions, output, type Conn } from './operator-client.ts';
import type { StageEvent } from './http-admin-client.ts';

/** The API URL of an HTTP-only command (--api or CONSORT_API), else a usage error saying so. */
function apiUrl(o: Conn, command: string): string {
  const url = o.api ?? (process.env.CONSORT_API || undefined);
  if (!url) throw new ConsortError('INVALID_ARGUMENT', `${command} works over the HTTP API: pass --api <url> (e.g. http://127.0.0.1:8080) or set CONSORT_API, with an API token (--token or CONSORT_API_TOKEN)`);
  return url;
}

/** One line per watch event, as a person reads it. */
export function watchLine(e: StageEvent): string | undefined {
  const d = e.data;
  if (e.event === 'round') {
    const deadline = typeof d.deadline === 'string' ? `, deadline in ${Math.max(0, Math.round((Date.parse(d.deadline) - Date.now()) / 1000))} s` : '';
    return `round ${String(d.number)}  ${String(d.state).padEnd(17)} survivors ${String(d.survivors)}/${String(d.participants)}${deadline}${d.reason ? `  (${String(d.reason)})` : ''}`;
  }
  if (e.event === 'run') {
    const w = d.waiting as { online: number; needed: number } | null;
    return w ? `run ${String(d.state)}: ${w.online}/${w.needed} members connected` : `run ${String(d.state)}${d.error ? `: ${String(d.error)}` : ''}`;
  }
  return undefined;
}

/** Adds `watch` and `show-audit` to the coordinator CLI. */
export function registerApiCommands(program: Command): void {
  operatorOptions(program.command('watch')
    .description('follow a task\'s rounds live over the HTTP API (stage, survivors, deadline) until Ctrl-C or, with --until-run-ends, the run\'s end')
    .requiredOption('--task <id>', 'task id')
    .option('--until-run-ends', 'stop when the run in progress ends'))
    .action(async (o: Conn & { task: string; untilRunEnds?: boolean }) => {
      const api = httpApi(o, apiUrl(o, 'watch'));
      const stop = new AbortController();
      const onSigint = () => stop.abort();
      process.once('SIGINT', onSigint);
      try {
        await api.watch(o.task, (e) => {
          if (o.json) console.log(JSON.stringify(e));
          else {
            const line = watchLine(e);
            if (line) console.log(line);
          }
        }, { untilRunEnds: o.untilRunEnds, signal: stop.signal });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  operatorOptions(program.command('show-audit')
    .description('show an audit report over the HTTP API (auditors too): its summary, or --html <file> for the page, --json for the signed document')
    .requiredOption('--report <id>', 'report id (see GET /api/v1/audits)')
    .option('--html <file>', 'write the report\'s HTML page here'))
    .action(async (o: Conn & { report: string; html?: string }) => {
      const api = httpApi(o, apiUrl(o, 'show-audit'));
      const r = await api.get<{ summary: { id: string; taskId: string; modelVersionId: string; verdict: string; createdAt: string }; report: unknown }>(`/api/v1/audits/${encodeURIComponent(o.report)}`);
      if (o.html) writeFileSync(o.html, await api.getText(`/api/v1/audits/${encodeURIComponent(o.report)}/html`), { mode: 0o600 });
      // --json prints the signed document itself, so an auditor can save it and run `consort-audit verify` on it.
      output(o.json, r.report, () => [
        `audit report ${r.summary.id}: ${r.summary.verdict} (task ${r.summary.taskId}, model ${r.summary.modelVersionId}, ${r.summary.createdAt})`,
        ...(o.html ? [`HTML page written to ${resolve(o.html)}`] : []),
      ]);
    });
}
