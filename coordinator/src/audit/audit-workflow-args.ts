// What the operator fixes before an audit round (apart from the workflow, which imports the workflow types).
import type { AuditPolicy } from '@consort/core';
import type { CoordinatorKey } from '../signing/coordinator-key.ts';
import type { AuditDeclarationOptions } from './produce-audit-report.ts';

/** The audit workflow's arguments; what is left out comes from the task and the coordinator. */
export interface AuditWorkflowArgs {
  /** The resolved policy (default: the task's own, `audit.policy`); its hash is recorded (audit event) before the round opens. */
  policy?: AuditPolicy;
  /** The key that signs the report (default: the coordinator's, handed to the round runner). */
  signingKey?: CoordinatorKey;
  declaration?: AuditDeclarationOptions;
  /** Mitigations applied before the audited version, marked in the report. */
  mitigations?: unknown[];
  /**
   * false skips the check that members' default floors and caps accept the policy (refused before
   * the round opens otherwise). Only for tests that play a hostile coordinator to test members;
   * no CLI flag or HTTP field sets it.
   */
  memberPolicyCheck?: boolean;
}
