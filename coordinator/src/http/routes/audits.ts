// HTTP routes of audit reports: list, the signed JSON document, the HTML page.
import type { FastifyInstance } from 'fastify';
import { ConsortError } from '@consort/core';
import type { ApiDeps, AuditReportSummary } from '../api-deps.ts';
import { iso, route, S } from '../route.ts';

// taskName and modelVersion (the version number) when the source knows them: people read those, not ids.
const SUMMARY = S.obj({ id: S.str, taskId: S.str, taskName: S.str, modelVersionId: S.str, modelVersion: S.int, createdAt: S.date, verdict: S.str },
  ['id', 'taskId', 'modelVersionId', 'createdAt', 'verdict']);
const view = (s: AuditReportSummary) => ({ ...s, createdAt: iso(s.createdAt) });

export async function auditRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const find = async (id: string) => {
    const found = await deps.auditReports?.get(id);
    if (!found) throw new ConsortError('NO_AUDIT_REPORT', `no audit report ${id}${deps.auditReports ? '' : ' (this coordinator stores no audit reports yet)'}; list them at /api/v1/audits`, { reportId: id });
    return found;
  };

  route(app, 'audits.list', { response: { 200: S.obj({ reports: S.array(SUMMARY) }) } }, async () => ({
    reports: deps.auditReports ? (await deps.auditReports.list()).map(view) : [],
  }));

  route(app, 'audits.show', { params: S.params('reportId'), response: { 200: S.obj({ summary: SUMMARY, report: {} }) } }, async (request) => {
    const r = await find(request.params.reportId);
    return { summary: view(r.summary), report: r.json };
  });

  route(app, 'audits.html', { params: S.params('reportId'), response: { 200: { type: 'string', description: 'text/html, no external requests' } } }, async (request, reply) => {
    const r = await find(request.params.reportId);
    return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:").send(r.html);
  });
}
