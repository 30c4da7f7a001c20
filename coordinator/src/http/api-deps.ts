// What the HTTP API's plugins are given: the same store, runner and registries the gRPC services use.
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { MemberConnections } from '../members/connections.ts';
import type { TaskRuns } from '../round/task-runs.ts';

/** A stored audit report as listed (the auditreport work stores them; until then there are none). */
export interface AuditReportSummary {
  id: string;
  taskId: string;
  taskName?: string;
  modelVersionId: string;
  /** The audited version's number. */
  modelVersion?: number;
  createdAt: Date;
  /** pass / fail / inconclusive */
  verdict: string;
}

/** Where audit reports come from: the small interface the HTTP API needs of report storage. */
export interface AuditReportSource {
  list(): Promise<AuditReportSummary[]>;
  /** The signed canonical JSON document and its HTML rendering; undefined when there is no such report. */
  get(id: string): Promise<{ summary: AuditReportSummary; json: unknown; html: string } | undefined>;
}

export interface ApiDeps {
  store: Store;
  connections: MemberConnections<unknown>;
  runs: TaskRuns;
  logger: Logger;
  /** Audit report storage; absent: every report answers 404 NO_AUDIT_REPORT. */
  auditReports?: AuditReportSource;
  /** How often the live round stream looks at the store (default 500 ms). */
  watchPollMs?: number;
}
