// What the operator fixes before an audit round (apart from the workflow, which imports the workflow types).
import type { AuditPolicy } from '@consort/core';
import type { CoordinatorKey } from '../signing/coordinator-key.ts';
import type { AuditDeclarationOptions } from './produce-audit-report.ts';

/** The audit workflow's arguments. */
export interface AuditWorkflowArgs {
  /** The resolved policy; its hash is recorded (audit event) before the round opens. */
  policy: AuditPolicy;
  /** The coordinator's key that signs the report. */
  signingKey: CoordinatorKey;
  declaration?: AuditDeclarationOptions;
  /** Mitigations applied before the audited version, marked in the report. */
  mitigations?: unknown[];
}
